"""How the `postseal` command lays out what it prints: tables that fit the terminal.

A table's last column (a reason, a proof) takes what width the others leave; text longer
than that is cut with "…" so one row stays one line. `-v` prints it whole (the terminal
wraps it), `--json` carries it whole too: nothing is ever lost, only shortened on screen.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

from agent.api.messages import when

ELLIPSIS = "…"
MIN_LAST = 24  # a reason narrower than this says nothing: the table grows past the terminal instead

# Methods whose content is end-to-end encrypted: the TLS of the relay hop is an extra layer.
END_TO_END = ("pgp", "smime", "portal")


def emit(data: Any, as_json: bool, text: str) -> None:
    """One JSON document under --json, else the text."""
    print(json.dumps(data, indent=2) if as_json else text)


def shorten(text: str, width: int) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis where it was cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: max(0, width - 1)].rstrip() + ELLIPSIS


def table(rows: list[list[str]], headers: list[str], full: bool = True, width: int | None = None) -> str:
    """Columns padded to their widest cell. With `full` False the last column is cut to fit
    `width` (the terminal's by default), each cut marked with an ellipsis."""
    rows = [[str(c) for c in row] for row in rows]
    if not full and headers:
        total = width or shutil.get_terminal_size((100, 24)).columns
        others = [max(len(x) for x in col) for col in zip(*(r[:-1] for r in [headers, *rows]), strict=False)]
        room = max(MIN_LAST, total - sum(others) - 2 * len(others))
        rows = [[*r[:-1], shorten(r[-1], room)] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(headers, *rows, strict=False)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def proof_text(proof: dict[str, Any], method: str = "") -> str:
    """Delivery proof in one line. A relay hop whose certificate was not checked is "unverified";
    on an end-to-end encrypted copy that is said to be harmless, not left to alarm."""
    parts = []
    if proof.get("key_fingerprint"):
        parts.append(f"key {proof['key_fingerprint'][-16:]}")
    if proof.get("portal_id"):
        parts.append(f"portal {proof['portal_id'][:10]}{ELLIPSIS}")
    if proof.get("tls_version"):
        if proof.get("tls_peer"):
            parts.append(f"{proof['tls_version']} verified {proof['tls_peer']}")
        elif method in END_TO_END:
            parts.append(f"{proof['tls_version']} to the relay, unverified (content end-to-end encrypted)")
        else:
            parts.append(f"{proof['tls_version']} unverified")
    if proof.get("reply"):
        parts.append(proof["reply"][:40])
    return ", ".join(parts)


def message_table(record: dict[str, Any], full: bool = False) -> str:
    rows = [
        [r["address"], r["method"], r["state"], r["reason"] or proof_text(r["proof"], r["method"])]
        for r in record["recipients"]
    ]
    return f"{record['id']}: {record['state']}\n" + table(
        rows, ["recipient", "method", "state", "proof / reason"], full=full
    )


def outbox_table(messages: list[dict[str, Any]], full: bool = False, now: float | None = None) -> str:
    rows = [
        [when(m["created"], now), m["id"], m["sender"], str(len(m["recipients"])), m["state"], m["reason"]]
        for m in messages
    ]
    return table(rows, ["time", "id", "sender", "rcpts", "state", "reason"], full=full)
