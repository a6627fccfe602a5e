"""The portal store's interface: what every backend (SqlitePortalStore in store.py for the
embedded portal, PostgresPortalStore in store_pg.py for an organization's) answers, with the
same meaning. access.py and server.py know only this.

Every limit (tries, lockouts, code issue, code use) is ONE atomic statement in the backend's
database, never a read followed by a write: several portal processes behind one proxy share
one limit because the database does the counting. Sealed bytes go through a BlobStore
(blobs.py), never into the state database.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# The agent that owns a message written before agents were enrolled (store migrations set it
# on existing rows), and the id under which a portal adopts its one pre-enrolment upload token
# (agent/portal/enrolment.py): the embedded portal's own agent, or a standalone portal's
# legacy shared token until the administrator revokes it.
LOCAL_AGENT = "local"


@dataclass(frozen=True)
class Sealed:
    id: str
    sender: str
    recipient: str
    created: float
    expires: float
    revoked: float | None
    size: int
    passcode: str | None  # a digest of the sender's passcode, when they chose one
    code_hash: str | None
    code_expires: float | None
    code_tries: int
    locked_until: float | None
    codes_sent: tuple[float, ...]
    opened: float | None
    warned: float | None
    agent: str = LOCAL_AGENT  # the enrolled agent that uploaded it: the only one that sees or acts on it

    def expired(self, now: float | None = None) -> bool:
        return (now or time.time()) >= self.expires


class PortalStore(Protocol):
    # --- sealed messages
    def put(
        self,
        ident: str,
        blob: bytes,
        sender: str,
        recipient: str,
        expires: float,
        passcode: str | None = None,
        agent: str = LOCAL_AGENT,
    ) -> bool:
        """False (nothing changed) when `ident` is already there."""

    def get(self, ident: str) -> Sealed | None: ...

    def blob(self, ident: str) -> bytes | None: ...

    def update(self, ident: str, **fields: Any) -> None:
        """Plain fields only (opened, warned); never a limit."""

    # --- verification: one atomic statement each
    def issue_code(
        self,
        ident: str,
        code_hash: str,
        code_expires: float,
        sent_before: tuple[float, ...],
        sent_now: tuple[float, ...],
        now: float,
    ) -> bool: ...

    def count_wrong_try(self, ident: str, max_tries: int, lock_until: float, now: float) -> tuple[int, bool] | None: ...

    def consume_code(self, ident: str, code_hash: str, now: float) -> bool: ...

    def accept_passcode(self, ident: str, passcode_hash: str, now: float) -> bool: ...

    def revoke(self, ident: str) -> bool: ...

    def purge_expired(self, now: float | None = None) -> list[str]:
        """Delete the ciphertext of expired messages not yet swept; each is listed until its
        deletion succeeded, then never again."""

    def unswept(self, cutoff: float) -> list[str]:
        """Unrevoked messages expired at or before `cutoff` whose ciphertext is not yet known to be gone."""

    def mark_swept(self, idents: Iterable[str], now: float) -> None:
        """These messages' ciphertext is gone: unswept() and purge_expired() skip them from now on."""

    def note_expired(self, now: float | None = None) -> list[str]:
        """Messages that expired since the last call: each gets its one "expired" event here,
        in the same transaction that marks it noted, so no expiry is recorded twice (however
        many instances sync at once) and none is lost."""

    # --- sessions
    def add_session(self, token: str, ident: str, expires: float) -> None: ...

    def session_valid(self, token: str, ident: str) -> bool: ...

    # --- rate limits: one atomic statement per hit, shared by every instance
    def hit(self, key: str, window: float, now: float) -> tuple[int, float]:
        """Count one hit on `key` in the fixed window of `window` seconds that holds `now`:
        (hits in that window, this one included; when the window ends). The key is kept as
        a digest (it may hold a client address); windows that ended are pruned."""

    # --- events the agent collects
    def event(self, ident: str, kind: str, detail: str = "") -> None: ...

    def events_since(self, seq: int, limit: int = 500, agent: str | None = None) -> list[dict]:
        """Events after `seq`; with `agent`, only those of that agent's messages."""

    def expiring(self, within: float, now: float | None = None, agent: str | None = None) -> list[Sealed]: ...

    # --- replies
    def put_reply(self, reply_id: str, ident: str, blob: bytes) -> None: ...

    def replies(self, agent: str | None = None) -> list[dict]:
        """Replies waiting; with `agent`, only those to that agent's messages."""

    def reply_blob(self, reply_id: str) -> bytes | None: ...

    def drop_reply(self, reply_id: str) -> bool: ...

    # --- enrolled agents (agent/portal/enrolment.py): only digests of codes and credentials
    def add_enrolment_code(self, code_hash: str, uses: int, expires: float, now: float) -> None: ...

    def use_enrolment_code(self, code_hash: str, now: float) -> bool:
        """One use of a code that is unexpired and has uses left, counted in one statement."""

    def add_agent(self, agent_id: str, name: str, credential_hash: str, now: float) -> bool:
        """False (nothing changed) when the id or the credential is already there."""

    def agent_of(self, credential_hash: str) -> str | None:
        """The enrolled, unrevoked agent holding this credential, or None."""

    def agents(self) -> list[dict]: ...

    def claim(self, ident: str, agent: str) -> bool:
        """`agent` owns the message now if it did or it was LOCAL_AGENT's (a message uploaded
        with the shared token of before enrolment); False otherwise, nothing changed."""

    def revoke_agent(self, agent_id: str, now: float) -> bool: ...

    def close(self) -> None: ...
