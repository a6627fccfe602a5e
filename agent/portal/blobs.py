"""Where the portal keeps its blobs: sealed messages and replies, ciphertext only.

`BlobStore` is the whole contract: `put(key, data)`, `get(key)`, `delete(key)`, bytes in and
bytes out. A blob store never sees a key to open what it holds, a plaintext, a file name or
anything else about a message beyond its id: the caller hands it ciphertext under a key
made of ids it chose.

Two stores keep that contract:
- `FileBlobStore`: one file per blob under a folder (the embedded portal; the layout
  SqlitePortalStore writes, `blobs/<id>` and `replies/<id>`).
- `S3BlobStore`: S3-compatible object storage (AWS S3, MinIO, Ceph RGW) through boto3, for a
  portal that runs on several hosts.

Both refuse to overwrite: putting the same bytes at a key again is a no-op (an agent's upload
retried), putting different bytes at a key that holds something is `BlobConflict` (a reply id
must never replace another message's reply, issue 16 item 6). Every failure of the storage
itself is one `BlobError` naming the store and the key, never a library traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

# A key is one or more segments joined by "/", each made of letters, digits, ".", "_", "-"
# and not starting with "." (so never "..": a key can never leave FileBlobStore's folder,
# and means the same on every backend).
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}"
_KEY = re.compile(rf"{_SEGMENT}(/{_SEGMENT}){{0,3}}")


class BlobError(Exception):
    """The blob store failed: the message names the store and the key."""


class BlobConflict(BlobError):
    """A different blob already sits at this key; nothing was overwritten."""


class BlobKeyRefused(BlobError, ValueError):
    """The key is not one a blob store accepts (also a ValueError: it is the caller's bug)."""


def check_data(key: str, data: bytes) -> bytes:
    # Bytes only: a str here would be text somebody forgot to seal.
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BlobError(f"blob {key!r}: a blob store takes bytes (ciphertext), not {type(data).__name__}")
    return bytes(data)


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise BlobKeyRefused(
            f"blob key {key!r} is not allowed (letters, digits, '.', '_', '-', "
            "segments joined by '/', none starting with '.')"
        )
    return key


def message_key(ident: str) -> str:
    """Where a sealed message's ciphertext lives (with files: the layout of release 0.1.0)."""
    return check_key(f"blobs/{ident}")


def reply_key(reply_id: str) -> str:
    """Where a recipient's sealed reply lives until the agent fetches it."""
    return check_key(f"replies/{reply_id}")


@runtime_checkable
class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Keep `data` at `key`. The same bytes again: nothing happens. Other bytes: BlobConflict."""

    def get(self, key: str) -> bytes | None:
        """The bytes at `key`, or None when nothing is there."""

    def delete(self, key: str) -> bool:
        """Remove what is at `key`; True when something was there."""


class FileBlobStore:
    """One file per blob under `root` (created 0700); a key's segments are sub-folders."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def check(self) -> None:
        """Readiness (not part of BlobStore): BlobError unless the folder can be written."""
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".ready-")
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise BlobError(f"blob store {self.root}: not writable: {exc.strerror or exc}") from None

    def _fail(self, action: str, key: str, exc: OSError) -> BlobError:
        return BlobError(f"blob store {self.root}: cannot {action} {key!r}: {exc.strerror or exc}")

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        data = check_data(key, data)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Written whole beside the target, then hard-linked into place: link() fails when
            # the name exists, so two writers of one key can never both win and a reader never
            # sees half a blob (the files' counterpart of S3's If-None-Match: *).
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".put-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                try:
                    os.link(tmp, path)
                    return
                except FileExistsError:
                    pass
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            if path.read_bytes() != data:
                raise BlobConflict(
                    f"blob store {self.root}: {key!r} already holds a different blob; it was not overwritten"
                )
        except BlobError:
            raise
        except OSError as exc:
            raise self._fail("write", key, exc) from None

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._fail("read", key, exc) from None

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._fail("delete", key, exc) from None


