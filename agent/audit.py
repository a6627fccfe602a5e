"""The audit log: append-only JSON lines, each record hash-chained to the one before.

Record n holds `prev` = hash of record n-1 and `hash` = SHA-256 over its own canonical JSON
(without `hash`). Changing, removing or reordering a record breaks the chain at that record.
Cutting records off the end would not, so a signed checkpoint (seq and hash of the newest
record, with an HMAC under a key from the OS keyring) is kept in `audit.head`: a truncated or
rebuilt log no longer matches a head that only the agent's user can sign. Checkpoints are
group commits (one fsync for every record of the last CHECKPOINT_INTERVAL, and at shutdown):
records after the last checkpoint, a crash's last half second, are chained but reported as
unsigned by `verify`. The two fsyncs of a checkpoint run on the log's own thread
(`checkpoint_soon`), never on the caller's: the agent's event loop, which accepts mail, must
not wait for the disk to sign the head. `checkpoint` and `close` sign synchronously.

What a record may hold: who, when, recipients, method, key fingerprints, findings' types and
counts, the relay's reply. Never a body, a subject, an attachment or a detected value:
`append` refuses any field outside `ALLOWED_FIELDS`.

The format's version is the head's "version" (outside the MAC, which vouches for the records):
a log of an earlier release is carried forward when it opens (MIGRATIONS), one of a newer
release refused untouched (agent/store_migrations.py).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import secret_store
from agent.private_file import write_private
from agent.store_migrations import Step, document_version, latest, migrate_document, refuse_newer

log = logging.getLogger(__name__)

GENESIS = "0" * 64
ALLOWED_FIELDS = frozenset(
    {
        "event",
        "message",
        "message_id",
        "sender",
        "recipients",
        "method",
        "key_fingerprint",
        "findings",
        "rule",
        "action",
        "reason",
        "reply",
        "tls",
        "portal_id",
        "state",
        "detail",
        "verdict",
        "client",  # verdict: a stamp's id; client: the door a draft came through
        "proof",
    }  # how a copy left, structured (model.Proof: method, reply, TLS, key, portal id, time)
)
CSV_FIELDS = (
    "seq",
    "time",
    "event",
    "message",
    "message_id",
    "sender",
    "recipients",
    "method",
    "state",
    "key_fingerprint",
    "portal_id",
    "rule",
    "findings",
    "reason",
    "reply",
    "tls",
    "verdict",
    "client",
    "hash",
)


# Release 0.1.0 wrote the records and the head as they are still written; its heads carry no
# version (0), and step 1 only marks them.
MIGRATIONS = (Step(1, "the log and signed head of release 0.1.0, unchanged", lambda log: None),)


def _head_document(path: Path) -> dict | None:
    """The signed head as written; None when there is none, or it is damaged (`verify` says so)."""
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or damaged
        return None
    return head if isinstance(head, dict) else None


def check_version(home: Path) -> None:
    """NewerData when the audit log in `home` was written by a newer Postseal (nothing is changed)."""
    path = home / "audit.head"
    head = _head_document(path)
    refuse_newer("audit log", path, document_version("audit log", path, head) if head else 0, MIGRATIONS)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    problem: str = ""  # names the first bad record
    unsigned: int = 0  # chained records after the last signed checkpoint (a crash's last moments)


def _digest(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Chain:
    """Checks records one at a time, in order: each must carry the next seq, name the one
    before as `prev`, and hash to its own `hash`. Shared by the log on disk (`where` is a line)
    and an export read away from the agent (agent/audit_evidence.py, `where` is an entry)."""

    def __init__(self) -> None:
        self.count = 0
        self.previous = GENESIS
        self.hashes: dict[int, str] = {}
        self.problem = ""

    def add(self, where: str, item: str | dict[str, Any]) -> bool:
        """False, with `problem` naming the record, at the first record that breaks the chain."""
        record: Any = item
        if isinstance(item, str):
            try:
                record = json.loads(item)
            except json.JSONDecodeError:
                return self._fail(f"record at {where} is not valid JSON")
        if not isinstance(record, dict):
            return self._fail(f"record at {where} is not a record (a JSON object)")
        seq = record.get("seq")
        expected = self.count + 1
        if seq != expected:
            return self._fail(f"record at {where} has seq {seq}, expected {expected} (removed or reordered)")
        if record.get("prev") != self.previous:
            return self._fail(
                f"record {seq} ({where}) does not follow record {self.count}: removed, reordered or changed"
            )
        if _digest(record) != record.get("hash"):
            return self._fail(f"record {seq} ({where}) was changed: its hash does not match its content")
        self.previous, self.count = record["hash"], expected
        self.hashes[expected] = self.previous
        return True

    def _fail(self, problem: str) -> bool:
        self.problem = problem
        return False


class AuditLog:
    CHECKPOINT_INTERVAL = 0.5  # seconds: the most a crash can leave chained but unsigned

    def __init__(self, home: Path) -> None:
        self.path = home / "audit.log"
        self.head_path = home / "audit.head"
        check_version(home)  # a newer release's log: refused before a torn record is cut or a key fetched
        self._key = secret_store.get_or_create(home, "audit-key", in_use=self._signed_before)
        self._lock = threading.Lock()  # the chain: seq, last hash, the file's descriptor
        self._signing = threading.Lock()  # one checkpoint at a time (it writes the head)
        self._soon = threading.Event()  # a checkpoint is asked of the signer thread
        self._stop = threading.Event()  # close(): the signer stops waiting out its interval
        self._signer: threading.Thread | None = None
        self._closing = False
        self.checkpoint_problem = ""  # why the last background checkpoint failed; "" when it did not
        self._fd: int | None = None
        self._torn = 0
        self._seq, self._last = self._read_tail()
        self._signed_seq = self._seq
        self._last_checkpoint = time.monotonic()
        self._carry_forward()
        if self._torn:
            self.append("log_repaired", detail=f"cut {self._torn} bytes of a record torn by a crash")

    def _carry_forward(self) -> None:
        """Mark the head with this format's version (a log without a head gets it at its first checkpoint)."""
        head = _head_document(self.head_path)
        if head is not None and migrate_document(head, "audit log", self.head_path, MIGRATIONS, self):
            write_private(self.head_path, json.dumps(head).encode())

    def _signed_before(self) -> str:
        """What a new key would orphan: a head signed under the old one (truncation proof)."""
        return f"{self.head_path} is signed with it" if self.head_path.exists() else ""

    def _mac(self, seq: int, digest: str) -> str:
        return hmac.new(self._key, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()

    def _read_tail(self) -> tuple[int, str]:
        """The last complete record: appends continue the chain from it, signed or not."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return 0, GENESIS
        with self.path.open("rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 65536))
            tail = handle.read()
            if not tail.endswith(b"\n"):
                # A record torn by power loss mid-write: it never completed, so it is cut,
                # and the cut itself goes on the record (see `repaired` below).
                keep = size - (len(tail) - tail.rfind(b"\n") - 1)
                handle.truncate(keep)
                tail = tail[: tail.rfind(b"\n") + 1]
                self._torn = size - keep
        lines = [line for line in tail.split(b"\n") if line.strip()]
        if not lines:
            return 0, GENESIS
        record = json.loads(lines[-1])
        return int(record["seq"]), str(record["hash"])

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Add a record to the chain. It is written at once (it survives the agent being
        killed); fsync and a signed head follow at the next checkpoint, at most
        CHECKPOINT_INTERVAL later — one fsync for many records instead of one each."""
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
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.write(self._fd, line.encode())
            self._seq, self._last = record["seq"], record["hash"]
            due = time.monotonic() - self._last_checkpoint >= self.CHECKPOINT_INTERVAL
            if due:
                self._last_checkpoint = time.monotonic()  # asked once per interval, not at every record
        if due:
            self.checkpoint_soon()
        return record

    def checkpoint(self) -> None:
        """Make every record so far durable and sign the head, now, on this thread (shutdown,
        `verify` through the agent); raises OSError when the disk refuses."""
        with self._signing:
            with self._lock:  # what is signed: the chain as it stands; appends go on meanwhile
                self._last_checkpoint = time.monotonic()
                seq, last, fd = self._seq, self._last, self._fd
            if self._signed_seq == seq:
                return
            if fd is not None:
                # The records first, then the head that vouches for them. Records appended
                # meanwhile are made durable too; the head names the last one read above.
                os.fsync(fd)
            self._write_head(seq, last)
            self._signed_seq = seq

    def checkpoint_soon(self) -> str:
        """Ask for a checkpoint on the log's signer thread and return at once (the idle worker,
        and every CHECKPOINT_INTERVAL of appends). Requests made while one runs are served by one
        more checkpoint after it. Returns why the last background checkpoint failed ("" if it did not)."""
        with self._lock:
            if self._signed_seq != self._seq and not self._closing:
                if self._signer is None:
                    self._signer = threading.Thread(target=self._sign_when_asked, name="audit-signer", daemon=True)
                    self._signer.start()
                self._soon.set()
        return self.checkpoint_problem

    def _sign_when_asked(self) -> None:
        # Debounced: at most one background checkpoint per CHECKPOINT_INTERVAL. In a trickle of
        # mail the worker goes idle after nearly every message, and a checkpoint each time would
        # put two fsyncs per message on the disk that acceptance's own commits wait for; the
        # requests of an interval are served by one checkpoint at its end. Shutdown (close) and
        # `verify` through the agent sign at once, on their own thread.
        signed_at = -float("inf")
        while True:
            self._soon.wait()
            rest = signed_at + self.CHECKPOINT_INTERVAL - time.monotonic()
            if rest > 0 and not self._closing:
                self._stop.wait(rest)
            self._soon.clear()
            if self._closing:
                return
            signed_at = time.monotonic()
            try:
                self.checkpoint()
                self.checkpoint_problem = ""
            except OSError as exc:  # said by checkpoint_soon's caller (health, tray); asked again later
                self.checkpoint_problem = exc.strerror or str(exc)
                log.error("audit log cannot be made durable: %s", self.checkpoint_problem)

    def _write_head(self, seq: int, last: str) -> None:
        head = {"version": latest(MIGRATIONS), "seq": seq, "hash": last, "mac": self._mac(seq, last)}
        tmp = self.head_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(head).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.head_path)

    def close(self) -> None:
        with self._lock:
            self._closing = True
            signer, self._signer = self._signer, None
        if signer is not None:  # a checkpoint in flight ends first; the last one is made here
            self._stop.set()
            self._soon.set()
            signer.join()
        self.checkpoint()
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def verify(self) -> VerifyResult:
        chain = Chain()
        if self.path.exists():
            with self.path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not chain.add(f"line {number}", line):
                        return VerifyResult(False, chain.count, chain.problem)
        count, hashes = chain.count, chain.hashes
        if not self.head_path.exists():
            if count:
                return VerifyResult(
                    False, count, f"{self.head_path.name} is missing: the log cannot be checked for truncation"
                )
            return VerifyResult(True, 0)
        head = json.loads(self.head_path.read_text())
        seq, digest = int(head.get("seq", -1)), str(head.get("hash", ""))
        if not hmac.compare_digest(str(head.get("mac", "")), self._mac(seq, digest)):
            return VerifyResult(False, count, f"{self.head_path.name} is not signed by this agent's key")
        if seq > count:
            return VerifyResult(
                False,
                count,
                f"log ends at record {count} but the signed head is record {seq}: records were removed from the end",
            )
        if hashes.get(seq, GENESIS) != digest:
            return VerifyResult(False, count, f"record {seq} does not match the signed head: the log was rebuilt")
        return VerifyResult(True, count, unsigned=count - seq)

    def export(self, fmt: str) -> str:
        """The log as CSV, for a spreadsheet. The JSON export is the evidence an auditor verifies
        away from the agent, signed: agent/audit_evidence.py."""
        if fmt != "csv":
            raise ValueError(f"AuditLog.export writes CSV only, not {fmt!r} (JSON: agent.audit_evidence)")
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for record in self.records():
            row = {k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in record.items()}
            writer.writerow(row)
        return out.getvalue()
