"""A real S3 HTTP API for the tests: moto's server, in this process on a free loopback port."""
from __future__ import annotations

import socket
import uuid

import pytest

S3_CREDENTIALS = {"S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_config(s3_endpoint) -> dict:
    """The configuration of a new, empty bucket on the local S3 API."""
    return new_bucket(s3_endpoint)


def new_bucket(s3_endpoint: str) -> dict:
    """Create an empty bucket on the local S3 API; its configuration keys."""
    import boto3

    bucket = f"kesu-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    return {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_endpoint, **S3_CREDENTIALS}


def bucket_keys(config: dict) -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=config["S3_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=config["S3_BUCKET"])
    return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))
