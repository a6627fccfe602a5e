"""The expiry sweeper: ciphertext of expired messages leaves the blob store once a grace
period has passed (issue 16 item 5).

Why a grace period: an expired message is already refused by the portal (Sealed.expired), so
the bytes are unreachable from the moment of expiry; keeping them `grace_seconds` longer lets
an administrator restore a message expired by mistake (extend it in the database), and keeps a clock skew between
instances from deleting a blob another instance still serves. After the grace the ciphertext
is gone for good; the message's row stays so the page can say "expired".

What the sweeper needs from the state store is two methods: `unswept(cutoff)`, the ids of
unrevoked messages whose expiry is at or before the cutoff and whose ciphertext is not yet
known to be gone (revoked messages lost their blob when revoked), and `mark_swept(ids, now)`,
called with the ids whose deletion succeeded. So each sweep lists only what is left to do,
not every message that ever expired. Replies are not swept: they stay until the agent
fetches them.

One blob that cannot be deleted does not stop the sweep: it is reported in `Sweep.failed`
with the store's one-line reason, left unmarked, and tried again on the next sweep (nothing
is forgotten).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from agent.portal.blobs import BlobError, BlobStore, message_key


class ExpiredMessages(Protocol):
    def unswept(self, cutoff: float) -> list[str]: ...

    def mark_swept(self, idents: Iterable[str], now: float) -> None: ...


@dataclass
class Sweep:
    cutoff: float
    swept: list[str] = field(default_factory=list)  # ids whose ciphertext is now gone
    failed: dict[str, str] = field(default_factory=dict)  # id -> why its blob is still there


def sweep(store: ExpiredMessages, blobs: BlobStore, now: float, grace_seconds: float) -> Sweep:
    """Delete the ciphertext of every message that expired at least `grace_seconds` before `now`."""
    if grace_seconds < 0:
        raise ValueError(f"grace_seconds must not be negative (got {grace_seconds})")
    result = Sweep(cutoff=now - grace_seconds)
    try:
        for ident in store.unswept(result.cutoff):
            try:
                blobs.delete(message_key(ident))
            except BlobError as exc:
                result.failed[ident] = str(exc)
            else:
                result.swept.append(ident)
    finally:  # what was deleted is marked even when the sweep stops early (the store went away)
        store.mark_swept(result.swept, now)
    return result
