"""`postseal send`, `bounce`, `status`, `outbox` and `stamp verify`: messages handed to the
running agent and read back from it, all through its local API (agent/api/client.py).

`send --wait` and `status` end with the message's state as the exit code: delivered 0,
held 3, failed 1 (DESIGN.md) — the same state, the same code in both.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from agent.api.client import AgentClient
from agent.cli.errors import FAILED, HELD, OK, read_file
from agent.cli.output import emit, message_table, outbox_table, shorten, table


def exit_for_state(state: str) -> int:
    return {"delivered": OK, "held": HELD, "failed": FAILED}.get(state, OK)


def add_send(sub: Any) -> None:
    p = sub.add_parser("send", help="submit FILE.eml to the running agent")
    p.add_argument("file")
    p.add_argument("--wait", action="store_true", help="wait for the final state")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait with --wait")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="reasons in full, not shortened to the terminal")
    p.set_defaults(func=cmd_send)


def add_bounce(sub: Any) -> None:
    p = sub.add_parser("bounce", help="hand the agent a bounce (RFC 3464 DSN) received for a sent message")
    p.add_argument("file", metavar="FILE.eml", help="the bounce as received; - for standard input")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_bounce)


def add_status(sub: Any) -> None:
    p = sub.add_parser("status", help="state and delivery proof of one message")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="reasons in full, not shortened to the terminal")
    p.set_defaults(func=cmd_status)


def add_outbox(sub: Any) -> None:
    p = sub.add_parser("outbox", help="list the outbox")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="reasons in full, not shortened to the terminal")
    p.set_defaults(func=cmd_outbox)


def add_stamp(sub: Any) -> None:
    p = sub.add_parser("stamp", help="verdict stamps on messages mail programs sent themselves")
    st = p.add_subparsers(dest="stamp_cmd", required=True, metavar="ACTION")
    k = st.add_parser("verify", help="check FILE.eml's X-Postseal-Verdict (exit 0 valid, 3 not valid)")
    k.add_argument("file", help="the message as received, or - for standard input")
    k.add_argument("--recipients", help="envelope recipients, comma-separated (default: To, Cc, Bcc)")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stamp)


def cmd_send(args: argparse.Namespace) -> int:
    raw = read_file(args.file)
    client = AgentClient.discover()
    submission = client.submit(raw)
    record = client.wait(submission.id, args.timeout) if args.wait else client.message(submission.id)
    if submission.duplicate:  # the agent keeps one copy per Message-ID (agent/service/agent.py): nothing new went out
        record = {**record, "duplicate": True}
        print(f"already submitted as {submission.id}: not sent again", file=sys.stderr)
    emit(record, args.json, message_table(record, full=args.verbose))
    if record["state"] == "held":
        print(f"held: {record['reason']}", file=sys.stderr)
        return HELD
    if args.wait and record["state"] not in ("delivered", "failed"):
        print(f"not delivered yet ({record['state']}: {record['reason']}); it stays in the outbox", file=sys.stderr)
        return FAILED
    return exit_for_state(record["state"]) if args.wait else OK


def cmd_bounce(args: argparse.Namespace) -> int:
    raw = sys.stdin.buffer.read() if args.file == "-" else read_file(args.file)
    result = AgentClient.discover().bounce(raw)
    rows = [
        [r["address"], r["action"], r["status"], r["state"], shorten(r["diagnostic"], 60)] for r in result["recipients"]
    ]
    text = f"{result['id']}:\n" + table(rows, ["recipient", "action", "status", "state now", "diagnostic"])
    if result["unmatched"]:
        text += f"\nnot recipients of this message: {', '.join(result['unmatched'])}"
    emit(result, args.json, text)
    return OK


def cmd_status(args: argparse.Namespace) -> int:
    record = AgentClient.discover().message(args.id)
    emit(record, args.json, message_table(record, full=args.verbose))
    return exit_for_state(record["state"])  # the same state, the same code as `send --wait`


def cmd_outbox(args: argparse.Namespace) -> int:
    messages = AgentClient.discover().outbox()
    emit({"messages": messages}, args.json, outbox_table(messages, full=args.verbose))
    return OK


def cmd_stamp(args: argparse.Namespace) -> int:
    raw = read_file(args.file) if args.file != "-" else sys.stdin.buffer.read()
    recipients = [r.strip() for r in args.recipients.split(",") if r.strip()] if args.recipients else None
    result = AgentClient.discover().verify_stamp(raw, recipients)
    text = (
        f"valid: verdict {result['verdict']}, seen {result['seen_before']} time(s) before"
        if result["valid"]
        else f"not valid: {result['reason']}"
    )
    emit(result, args.json, text)
    return OK if result["valid"] else HELD
