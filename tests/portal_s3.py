"""A real S3-compatible server for the portal's object-storage tests: moto's standalone
server (ThreadedMotoServer) on a free 127.0.0.1 port, one per test session. It stands in
for AWS S3, MinIO or Ceph RGW, which do not run on build machines.

`moto_s3` (session) is the server's endpoint URL; `create_bucket(endpoint, name)` makes a
bucket there (each test module uses its own), with the stand-in credentials "test"/"test".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.demo_world import free_port


def create_bucket(endpoint: str, name: str) -> str:
    import boto3

    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=name)
    return endpoint


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
