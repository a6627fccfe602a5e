"""Enrolled agents: every agent uploads and syncs with a credential of its own, issued at
enrolment, so the portal knows which agent owns which message and refuses agents it does not
know (issue 16 item 4). Before, every agent shared one bearer upload token.

How a fleet enrols (docs/deploy.md, "Enrolling agents with the portal"):
1. The portal's administrator makes an enrolment code, limited in uses and time:
   `postseal portal enrolment-code --uses 200 --expires 7d` (printed once; the portal keeps
   only its digest).
2. Each agent redeems it once: `postseal portal enroll --url https://portal… --code CODE`, or
   by itself at start when managed policy carries `portal.enrolment_code`
   (agent/portal_enrol.py). The portal answers with the agent's own credential, a 256-bit
   random token the agent keeps in its secret store; the portal keeps its SHA-256 digest.
3. `postseal portal agents list` shows who enrolled; `postseal portal agents revoke ID` ends
   one agent's access at once (its next request is refused, 401).

Digests, not a slow password hash: codes and credentials are 144- and 256-bit random tokens
made here, never chosen by a person, so a stolen database cannot be searched for them.

The embedded portal has no enrolment step: its agent is its one agent, LOCAL_AGENT, whose
credential is adopted when the portal starts (`adopt`). A standalone portal of an earlier
release adopts its shared token file the same way, so agents keep working while the
administrator enrols them; `postseal portal agents revoke local` then ends the shared token.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from agent.portal.interface import LOCAL_AGENT, PortalStore, digest

MAX_USES = 100_000
MAX_DAYS = 90
_DURATION = re.compile(r"^(\d{1,4})([mhd])$")
_NAME = re.compile(r"[^\w .@()'-]")  # a name to list, not markup or control characters


class EnrolmentError(Exception):
    """One line saying what is wrong with an enrolment request or command."""


def adopt(store: PortalStore, credential: str, name: str = "this computer's agent") -> None:
    """The credential becomes LOCAL_AGENT's, once (a revoked local agent stays revoked)."""
    if credential:
        store.add_agent(LOCAL_AGENT, name, digest(credential), time.time())


def duration(text: str) -> float:
    """ "90m", "12h", "7d" → seconds (at most MAX_DAYS)."""
    found = _DURATION.match(text.strip())
    if not found:
        raise EnrolmentError(f"--expires {text!r}: give minutes, hours or days, like 30m, 12h or 7d")
    seconds = int(found.group(1)) * {"m": 60, "h": 3600, "d": 86400}[found.group(2)]
    if not 0 < seconds <= MAX_DAYS * 86400:
        raise EnrolmentError(f"--expires {text!r}: an enrolment code lives at most {MAX_DAYS} days")
    return seconds


def new_code(store: PortalStore, uses: int, lifetime: float, now: float | None = None) -> tuple[str, float]:
    """A new enrolment code (shown once; only its digest is kept) and when it lapses."""
    if not 1 <= uses <= MAX_USES:
        raise EnrolmentError(f"--uses {uses}: an enrolment code is good for 1 to {MAX_USES} agents")
    now = now or time.time()
    code = "pse-" + secrets.token_urlsafe(18)
    store.add_enrolment_code(digest(code), uses, now + lifetime, now)
    return code, now + lifetime


@dataclass(frozen=True)
class Enrolled:
    agent: str
    credential: str


def enrol(store: PortalStore, code: str, name: str) -> Enrolled | None:
    """Redeem one use of `code` for a new agent; None when the code is unknown, used up or lapsed."""
    if not code or len(code) > 200 or not store.use_enrolment_code(digest(code), time.time()):
        return None
    clean = _NAME.sub("", name)[:100].strip() or "unnamed agent"
    while True:
        found = Enrolled("a-" + secrets.token_hex(6), secrets.token_urlsafe(32))
        if store.add_agent(found.agent, clean, digest(found.credential), time.time()):
            return found


# --- the administrator's commands (argparse wiring in agent/cli/portal.py) ---------------------------
def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(stamp)) if stamp else "-"


def cmd_code(store: PortalStore, args: argparse.Namespace) -> int:
    code, expires = new_code(store, args.uses, duration(args.expires))
    if args.json:
        print(json.dumps({"code": code, "uses": args.uses, "expires": expires}))
    else:
        print(
            f"{code}\n\nGood for {args.uses} agent(s) until {_when(expires)}. It is shown only this once:\n"
            "give it to the computers to enrol (`postseal portal enroll --url URL --code CODE`, or\n"
            "portal.enrolment_code in managed policy)."
        )
    return 0


def cmd_agents(store: PortalStore, args: argparse.Namespace) -> int:
    if args.agents_cmd == "revoke":
        if not store.revoke_agent(args.id, time.time()):
            raise EnrolmentError(f"no enrolled agent {args.id!r} (or it is already revoked)")
        print(
            json.dumps({"revoked": args.id})
            if args.json
            else f"agent {args.id} revoked: its credential is refused from now on; its messages stay until they expire"
        )
        return 0
    rows = store.agents()
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'AGENT':16} {'ENROLLED':21} {'REVOKED':21} {'MESSAGES':>8}  NAME")
    for row in rows:
        print(
            f"{row['id']:16} {_when(row['enrolled']):21} {_when(row['revoked']):21} {row['messages']:>8}  {row['name']}"
        )
    return 0


def admin_store(args: argparse.Namespace, home: Path, database: str | None) -> PortalStore:
    """The store the admin commands act on: --database (PostgreSQL), else the home's SQLite."""
    if database:
        from agent.portal.blobs import FileBlobStore
        from agent.portal.store_pg import PostgresPortalStore

        # Nothing here touches a blob; the folder is the one `portal serve` uses by default.
        return PostgresPortalStore(database, FileBlobStore(Path(getattr(args, "blobs", None) or home / "portal")))
    from agent.portal.store import SqlitePortalStore

    return SqlitePortalStore(home / "portal")
