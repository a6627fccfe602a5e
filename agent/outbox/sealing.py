"""The outbox's sealing: AES-256-GCM under the outbox key (from the OS keyring, secret_store),
each sealed value bound to its row by associated data ("message:<id>", "subject:<id>",
"plan:<id>", "copy:<id>:<index>", "callback:<id>"), so the database and its WAL hold no
plaintext and sealed values cannot be swapped between rows. The stored form is the 12-byte
nonce followed by the ciphertext and its tag: the layout every release has written."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        # Content digests are kept keyed: a plain hash beside sealed content would let whoever
        # holds the file confirm a guess of what a message says.
        self._digest_key = hmac.new(key, b"postseal outbox content digest", hashlib.sha256).digest()

    def seal(self, data: bytes, label: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, label.encode())

    def open(self, blob: bytes, label: str) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], label.encode())

    # A plan names where each finding is ("attachment:<filename>"), and a file named after the
    # patient is PHI: the plan is sealed at rest like the message itself.
    def seal_plan(self, ident: str, plan: dict[str, Any]) -> bytes:
        return self.seal(json.dumps(plan).encode(), f"plan:{ident}")

    def open_plan(self, ident: str, stored: bytes | str) -> dict[str, Any]:
        """A sealed plan, or one still in release 0.1.0's plain JSON (before its migration ran)."""
        return json.loads(stored if isinstance(stored, str) else self.open(stored, f"plan:{ident}"))

    def keyed(self, digest: str) -> str:
        """A content digest as the outbox keeps it (see __init__)."""
        return hmac.new(self._digest_key, digest.encode(), hashlib.sha256).hexdigest()