class S3BlobStore:
    """Blobs as objects in `bucket` under `prefix`, on AWS S3 or any S3-compatible server.

    `endpoint_url` points at MinIO, Ceph RGW or another S3-compatible server (None: AWS).
    Credentials come from the standard AWS chain (environment, shared credentials file,
    container or instance role); Postseal's configuration never holds a secret key.

    `conditional` chooses how an overwrite is refused:
    - True (the default): one PUT with `If-None-Match: *`; the server itself refuses when the
      key exists (412), so two instances writing one key at once cannot both succeed. AWS S3
      honours it (since August 2024), as does moto's server the tests run against; check that
      your MinIO or Ceph RGW release does before relying on it.
    - False, for servers that do not support conditional writes: HEAD, then PUT when absent.
      Between the two another writer can slip in, so this mode only holds because the portal
      claims the row in its database (a unique id) before it writes the blob (issue 16 item
      6); use it only where the server refuses or ignores If-None-Match.

    Retries: botocore's own "standard" retry mode (`attempts` tries in all, with backoff, for
    throttling, 5xx and connection errors), not a loop here. Timeouts bound each try.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        conditional: bool = True,
        attempts: int = 4,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        connections: int = 10,
    ) -> None:
        try:  # the portal-server extra; the embedded portal never needs it
            import boto3
            from botocore.config import Config
        except ImportError:
            raise BlobError(
                f"object store s3://{bucket}: needs boto3, which is not installed "
                "(pip install 'postseal[portal-server]')"
            ) from None

        if prefix and not prefix.endswith("/"):
            prefix += "/"
        if prefix:
            check_key(prefix.rstrip("/"))
        self.bucket, self.prefix, self.conditional = bucket, prefix, conditional
        # One HTTP connection per thread that may call at once (the portal server's store
        # threads, offload.WORKERS): botocore's client is thread-safe, its pool is the limit.
        config = Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=connections,
        )
        self.client = boto3.session.Session(region_name=region).client("s3", endpoint_url=endpoint_url, config=config)

    @staticmethod
    def _what(exc: Exception) -> str:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return f"{err.get('Code', 'error')} (HTTP {status}): {err.get('Message', '')}".rstrip(": ")
        return str(exc) or type(exc).__name__

    def _fail(self, action: str, key: str, exc: Exception) -> BlobError:
        return BlobError(f"object store s3://{self.bucket}/{self.prefix}{key}: cannot {action}: {self._what(exc)}")

    def check(self) -> None:
        """Readiness (not part of BlobStore): BlobError unless the bucket answers to these
        credentials (one HEAD of the bucket; for a portal's /readyz)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except self._errors() as exc:
            code = self._code(exc)
            what = {"404": "no such bucket", "403": "access denied"}.get(code) or self._what(exc)
            raise BlobError(f"object store s3://{self.bucket}/{self.prefix}: not reachable: {what}") from None

    def _errors(self):
        from botocore.exceptions import BotoCoreError, ClientError

        return (BotoCoreError, ClientError)

    @staticmethod
    def _code(exc: Exception) -> str:
        response = getattr(exc, "response", None) or {}
        return str(response.get("Error", {}).get("Code", ""))

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
            return True
        except self._errors() as exc:
            if self._code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._fail("look up", key, exc) from None

    def put(self, key: str, data: bytes) -> None:
        data = check_data(check_key(key), data)
        extra = {"IfNoneMatch": "*"} if self.conditional else {}
        if not self.conditional and self._exists(key):
            self._same_or_conflict(key, data)
            return
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, **extra)
        except self._errors() as exc:
            # 412: the key exists. 409: another conditional write of this key is in flight
            # (AWS); either way the bytes now there decide. This also makes botocore's retries
            # safe: when a PUT landed but its answer was lost, the retry meets 412 and finds
            # its own bytes.
            if self._code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                self._same_or_conflict(key, data)
                return
            raise self._fail("write", key, exc) from None

    def _same_or_conflict(self, key: str, data: bytes) -> None:
        # Compared byte for byte: an ETag is an MD5 only for single-part, non-KMS objects.
        if self.get(key) != data:
            raise BlobConflict(
                f"object store s3://{self.bucket}/{self.prefix}{key} already "
                "holds a different blob; it was not overwritten"
            )

    def get(self, key: str) -> bytes | None:
        check_key(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except self._errors() as exc:
            if self._code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._fail("read", key, exc) from None

    def delete(self, key: str) -> bool:
        # S3 answers a DELETE of a missing key with 204 like any other, so whether something
        # was there is asked first (informative only: nothing depends on it being exact).
        check_key(key)
        found = self._exists(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        except self._errors() as exc:
            raise self._fail("delete", key, exc) from None
        return found
