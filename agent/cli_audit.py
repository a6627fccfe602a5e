"""`postseal audit verify --file EXPORT` and `audit export`: the audit log as evidence
(agent/audit_evidence.py). Kept out of agent/cli.py, which only wires the arguments."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from agent.audit import AuditLog
from agent.audit_evidence import BadExport, NotIntact, export_text, verify_export

OK, FAILED, BAD_INPUT = 0, 1, 2


def verify_file(path: str, key_id: str | None, as_json: bool) -> int:
    """Exit 0 when the export verifies, 1 naming the first bad record, 2 when it is no export.
    Reads only the file: no data directory, agent or keyring is needed or created."""
    try:
        check = verify_export(Path(path), key_id)
    except BadExport as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": {"code": "bad_input", "message": str(exc)}}))
        else:
            print(f"postseal: {exc}", file=sys.stderr)
        return BAD_INPUT
    if as_json:
        print(json.dumps({"ok": check.ok, "records": check.records, "key_id": check.key_id,
                          "exported": check.exported, "problem": check.problem}))
    elif check.ok:
        print(f"audit export intact: {check.records} records, chain and signed head verified; "
              f"exported {check.exported}, signed by Ed25519 key {check.key_id}")
    else:
        print(f"audit export NOT intact: {path}: {check.problem}", file=sys.stderr)
    return OK if check.ok else FAILED


def export(log: AuditLog, fmt: str) -> int:
    try:
        sys.stdout.write(export_text(log, fmt))
    except NotIntact as exc:
        print(f"postseal: {exc}", file=sys.stderr)
        return FAILED
    return OK
