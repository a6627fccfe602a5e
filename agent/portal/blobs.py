"""Where the portal keeps its sealed bytes (ciphertext of messages, replies): a key-value
store of opaque blobs, apart from the state (agent/portal/store.py), so the state can live in
one database and the bytes in files or S3-compatible object storage.

The interface is three methods and nothing more, so every backend gives the same answers:
`put(key, data)` replaces atomically (a reader sees the old bytes or the new, never part),
`get(key)` is None when there is nothing under the key, `delete(key)` is silent when there is
nothing to delete. Keys are the store's own ("blobs/<id>", "replies/<id>"): ASCII words
joined by "/", never a path a caller chose.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


def check_key(key: str) -> str:
    """The key itself, or ValueError: no empty part, no "..", nothing outside [A-Za-z0-9_.-/]."""
    if not _KEY.fullmatch(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"not a blob key: {key!r}")
    return key


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


class FileBlobStore:
    """One file per blob under `root` (the embedded portal's, and the default): the key is
    the path below `root`, written to a temporary file and renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
