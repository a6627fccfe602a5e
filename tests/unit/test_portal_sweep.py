"""The expiry sweeper (agent/portal/sweep.py) against the embedded state store and both blob
stores; S3 is moto's standalone server on a loopback port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.portal.blobs import BlobStore, FileBlobStore, S3BlobStore, message_key, reply_key
from agent.portal.store import SqlitePortalStore
from agent.portal.sweep import sweep
from tests.portal_s3 import create_bucket

BUCKET = "postseal-sweep"
HOUR = 3600.0


@pytest.fixture(scope="module")
def s3_endpoint(moto_s3: str) -> str:
    return create_bucket(moto_s3, BUCKET)


@pytest.fixture(params=["files", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "files":
        return FileBlobStore(tmp_path / "blob-store")
    request.getfixturevalue("aws_env")
    return S3BlobStore(
        BUCKET, prefix=f"t{time.time_ns()}", endpoint_url=request.getfixturevalue("s3_endpoint"), region="us-east-1"
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlitePortalStore]:
    made = SqlitePortalStore(tmp_path / "state")
    yield made
    made.close()


def seal(store: SqlitePortalStore, blobs: BlobStore, ident: str, expires: float) -> bytes:
    cipher = f"ciphertext of {ident}".encode()
    assert store.put(ident, cipher, "dr.chen@valleyclinic.example", "pat@example.org", expires)
    blobs.put(message_key(ident), cipher)
    return cipher


def test_ciphertext_goes_only_after_expiry_plus_grace(store: SqlitePortalStore, blobs: BlobStore) -> None:
    t0 = 1_900_000_000.0
    early = seal(store, blobs, "m-early", t0)
    late = seal(store, blobs, "m-late", t0 + 10 * HOUR)
    blobs.put(reply_key("r-1"), b"sealed reply to m-early")

    # Expired, but still within the grace period: nothing is deleted.
    result = sweep(store, blobs, now=t0 + HOUR - 1, grace_seconds=HOUR)
    assert (result.swept, result.failed, result.cutoff) == ([], {}, t0 - 1)
    assert blobs.get(message_key("m-early")) == early

    # Grace over: the expired message's ciphertext goes, the other message and the reply stay.
    result = sweep(store, blobs, now=t0 + HOUR, grace_seconds=HOUR)
    assert (result.swept, result.failed) == (["m-early"], {})
    assert blobs.get(message_key("m-early")) is None
    assert blobs.get(message_key("m-late")) == late
    assert blobs.get(reply_key("r-1")) == b"sealed reply to m-early"
    # The row stays, so the page can still say "expired".
    assert store.get("m-early") is not None and store.get("m-early").expired(t0 + HOUR)

    # A second sweep is harmless.
    again = sweep(store, blobs, now=t0 + 2 * HOUR, grace_seconds=HOUR)
    assert again.failed == {} and blobs.get(message_key("m-late")) == late


def test_revoked_messages_are_not_swept_again(store: SqlitePortalStore, blobs: BlobStore) -> None:
    t0 = 1_900_000_000.0
    seal(store, blobs, "m-revoked", t0)
    assert store.revoke("m-revoked")
    assert sweep(store, blobs, now=t0 + 2 * HOUR, grace_seconds=HOUR).swept == []


def test_a_failing_blob_store_is_reported_and_the_sweep_goes_on(
    store: SqlitePortalStore, s3_endpoint: str, aws_env: None
) -> None:
    t0 = 1_900_000_000.0
    for ident in ("m-a", "m-b"):
        assert store.put(ident, b"c", "dr.chen@valleyclinic.example", "pat@example.org", t0)
    broken = S3BlobStore("no-such-bucket", endpoint_url=s3_endpoint, region="us-east-1", attempts=1)
    result = sweep(store, broken, now=t0 + 2 * HOUR, grace_seconds=HOUR)
    assert result.swept == [] and sorted(result.failed) == ["m-a", "m-b"]
    assert result.failed["m-a"].startswith("object store s3://no-such-bucket/blobs/m-a: cannot ")


def test_negative_grace_is_refused(store: SqlitePortalStore, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="grace_seconds"):
        sweep(store, FileBlobStore(tmp_path / "b"), now=time.time(), grace_seconds=-1)
