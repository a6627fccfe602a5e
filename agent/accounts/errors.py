"""What can go wrong with an account, in words the clinician can act on."""

from __future__ import annotations


class SignInError(Exception):
    """A sign-in did not complete: the text says why and what to do."""


class NeedsSignIn(Exception):
    """The saved sign-in no longer works (expired, revoked, consent withdrawn): the outbox
    for this account waits until the clinician signs in again."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"sign in to {address} again: {reason}")
        self.address = address
        self.reason = reason


class ProviderUnreachable(Exception):
    """The provider's sign-in service could not be reached (no network): try again later."""
