"""Audit exports an auditor verifies away from the agent, with nothing but the file.

`postseal audit export --format json` (and the tray's JSON export, `GET /v1/audit/export?format=json`)
write one JSON document:

    {"format": "postseal-audit-export", "version": 1,
     "head": {"seq": N, "hash": "<record N's hash>", "records": N, "exported": "<UTC time>",
              "key_id": "<16 hex digits>"},
     "signature": "<base64url Ed25519 signature over the canonical head>",
     "public_key": {"algorithm": "Ed25519", "key_id": "<16 hex digits>", "pem": "-----BEGIN PUBLIC KEY-----…"},
     "records": [the log's records, as written]}

Why a signature of its own: the log's signed head (`audit.head`) is an HMAC under a key only
the agent holds, and whoever could check it could also forge it. An export is signed with an
Ed25519 key instead (kept like the agent's other secrets; its public half travels in the
export), and only after the log verified on this computer, chain and HMAC head: an export
vouches for nothing the agent could not vouch for itself.

`postseal audit verify --file EXPORT` then checks, offline: the records form an unbroken hash
chain (agent.audit.Chain, the same check as for the log on disk, naming the first bad record),
the signed head names the last record, and the signature is by the key the export names. A
forger could sign a forged export with a key of their own, so the key's id is printed, and
`--key-id` refuses any other: an auditor notes the id once, from an export made on the clinic's
computer (or `GET /v1/audit/export`), and pins it afterwards.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from agent import secret_store
from agent.audit import GENESIS, AuditLog, Chain
from agent.stamp import key_id as ed25519_key_id

FORMAT = "postseal-audit-export"
VERSION = 1
SECRET = "audit-export-key"
# Domain separation: a signature over an export head can never pass for any other signed thing.
CONTEXT = b"postseal-audit-export-v1\n"


class NotIntact(Exception):
    """The log on this computer does not verify: it is not exported as evidence."""


class BadExport(ValueError):
    """The file cannot be read as an export at all (bad input, exit 2)."""


@dataclass(frozen=True)
class ExportCheck:
    ok: bool
    records: int
    key_id: str = ""
    exported: str = ""
    problem: str = ""  # names the first bad record or field


def _canonical(head: dict[str, Any]) -> bytes:
    return CONTEXT + json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_export(log: AuditLog) -> dict[str, Any]:
    """The verified records with a head signed by this agent's audit export key."""
    result = log.verify()
    if not result.ok:
        raise NotIntact(
            f"audit log NOT intact: {result.problem}; not exported (an export vouches only for a log that verifies)"
        )
    records = log.records()[: result.records]  # records appended since the check wait for the next export
    key = Ed25519PrivateKey.from_private_bytes(secret_store.get_or_create(log.path.parent, SECRET))
    public = key.public_key()
    ident = ed25519_key_id(public)
    head = {
        "seq": result.records,
        "hash": records[-1]["hash"] if records else GENESIS,
        "records": result.records,
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        "key_id": ident,
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "head": head,
        "signature": _b64(key.sign(_canonical(head))),
        "public_key": {
            "algorithm": "Ed25519",
            "key_id": ident,
            "pem": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
        },
        "records": records,
    }


def export_text(log: AuditLog, fmt: str) -> str:
    """`csv` for a spreadsheet; `json` the signed export."""
    if fmt == "json":
        return json.dumps(signed_export(log), indent=2, ensure_ascii=False) + "\n"
    return log.export(fmt)


def _document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadExport(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadExport(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadExport(
            f"{path}: not JSON (line {exc.lineno}: {exc.msg}); an audit export is what "
            "`postseal audit export --format json` writes"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BadExport(
            f'{path}: not a Postseal audit export (no "format": "{FORMAT}"); a CSV export or an '
            "earlier release's JSON list cannot be verified: export again with --format json"
        )
    if document.get("version") != VERSION:
        raise BadExport(
            f"{path}: audit export version {document.get('version')!r}; this release reads "
            f"version {VERSION}: verify it with the release that wrote it, or a newer one"
        )
    return document


def _public_key(document: dict[str, Any]) -> tuple[Ed25519PublicKey | None, str]:
    described = document.get("public_key")
    if not isinstance(described, dict) or not isinstance(described.get("pem"), str):
        return None, 'the export names no public key ("public_key": {"pem": …})'
    try:
        public = load_pem_public_key(described["pem"].encode())
    except ValueError:
        return None, "the export's public key is not a PEM public key"
    if not isinstance(public, Ed25519PublicKey):
        return None, "the export's public key is not an Ed25519 key"
    ident = ed25519_key_id(public)
    if described.get("key_id") != ident:
        return None, f"the export's public key has id {ident}, not the {described.get('key_id')!r} it names"
    return public, ident


def _signature(document: dict[str, Any]) -> bytes | None:
    text = document.get("signature")
    if not isinstance(text, str):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def verify_export(path: Path, expected_key: str | None = None) -> ExportCheck:
    """Chain, head and signature of an export, using nothing but the file (and the key id the
    auditor pinned, if any). BadExport when the file is not an export at all."""
    document = _document(path)
    records = document.get("records")
    if not isinstance(records, list):
        return ExportCheck(False, 0, problem='the export has no "records" list')
    chain = Chain()
    for number, record in enumerate(records, 1):
        if not chain.add(f"entry {number} of the export", record):
            return ExportCheck(False, chain.count, problem=chain.problem)
    head = document.get("head")
    if not isinstance(head, dict):
        return ExportCheck(False, chain.count, problem='the export has no signed "head"')
    public, ident = _public_key(document)
    if public is None:
        return ExportCheck(False, chain.count, problem=ident)
    exported = str(head.get("exported", ""))
    check = lambda problem: ExportCheck(False, chain.count, ident, exported, problem)  # noqa: E731
    if expected_key and ident != expected_key.lower():
        return check(f"signed by key {ident}, not by the key {expected_key} you expected")
    if head.get("key_id") != ident:
        return check(f"the signed head names key {head.get('key_id')!r}, but the export carries key {ident}")
    signature = _signature(document)
    try:
        public.verify(signature or b"", _canonical(head))
    except InvalidSignature:
        return check(
            f"the head's signature is not valid for key {ident}: the head was changed or signed by another key"
        )
    seq = head.get("seq")
    if head.get("records") != seq or not isinstance(seq, int):
        return check("the signed head is malformed (seq and records differ)")
    if seq > chain.count:
        return check(
            f"the export ends at record {chain.count} but its signed head is record {seq}: "
            "records were removed from the end"
        )
    if seq < chain.count:
        return check(f"records {seq + 1}–{chain.count} were added after the head was signed")
    if head.get("hash") != chain.previous:
        return check(f"record {seq} does not match the signed head: the records were rebuilt")
    return ExportCheck(True, chain.count, ident, exported)
