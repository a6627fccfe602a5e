"""The portal's blob stores keep one contract (agent/portal/blobs.py): files on disk, and S3
against a real S3-compatible server (moto's standalone server on a loopback port)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import boto3
import pytest

from agent.demo_world import free_port
from agent.portal.blobs import BlobConflict, BlobError, BlobKeyRefused, BlobStore, FileBlobStore, S3BlobStore, check_key
from tests.portal_s3 import create_bucket

BUCKET = "postseal-blobs"


@pytest.fixture(scope="module")
def s3_endpoint(moto_s3: str) -> str:
    return create_bucket(moto_s3, BUCKET)


def raw_s3(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture(params=["files", "s3", "s3-head-then-put"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "files":
        return FileBlobStore(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    request.getfixturevalue("aws_env")
    # A prefix per test: each test sees an empty store in the one bucket.
    return S3BlobStore(
        BUCKET,
        prefix=f"t{os.urandom(6).hex()}",
        endpoint_url=endpoint,
        region="us-east-1",
        conditional=request.param == "s3",
    )


def stored(blobs: BlobStore) -> dict[str, bytes]:
    """Everything the backend holds, read around the store: names and raw bytes."""
    if isinstance(blobs, FileBlobStore):
        return {str(p.relative_to(blobs.root)): p.read_bytes() for p in blobs.root.rglob("*") if p.is_file()}
    client = raw_s3(blobs.client.meta.endpoint_url)
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=blobs.prefix).get("Contents", [])
    return {
        o["Key"][len(blobs.prefix) :]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing
    }


def test_put_get_delete(blobs: BlobStore) -> None:
    assert isinstance(blobs, BlobStore)
    blobs.put("blobs/m1", b"sealed one")
    blobs.put("replies/r1", b"\x00\xffreply")
    assert blobs.get("blobs/m1") == b"sealed one"
    assert blobs.get("replies/r1") == b"\x00\xffreply"
    assert blobs.delete("blobs/m1") is True
    assert blobs.get("blobs/m1") is None
    assert blobs.delete("blobs/m1") is False
    assert stored(blobs) == {"replies/r1": b"\x00\xffreply"}


def test_missing_key_is_none(blobs: BlobStore) -> None:
    assert blobs.get("blobs/never-put") is None
    assert blobs.delete("blobs/never-put") is False


def test_put_is_idempotent(blobs: BlobStore) -> None:
    blobs.put("blobs/m2", b"same bytes")
    blobs.put("blobs/m2", b"same bytes")
    blobs.put("blobs/m2", bytearray(b"same bytes"))
    assert stored(blobs) == {"blobs/m2": b"same bytes"}


def test_overwrite_is_refused(blobs: BlobStore) -> None:
    blobs.put("replies/r9", b"message A's reply")
    with pytest.raises(BlobConflict, match="r9.*not overwritten"):
        blobs.put("replies/r9", b"message B's reply")
    assert blobs.get("replies/r9") == b"message A's reply"
    # After a delete the key is free again.
    assert blobs.delete("replies/r9")
    blobs.put("replies/r9", b"message B's reply")
    assert blobs.get("replies/r9") == b"message B's reply"


def test_large_object(blobs: BlobStore) -> None:
    data = os.urandom(5 * 1024 * 1024)
    blobs.put("blobs/big", data)
    assert blobs.get("blobs/big") == data
    blobs.put("blobs/big", data)  # a retried upload of 5 MB is still a no-op
    with pytest.raises(BlobConflict):
        blobs.put("blobs/big", data[:-1] + bytes([data[-1] ^ 1]))
    assert stored(blobs)["blobs/big"] == data


def test_only_bytes_pass_and_are_kept_as_given(blobs: BlobStore) -> None:
    # The store needs no plaintext and adds nothing: it refuses text, and the backend holds
    # exactly the bytes it was given under exactly the key it was given (no name, no metadata).
    with pytest.raises(BlobError, match="takes bytes"):
        blobs.put("blobs/m3", "Dear Ms Rivera, your results")  # type: ignore[arg-type]
    cipher = os.urandom(4096)
    blobs.put("blobs/m3", cipher)
    assert stored(blobs) == {"blobs/m3": cipher}
    if isinstance(blobs, S3BlobStore):
        head = raw_s3(blobs.client.meta.endpoint_url).head_object(Bucket=BUCKET, Key=blobs.prefix + "blobs/m3")
        assert head["Metadata"] == {}


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../escape",
        "blobs/../../x",
        "/abs",
        ".hidden",
        "a//b",
        "blobs/name with space",
        "blobs/ü",
        "blobs/.",
        "a/b/c/d/e",
    ],
)
def test_bad_keys_are_refused(blobs: BlobStore, key: str) -> None:
    with pytest.raises(BlobKeyRefused, match="not allowed"):
        check_key(key)
    for call in (lambda: blobs.put(key, b"x"), lambda: blobs.get(key), lambda: blobs.delete(key)):
        with pytest.raises(ValueError, match="not allowed"):
            call()
    assert stored(blobs) == {}


def test_concurrent_writers_of_one_key(blobs: BlobStore) -> None:
    if isinstance(blobs, S3BlobStore) and not blobs.conditional:
        pytest.skip("head-then-put cannot arbitrate racing writers; the database claim does")
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        barrier.wait()
        try:
            blobs.put("replies/race", f"writer {n}".encode())
            outcomes.append(f"won {n}")
        except BlobConflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(outcomes) == 8 and len(winners) == 1, outcomes
    assert blobs.get("replies/race") == f"writer {winners[0].split()[1]}".encode()


def test_file_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path / "b")
    blobs.put("blobs/m", b"1")
    with pytest.raises(BlobConflict):
        blobs.put("blobs/m", b"2")
    assert sorted(p.name for p in (tmp_path / "b").rglob("*")) == ["blobs", "m"]


def test_file_store_error_names_folder_and_key(tmp_path: Path) -> None:
    root = tmp_path / "b"
    blobs = FileBlobStore(root)
    (root / "blobs").write_bytes(b"a file where a folder belongs")
    with pytest.raises(BlobError) as err:
        blobs.put("blobs/m", b"1")
    assert str(root) in str(err.value) and "'blobs/m'" in str(err.value)


def test_s3_missing_bucket_is_one_clear_error(s3_endpoint: str, aws_env: None) -> None:
    blobs = S3BlobStore("no-such-bucket", endpoint_url=s3_endpoint, region="us-east-1", attempts=1)
    for call in (lambda: blobs.put("blobs/m", b"x"), lambda: blobs.get("blobs/m"), lambda: blobs.delete("blobs/m")):
        with pytest.raises(BlobError) as err:
            call()
        assert str(err.value).startswith("object store s3://no-such-bucket/blobs/m: cannot ")
        assert "NoSuchBucket" in str(err.value) and "Traceback" not in str(err.value)
        assert err.value.__cause__ is None and err.value.__suppress_context__


def test_s3_unreachable_endpoint_is_one_clear_error(aws_env: None) -> None:
    blobs = S3BlobStore(
        BUCKET,
        prefix="p",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region="us-east-1",
        attempts=2,
        connect_timeout=2,
    )
    with pytest.raises(BlobError, match=rf"^object store s3://{BUCKET}/p/blobs/m: cannot read: .*127\.0\.0\.1"):
        blobs.get("blobs/m")


def test_s3_without_credentials_is_one_clear_error(
    s3_endpoint: str, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    blobs = S3BlobStore(BUCKET, endpoint_url=s3_endpoint, region="us-east-1", attempts=1)
    with pytest.raises(BlobError, match=rf"^object store s3://{BUCKET}/blobs/m: cannot write: .*credentials"):
        blobs.put("blobs/m", b"x")


def test_readiness(blobs: BlobStore, s3_endpoint: str, aws_env: None, tmp_path: Path) -> None:
    blobs.check()  # type: ignore[attr-defined]
    if isinstance(blobs, FileBlobStore):
        blobs.root.rmdir()
        blobs.root.write_bytes(b"a file where the folder was")
        with pytest.raises(BlobError, match=rf"^blob store {blobs.root}: not writable"):
            blobs.check()
    else:
        missing = S3BlobStore("no-such-bucket", endpoint_url=s3_endpoint, region="us-east-1", attempts=1)
        with pytest.raises(BlobError, match=r"^object store s3://no-such-bucket/: not reachable: no such bucket"):
            missing.check()
        down = S3BlobStore(
            BUCKET, endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1", attempts=1, connect_timeout=2
        )
        with pytest.raises(BlobError, match=rf"^object store s3://{BUCKET}/: not reachable: .*127\.0\.0\.1"):
            down.check()


def test_s3_retries_are_botocores_and_bounded(aws_env: None) -> None:
    # A real HTTP server on loopback that answers every request "503 SlowDown": the store tries
    # exactly `attempts` times (botocore's standard retry mode), then fails with one line.
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class SlowDown(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            seen.append(self.path)
            body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowDown)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        blobs = S3BlobStore(
            BUCKET, endpoint_url=f"http://127.0.0.1:{server.server_port}", region="us-east-1", attempts=3
        )
        with pytest.raises(
            BlobError, match=rf"^object store s3://{BUCKET}/blobs/m: cannot read: SlowDown \(HTTP 503\)"
        ):
            blobs.get("blobs/m")
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [f"/{BUCKET}/blobs/m"] * 3
