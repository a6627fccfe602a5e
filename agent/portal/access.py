"""Who may fetch a sealed message: the recipient, after proving they read their mailbox.

A one-time code (6 digits, valid 10 minutes) goes to the recipient's address in an e-mail of
its own, or the recipient types the passcode the sender chose. Five wrong tries lock the
message for 10 minutes (and void the code); codes are sent at most once a minute and five
times an hour per message; each client address gets 20 attempts a minute across all
messages (counted in the store, so every portal instance shares the count: RateLimiter).
Receipts (an attachment was saved) are recorded once per attachment per session, at most 30
a minute per message and 60 a minute per client address. A right answer opens a 30-minute
session (an HttpOnly cookie scoped to this message). Codes and passcodes are compared as digests, in constant time.

With a link (the key) but without the recipient's mailbox, the ciphertext is not served: a
forwarded notice, or one sitting in the sender's Sent folder at the provider, opens nothing.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from agent.portal.branding import friendly_day
from agent.portal.interface import PortalStore, Sealed, digest

CODE_LIFETIME = 600.0
MAX_TRIES = 5
LOCKOUT = 600.0
CODE_INTERVAL = 60.0
CODES_PER_HOUR = 5
SESSION_LIFETIME = 1800.0
ATTEMPTS_PER_MINUTE = 20
# A receipt writes a record into the portal's events and the agent's audit log: a recipient
# saving every attachment of a large message stays far below these, a script writing
# thousands of records does not.
RECEIPTS_PER_MINUTE = 30  # per message
CLIENT_RECEIPTS_PER_MINUTE = 60  # per client address, across messages
RECEIPT_ONCE = 86400.0  # the window in which one attachment of one session is recorded once


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    retry_after: float = 0.0


def hint(address: str) -> str:
    """j•••@familymail.example: enough to recognise one's own address, not to learn someone's."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def _code_digest(ident: str, code: str) -> str:
    return digest(f"{ident}:{code}")


class RateLimiter:
    """Per-client limits, counted in the store (PortalStore.hit: one atomic statement per
    hit), so two portal instances behind one proxy share the count instead of doubling it.

    Windows are fixed minutes, not sliding ones: a client can spend a minute's allowance at
    the end of one window and again at the start of the next (at most twice the limit in a
    short burst), which one statement per hit buys; the per-message limits still hold.
    """

    def __init__(
        self,
        per_minute: int = ATTEMPTS_PER_MINUTE,
        receipts_per_message: int = RECEIPTS_PER_MINUTE,
        receipts_per_client: int = CLIENT_RECEIPTS_PER_MINUTE,
    ) -> None:
        self.per_minute = per_minute
        self.receipts_per_message = receipts_per_message
        self.receipts_per_client = receipts_per_client

    @staticmethod
    def _over(store: PortalStore, key: str, limit: int, now: float) -> float:
        count, window_end = store.hit(key, 60.0, now)
        return max(window_end - now, 0.001) if count > limit else 0.0

    def allow(self, store: PortalStore, client: str, now: float | None = None) -> float:
        """0 if this client may try a code now, else the seconds to wait."""
        return self._over(store, f"attempts:{client}", self.per_minute, now or time.time())

    def receipt(
        self, store: PortalStore, client: str, ident: str, session: str, index: int, now: float | None = None
    ) -> Refusal | bool:
        """True when this receipt is to be recorded, False when this session already recorded
        this attachment (the answer is the same to the browser: nothing to retry), or why not now."""
        now = now or time.time()
        for key, limit in (
            (f"receipts-client:{client}", self.receipts_per_client),
            (f"receipts:{ident}", self.receipts_per_message),
        ):
            wait = self._over(store, key, limit, now)
            if wait:
                return Refusal(429, "Too many downloads recorded at once. Wait a minute, then try again.", wait)
        count, _ = store.hit(f"receipt:{ident}:{digest(session)}:{index}", RECEIPT_ONCE, now)
        return count == 1


def unavailable(sealed: Sealed | None, now: float | None = None) -> Refusal | None:
    if sealed is None:
        return Refusal(404, "This message does not exist. Check that the link is complete.")
    if sealed.revoked:
        return Refusal(
            410,
            f"The sender withdrew this message on {friendly_day(sealed.revoked)}."
            " Ask them to send it again if you still need it.",
        )
    if sealed.expired(now):
        return Refusal(410, f"This message expired on {friendly_day(sealed.expires)}. Ask the sender to send it again.")
    return None


