"""The audit log: append-only JSON lines, each record hash-chained to the one before.

Record n holds `prev` = hash of record n-1 and `hash` = SHA-256 over its own canonical JSON
(without `hash`). Changing, removing or reordering a record breaks the chain at that record.
Cutting records off the end would not, so the head (last seq and hash) is kept beside the log
with an HMAC under a key from the OS keyring: a truncated or rebuilt log no longer matches a
head that only the agent's user can sign.

What a record may hold: who, when, recipients, method, key fingerprints, findings' types and
counts, the relay's reply. Never a body, a subject, an attachment or a detected value:
`append` refuses any field outside `ALLOWED_FIELDS`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import secret_store

GENESIS = "0" * 64
ALLOWED_FIELDS = frozenset(
    {"event", "message", "message_id", "sender", "recipients", "method", "key_fingerprint",
     "findings", "rule", "action", "reason", "reply", "tls", "portal_id", "state", "detail"}
)
CSV_FIELDS = ("seq", "time", "event", "message", "message_id", "sender", "recipients", "method",
              "state", "key_fingerprint", "portal_id", "rule", "findings", "reason", "reply", "tls", "hash")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    problem: str = ""  # names the first bad record


def _digest(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class AuditLog:
    def __init__(self, home: Path) -> None:
        self.path = home / "audit.log"
        self.head_path = home / "audit.head"
        self._key = secret_store.get_or_create(home, "audit-key")
        self._lock = threading.Lock()
        self._seq, self._last = self._read_tail()

    def _mac(self, seq: int, digest: str) -> str:
        return hmac.new(self._key, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()

    def _read_tail(self) -> tuple[int, str]:
        if not self.head_path.exists():
            return 0, GENESIS
        head = json.loads(self.head_path.read_text())
        return int(head["seq"]), str(head["hash"])

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        unknown = set(fields) - ALLOWED_FIELDS
        if unknown:  # a programming error, caught by tests: content must never reach the log
            raise ValueError(f"audit field(s) not allowed: {sorted(unknown)}")
        with self._lock:
            record: dict[str, Any] = {
                "seq": self._seq + 1,
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "event": event,
                **{k: v for k, v in fields.items() if v not in (None, "", [], {})},
                "prev": self._last,
            }
            record["hash"] = _digest(record)
            line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            self._seq, self._last = record["seq"], record["hash"]
            self._write_head()
        return record

    def _write_head(self) -> None:
        head = {"seq": self._seq, "hash": self._last, "mac": self._mac(self._seq, self._last)}
        tmp = self.head_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:  # durable like the log itself: a head older than the log reads as tampering
            os.write(fd, json.dumps(head).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.head_path)

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def verify(self) -> VerifyResult:
        previous, count = GENESIS, 0
        if self.path.exists():
            with self.path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        return VerifyResult(False, count, f"record at line {number} is not valid JSON")
                    seq = record.get("seq")
                    if seq != count + 1:
                        return VerifyResult(False, count, f"record at line {number} has seq {seq}, expected {count + 1} (removed or reordered)")
                    if record.get("prev") != previous:
                        return VerifyResult(False, count, f"record {seq} (line {number}) does not follow record {count}: removed, reordered or changed")
                    if _digest(record) != record.get("hash"):
                        return VerifyResult(False, count, f"record {seq} (line {number}) was changed: its hash does not match its content")
                    previous, count = record["hash"], count + 1
        if not self.head_path.exists():
            if count:
                return VerifyResult(False, count, f"{self.head_path.name} is missing: the log cannot be checked for truncation")
            return VerifyResult(True, 0)
        head = json.loads(self.head_path.read_text())
        if not hmac.compare_digest(str(head.get("mac", "")), self._mac(int(head.get("seq", -1)), str(head.get("hash", "")))):
            return VerifyResult(False, count, f"{self.head_path.name} is not signed by this agent's key")
        if head["seq"] != count or head["hash"] != previous:
            return VerifyResult(False, count, f"log ends at record {count} but the signed head is record {head['seq']}: records were removed from the end")
        return VerifyResult(True, count)

    def export(self, fmt: str) -> str:
        records = self.records()
        if fmt == "json":
            return json.dumps(records, indent=2, ensure_ascii=False)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            row = {k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in record.items()}
            writer.writerow(row)
        return out.getvalue()
