"""One portal instance for benchmarks/portal.py, as its own process.

    python -m benchmarks.portal_instance --port P --token-file F --codes DIR \\
        (--sqlite DIR | --database URL --s3 ENDPOINT --bucket NAME [--blob-latency SECONDS])

It builds the same application `postseal portal serve` runs (create_app) on the store asked
for: SqlitePortalStore with files (the embedded portal), or PostgresPortalStore with
S3BlobStore (an organization's portal; S3 credentials from the standard AWS environment).
Two things differ from serve, both so the benchmark measures the portal and not its mail:
- codes are "mailed" by writing each into DIR/<message id> (written whole, then renamed),
  where the benchmark reads them, instead of through an SMTP relay;
- the per-client attempt limit (20 a minute, in memory) is lifted: every simulated recipient
  comes from 127.0.0.1, where real recipients each come from an address of their own. The
  per-message limits (codes, tries, lockouts), kept in the store, stay as they are.
With --blob-latency, every object store call first waits that long (FarBlobs), so a run on
one machine shows what the network's latency to real object storage does to the portal.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from agent.portal import access
from agent.portal.interface import Sealed
from agent.portal.server import create_app


def file_mailer(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)

    def mail(sealed: Sealed, code: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".code-")
        with os.fdopen(fd, "w") as out:
            out.write(code)
        os.replace(tmp, folder / sealed.id)

    return mail


class FarBlobs:
    """A blob store that answers `latency` seconds late, as object storage on the network does
    (S3's first byte comes after 10-30 ms in one region; moto on loopback answers at once).
    The wait is a sleep: it holds up the caller, not the CPU, exactly what a socket wait does."""

    def __init__(self, inner, latency: float) -> None:
        self.inner, self.latency = inner, latency

    def put(self, key: str, data: bytes) -> None:
        time.sleep(self.latency)
        self.inner.put(key, data)

    def get(self, key: str) -> bytes | None:
        time.sleep(self.latency)
        return self.inner.get(key)

    def delete(self, key: str) -> bool:
        time.sleep(self.latency)
        return self.inner.delete(key)


def build_store(args: argparse.Namespace):
    if args.sqlite:
        from agent.portal.store import SqlitePortalStore

        return SqlitePortalStore(Path(args.sqlite))
    from agent.portal.blobs import S3BlobStore
    from agent.portal.store_pg import PostgresPortalStore

    blobs = S3BlobStore(args.bucket, endpoint_url=args.s3, region="us-east-1")
    return PostgresPortalStore(args.database, FarBlobs(blobs, args.blob_latency) if args.blob_latency else blobs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.portal_instance")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--codes", required=True, help="folder the codes are written to, one file per message id")
    parser.add_argument("--sqlite", help="folder of an embedded store (SQLite + files)")
    parser.add_argument("--database", help="PostgreSQL URL (migrated)")
    parser.add_argument("--s3", help="S3 endpoint URL")
    parser.add_argument("--bucket", default="postseal-bench")
    parser.add_argument("--blob-latency", type=float, default=0.0, help="seconds each object store call waits")
    args = parser.parse_args(argv)
    if not args.sqlite and not (args.database and args.s3):
        parser.error("give --sqlite DIR, or --database URL and --s3 ENDPOINT")
    store = build_store(args)
    app = create_app(
        store,
        Path(args.token_file).read_text().strip(),
        file_mailer(Path(args.codes)),
        access.RateLimiter(per_minute=10**9),
    )
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