def locked(sealed: Sealed, now: float | None = None) -> Refusal | None:
    now = now or time.time()
    if sealed.locked_until and sealed.locked_until > now:
        # Minutes from now, not a clock time: the portal's time zone is not the patient's.
        minutes = int((sealed.locked_until - now) // 60) + 1
        return Refusal(
            423,
            f"Too many wrong codes: this message is locked for {minutes} more "
            f"minute{'' if minutes == 1 else 's'}. Then ask for a new code.",
            sealed.locked_until - now,
        )
    return None


def new_code(store: PortalStore, sealed: Sealed, now: float | None = None) -> str | Refusal:
    """A fresh code for the recipient (the caller mails it), or why not now."""
    now = now or time.time()
    refusal = unavailable(sealed, now) or locked(sealed, now)
    if refusal:
        return refusal
    recent = [t for t in sealed.codes_sent if t > now - 3600]
    if recent and now - recent[-1] < CODE_INTERVAL:
        wait = CODE_INTERVAL - (now - recent[-1])
        return Refusal(
            429,
            f"A code was sent less than a minute ago. Check your mailbox, or ask again in {int(wait) + 1} seconds.",
            wait,
        )
    if len(recent) >= CODES_PER_HOUR:
        wait = recent[0] + 3600 - now
        return Refusal(429, f"Five codes were sent in the last hour. Ask again in {int(wait // 60) + 1} minutes.", wait)
    code = f"{secrets.randbelow(10**6):06d}"
    if not store.issue_code(
        sealed.id, _code_digest(sealed.id, code), now + CODE_LIFETIME, sealed.codes_sent, (*recent, now), now
    ):
        # Another request changed the message between our read and this write (a code sent
        # or a lock): the answer is decided again on what is stored now.
        return Refusal(429, "A code was just sent. Check your mailbox, or ask again in a minute.", CODE_INTERVAL)
    return code


def normalise(answer: str) -> str:
    """A code or passcode as compared: without any whitespace ("482 913" is 482913; a passcode
    read out over the phone as "blue river 7" is typed with or without its spaces). The upload
    stores the passcode's digest in this same form."""
    return "".join(answer.split())


def check(store: PortalStore, sealed: Sealed, answer: str, now: float | None = None) -> str | Refusal:
    """A session token when `answer` is the current code (or the passcode), else why not.

    `sealed` may be stale (read before the request body arrived): it only gives the early
    answers. Every count and every opening is decided by one atomic statement in the store,
    so concurrent wrong answers lock the message after MAX_TRIES and nothing opens it then.
    """
    now = now or time.time()
    refusal = unavailable(sealed, now) or locked(sealed, now)
    if refusal:
        return refusal
    answer = normalise(answer)
    if sealed.passcode:
        good = hmac.compare_digest(digest(answer), sealed.passcode)
        opened = good and store.accept_passcode(sealed.id, sealed.passcode, now)
    else:
        if not sealed.code_hash or not sealed.code_expires:
            return Refusal(400, "Ask for a code first: it is sent to your e-mail address.")
        if sealed.code_expires <= now:
            return Refusal(403, "This code has expired (codes work for 10 minutes). Ask for a new one.")
        expected = _code_digest(sealed.id, answer)
        good = hmac.compare_digest(expected, sealed.code_hash)
        opened = good and store.consume_code(sealed.id, expected, now)
    if good and not opened:
        # Right when read, but locked, revoked, used or replaced since: decided on what is stored now.
        current = store.get(sealed.id)
        return (
            unavailable(current, now)
            or (locked(current, now) if current else None)
            or Refusal(403, "This code was already used or replaced. Ask for a new one.")
        )
    if not good:
        counted = store.count_wrong_try(sealed.id, MAX_TRIES, now + LOCKOUT, now)
        if counted is None:
            current = store.get(sealed.id)
            return (locked(current, now) if current else None) or Refusal(
                423,
                "Too many wrong codes: this message is locked for now. Try again later and ask for a new code.",
                LOCKOUT,
            )
        tries, just_locked = counted
        if just_locked:
            store.event(sealed.id, "locked", f"{MAX_TRIES} wrong codes")
            return Refusal(
                423,
                f"Too many wrong codes: this message is locked for {int(LOCKOUT // 60)} minutes. "
                "Then ask for a new code.",
                LOCKOUT,
            )
        left = MAX_TRIES - tries
        return Refusal(403, f"That code is not right. {left} {'try' if left == 1 else 'tries'} left.")
    token = secrets.token_urlsafe(32)
    store.add_session(token, sealed.id, now + SESSION_LIFETIME)
    return token
