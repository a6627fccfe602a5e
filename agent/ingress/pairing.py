"""Pairing tokens for the Outlook add-in's pages (addin.py).

A token is `v1.<expiry>.<nonce>.<mac>`: HMAC-SHA256 under a key made when the agent starts
and kept only in memory, over the expiry, the nonce and the caller it was issued to (the
process on the other end of the connection where the OS can say — peer.process — else
nothing). So a token is worthless after TTL, after the agent restarts, and in the hands of
any other program than the one it was given to. Nothing is stored per token: checking one
is a MAC and a clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

TTL = 12 * 3600.0  # a working day: Outlook keeps a task pane open for hours


class Pairing:
    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.time) -> None:
        self._key = secrets.token_bytes(32)
        self.ttl = ttl
        self.clock = clock

    def issue(self, caller: str = "") -> str:
        expiry = str(int(self.clock() + self.ttl))
        nonce = secrets.token_urlsafe(12)
        return f"v1.{expiry}.{nonce}.{self._mac(expiry, nonce, caller)}"

    def valid(self, token: str, caller: str = "") -> bool:
        parts = token.split(".") if token.isascii() else []
        if len(parts) != 4 or parts[0] != "v1" or not parts[1].isdigit():
            return False
        _, expiry, nonce, mac = parts
        if not hmac.compare_digest(mac.encode(), self._mac(expiry, nonce, caller).encode()):
            return False
        return int(expiry) > self.clock()

    def _mac(self, expiry: str, nonce: str, caller: str) -> str:
        digest = hmac.new(self._key, f"{expiry}\0{nonce}\0{caller}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
