"""What a person does to one message, from a terminal (an admin over SSH, as in the tray):
`postseal release ID --note`, `retry ID`, `send-via-portal ID` and `revoke ID`.

The actions go through the running agent's API (agent/api/client.py), never around it: the
agent owns the outbox and writes the audit record of who did what. Exit codes follow
DESIGN.md in every command alike (agent/cli/errors.py `failure`): an unknown id is 2, a
message whose state does not allow the action is 2 (the API's 409), an action the
organization forbids is 3 (403), no agent is 4.
"""

from __future__ import annotations

import argparse
from typing import Any

from agent.api.client import AgentClient
from agent.cli.errors import OK
from agent.cli.output import emit


def add_release(sub: Any) -> None:
    p = sub.add_parser("release", help="send a held message on after review (the note goes into the audit log)")
    p.add_argument("id", help="the outbox id (postseal outbox)")
    p.add_argument("--note", default="", help="why it may go: who reviewed it and what they checked")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_release)


def add_retry(sub: Any) -> None:
    p = sub.add_parser("retry", help="try a message's deferred recipients now instead of at the next scheduled try")
    p.add_argument("id", help="the outbox id (postseal outbox)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_retry)


def add_send_via_portal(sub: Any) -> None:
    p = sub.add_parser(
        "send-via-portal",
        help="send a message's undelivered external recipients a secure portal "
        "link instead (e.g. when their key or TLS keeps failing)",
    )
    p.add_argument("id", help="the outbox id (postseal outbox)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_send_via_portal)


def add_revoke(sub: Any) -> None:
    p = sub.add_parser("revoke", help="withdraw a message's secure portal copies (the links stop working)")
    p.add_argument("id", help="the outbox id (postseal outbox)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_revoke)


def _plural(count: int, one: str) -> str:
    return f"{count} {one}{'' if count == 1 else 's'}"


def cmd_release(args: argparse.Namespace) -> int:
    count = AgentClient.discover().release(args.id, args.note)
    emit(
        {"id": args.id, "released": count, "note": args.note},
        args.json,
        f"released {_plural(count, 'recipient')} of {args.id} after review; they are sent as planned"
        + ("" if args.note else " (no note: add one with --note next time, the audit log keeps it)"),
    )
    return OK


def cmd_retry(args: argparse.Namespace) -> int:
    count = AgentClient.discover().retry(args.id)
    emit(
        {"id": args.id, "retried": count},
        args.json,
        f"{args.id}: trying {_plural(count, 'recipient')} now (see: postseal status {args.id})",
    )
    return OK


def cmd_send_via_portal(args: argparse.Namespace) -> int:
    count = AgentClient.discover().send_via_portal(args.id)
    emit(
        {"id": args.id, "rerouted": count},
        args.json,
        f"{args.id}: {_plural(count, 'recipient')} now get a secure portal link (see: postseal status {args.id})",
    )
    return OK


def cmd_revoke(args: argparse.Namespace) -> int:
    """The portal copies of a message can no longer be opened (their ciphertext is deleted)."""
    count = AgentClient.discover().revoke(args.id)  # unknown id or no portal copy: 2, as everywhere (failure)
    emit(
        {"id": args.id, "revoked": count},
        args.json,
        f"revoked {count} portal cop{'y' if count == 1 else 'ies'} of {args.id}: the links no longer open anything",
    )
    return OK
