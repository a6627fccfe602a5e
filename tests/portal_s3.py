"""A real S3-compatible server for the portal's object-storage tests: moto's standalone
server (ThreadedMotoServer) on a free 127.0.0.1 port, one per test session. It stands in
for AWS S3, MinIO or Ceph RGW, which do not run on build machines.

`moto_s3` (session) is the server's endpoint URL; `create_bucket(endpoint, name)` makes a
bucket there (each test module uses its own), with the stand-in credentials "test"/"test";
`aws_env` gives S3BlobStore those credentials the way production does, through the standard
AWS chain (the environment), with nothing from the machine's own ~/.aws and no
instance-metadata lookups.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.demo_world import free_port


def create_bucket(endpoint: str, name: str) -> str:
    import boto3

    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    ).create_bucket(Bucket=name)
    return endpoint


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
