"""What a person does to one message, from a terminal (an admin over SSH, as in the tray):
`postseal release ID --note`, `retry ID`, `send-via-portal ID`, and `audit verify`'s guard.

The actions go through the running agent's API (agent/api/client.py), never around it: the
agent owns the outbox and writes the audit record of who did what. Exit codes follow
DESIGN.md in every command alike (agent/cli.py `failure`): an unknown id is 2, a message
whose state does not allow the action is 2 (the API's 409), an action the organization
forbids is 3 (403), no agent is 4.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agent.api.client import AgentClient
from agent.cli_errors import BAD_INPUT, OK, CliError
from agent.cli_output import emit


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("release", help="send a held message on after review (the note goes into the audit log)")
    p.add_argument("id", help="the outbox id (postseal outbox)")
    p.add_argument("--note", default="", help="why it may go: who reviewed it and what they checked")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("retry", help="try a message's deferred recipients now instead of at the next scheduled try")
    p.add_argument("id", help="the outbox id (postseal outbox)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_retry)

    p = sub.add_parser("send-via-portal", help="send a message's undelivered external recipients a secure portal "
                                               "link instead (e.g. when their key or TLS keeps failing)")
    p.add_argument("id", help="the outbox id (postseal outbox)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_send_via_portal)


def _plural(count: int, one: str) -> str:
    return f"{count} {one}{'' if count == 1 else 's'}"


def cmd_release(args: argparse.Namespace) -> int:
    count = AgentClient.discover().release(args.id, args.note)
    emit({"id": args.id, "released": count, "note": args.note}, args.json,
         f"released {_plural(count, 'recipient')} of {args.id} after review; they are sent as planned"
         + ("" if args.note else " (no note: add one with --note next time, the audit log keeps it)"))
    return OK


def cmd_retry(args: argparse.Namespace) -> int:
    count = AgentClient.discover().retry(args.id)
    emit({"id": args.id, "retried": count}, args.json,
         f"{args.id}: trying {_plural(count, 'recipient')} now (see: postseal status {args.id})")
    return OK


def cmd_send_via_portal(args: argparse.Namespace) -> int:
    count = AgentClient.discover().send_via_portal(args.id)
    emit({"id": args.id, "rerouted": count}, args.json,
         f"{args.id}: {_plural(count, 'recipient')} now get a secure portal link (see: postseal status {args.id})")
    return OK


def require_audit_log(home: Path, action: str) -> None:
    """`audit verify|export` on a folder with no log: said, and nothing created (opening the log
    would make a signing key and a file, and then report an empty log as intact)."""
    if not (home / "audit.log").is_file() and not (home / "audit.head").is_file():
        where = "does not exist" if not home.exists() else "holds no audit log (audit.log)"
        raise CliError(f"{home} {where}: nothing to {action}; point POSTSEAL_HOME at the agent's data "
                       "directory", BAD_INPUT)
