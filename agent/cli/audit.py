"""`postseal audit verify` and `audit export`: the audit log as evidence
(agent/audit_evidence.py).

`verify --file EXPORT` reads only the export: no data directory, agent or keyring is needed
or created. Without --file, this computer's log: through the running agent's API (GET
/v1/audit/verify, /v1/audit/export) when one runs (agent/cli/running.py; one that does not
answer in time is exit 4, never opened beside it), else opened here (agent/audit.py).
Opening the log is not read-only — it cuts a torn last record and notes the repair, and
carries the head forward — so while the agent writes the log, only the agent opens it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent.api.client import ApiError, AuditCheck
from agent.audit import AuditLog, VerifyResult
from agent.audit_evidence import BadExport, NotIntact, export_text, verify_export
from agent.cli.errors import BAD_INPUT, FAILED, OK, CliError
from agent.cli.running import running_agent


def add_parser(sub: Any) -> None:
    p = sub.add_parser("audit", help="verify or export the audit log")
    aud = p.add_subparsers(dest="audit_cmd", required=True, metavar="ACTION")
    k = aud.add_parser(
        "verify", help="check the hash chain and the signed head (of this computer's log, or of an export)"
    )
    k.add_argument("--json", action="store_true")
    k.add_argument("--file", metavar="EXPORT", help="verify an export (audit export --format json), offline")
    k.add_argument("--key-id", metavar="ID", help="with --file: refuse an export signed by any other key")
    k = aud.add_parser("export", help="print the log as CSV, or as JSON signed for verification elsewhere")
    k.add_argument("--format", choices=("csv", "json"), default="json")
    p.set_defaults(func=cmd_audit)


def cmd_audit(args: argparse.Namespace) -> int:
    if args.audit_cmd == "verify" and args.file:  # an export, away from any agent
        return verify_file(args.file, args.key_id, args.json)
    home = config_mod.home_dir()
    require_audit_log(home, args.audit_cmd)
    client = running_agent(home)
    if client is not None:
        if args.audit_cmd == "verify":
            return show_verify(client.audit_verify(), args)
        return print_export(lambda: client.audit_export(args.format))
    log = AuditLog(home)  # no agent runs (or a crashed one's stale agent.json): nothing else writes the log
    if args.audit_cmd == "verify":
        return show_verify(log.verify(), args)
    return print_export(lambda: export_text(log, args.format))


def show_verify(result: AuditCheck | VerifyResult, args: argparse.Namespace) -> int:
    """The log's check, from the agent (AuditCheck) or read here (VerifyResult): the same fields."""
    if args.json:
        print(
            json.dumps(
                {"ok": result.ok, "records": result.records, "unsigned": result.unsigned, "problem": result.problem}
            )
        )
    elif result.ok:
        tail = f"; the last {result.unsigned} written after the last signed checkpoint" if result.unsigned else ""
        print(f"audit log intact: {result.records} records, chain and signed head verified{tail}")
    else:
        print(f"audit log NOT intact: {result.problem}", file=sys.stderr)
    return OK if result.ok else FAILED


def require_audit_log(home: Path, action: str) -> None:
    """`audit verify|export` on a folder with no log: said, and nothing created (opening the log
    would make a signing key and a file, and then report an empty log as intact)."""
    if not (home / "audit.log").is_file() and not (home / "audit.head").is_file():
        where = "does not exist" if not home.exists() else "holds no audit log (audit.log)"
        raise CliError(
            f"{home} {where}: nothing to {action}; point POSTSEAL_HOME at the agent's data directory", BAD_INPUT
        )


def verify_file(path: str, key_id: str | None, as_json: bool) -> int:
    """Exit 0 when the export verifies, 1 naming the first bad record, 2 when it is no export."""
    try:
        check = verify_export(Path(path), key_id)
    except BadExport as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": {"code": "bad_input", "message": str(exc)}}))
        else:
            print(f"postseal: {exc}", file=sys.stderr)
        return BAD_INPUT
    if as_json:
        print(
            json.dumps(
                {
                    "ok": check.ok,
                    "records": check.records,
                    "key_id": check.key_id,
                    "exported": check.exported,
                    "problem": check.problem,
                }
            )
        )
    elif check.ok:
        print(
            f"audit export intact: {check.records} records, chain and signed head verified; "
            f"exported {check.exported}, signed by Ed25519 key {check.key_id}"
        )
    else:
        print(f"audit export NOT intact: {path}: {check.problem}", file=sys.stderr)
    return OK if check.ok else FAILED


def print_export(text: Callable[[], str]) -> int:
    """The export on stdout; a log that is not intact is one line and exit 1, not an export
    (agent/audit_evidence.py NotIntact here, the API's 409 audit_not_intact there)."""
    try:
        sys.stdout.write(text())
    except NotIntact as exc:
        print(f"postseal: {exc}", file=sys.stderr)
        return FAILED
    except ApiError as exc:
        if exc.code != "audit_not_intact":
            raise
        print(f"postseal: {exc}", file=sys.stderr)
        return FAILED
    return OK
