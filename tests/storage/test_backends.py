"""The ResumeStorage contract, held by both backends: a local directory and an S3 bucket."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from lead_manager.core.settings import Settings
from lead_manager.storage.base import (
    ResumeNotFoundError,
    ResumeStorage,
    StorageError,
    StorageUnavailableError,
    new_resume_key,
)
from lead_manager.storage.factory import create_storage
from lead_manager.storage.local import LocalDirectoryStorage
from lead_manager.storage.s3 import S3Storage, parse_s3_url
from tests import documents


def settings_for(storage_url: str, endpoint: str | None = None) -> Settings:
    return Settings(_env_file=None, storage_url=storage_url, s3_endpoint_url=endpoint)  # type: ignore[call-arg]


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResumeStorage]:
    if request.param == "local":
        yield create_storage(settings_for(f"file://{tmp_path / 'resumes'}"))
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = request.getfixturevalue("s3_bucket")
        yield create_storage(settings_for(f"s3://{bucket}/firm/resumes", endpoint))


def read_all(storage: ResumeStorage, key: str) -> bytes:
    return b"".join(storage.open(key))


def test_saved_bytes_come_back_exactly(storage: ResumeStorage) -> None:
    # Larger than one read chunk, so the chunked reading is exercised too.
    data = documents.pdf(extra_bytes=700_000)
    key = new_resume_key()
    source = io.BytesIO(b"ignored prefix" + data)
    source.seek(len(b"ignored prefix"))  # saved from the current position, as the protocol says
    storage.save(key, source)
    assert read_all(storage, key) == data
    assert list(storage.keys()) == [key]


def test_delete_removes_and_tolerates_missing(storage: ResumeStorage) -> None:
    keep, drop = new_resume_key(), new_resume_key()
    storage.save(keep, io.BytesIO(b"keep"))
    storage.save(drop, io.BytesIO(b"drop"))
    storage.delete(drop)
    storage.delete(drop)  # already gone: not an error
    assert sorted(storage.keys()) == [keep]
    with pytest.raises(ResumeNotFoundError):
        storage.open(drop)


def test_missing_object_is_not_found(storage: ResumeStorage) -> None:
    with pytest.raises(ResumeNotFoundError):
        storage.open(new_resume_key())


@pytest.mark.parametrize("key", ["../secret_key", "ABC", "a" * 31, "/etc/passwd", ""])
def test_malformed_keys_are_refused(storage: ResumeStorage, key: str) -> None:
    with pytest.raises(StorageError):
        storage.save(key, io.BytesIO(b"x"))
    with pytest.raises(StorageError):
        storage.open(key)


def test_only_local_storage_offers_a_path(storage: ResumeStorage) -> None:
    key = new_resume_key()
    storage.save(key, io.BytesIO(b"bytes"))
    path = storage.local_path(key)
    if isinstance(storage, LocalDirectoryStorage):
        assert path is not None and path.read_bytes() == b"bytes"
    else:
        assert path is None


def test_s3_keys_stay_under_the_prefix_and_ignore_foreign_objects(
    s3_endpoint: str, s3_bucket: str
) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.put_object(Bucket=s3_bucket, Key="firm/resumes/not-a-resume.txt", Body=b"x")
    client.put_object(Bucket=s3_bucket, Key="elsewhere/" + new_resume_key(), Body=b"x")
    storage = S3Storage(s3_bucket, "firm/resumes", endpoint_url=s3_endpoint)
    key = new_resume_key()
    storage.save(key, io.BytesIO(b"resume"))
    assert list(storage.keys()) == [key]
    body = client.get_object(Bucket=s3_bucket, Key=f"firm/resumes/{key}")["Body"].read()
    assert body == b"resume"


def test_s3_keys_pages_through_many_objects(s3_endpoint: str, s3_bucket: str) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    expected = sorted(new_resume_key() for _ in range(7))
    for key in expected:
        client.put_object(Bucket=s3_bucket, Key=key, Body=b"")
    storage = S3Storage(s3_bucket, endpoint_url=s3_endpoint)
    storage.list_page_size = 3  # three listing requests
    assert sorted(storage.keys()) == expected


def test_s3_store_errors_are_storage_unavailable(s3_endpoint: str) -> None:
    storage = S3Storage("no-such-bucket", "p", endpoint_url=s3_endpoint)
    with pytest.raises(StorageUnavailableError):
        storage.save(new_resume_key(), io.BytesIO(b"x"))
    with pytest.raises(StorageUnavailableError):
        list(storage.keys())


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://b", "b", ""),
        ("s3://b/", "b", ""),
        ("s3://b/a/b/", "b", "a/b"),
        ("s3://my-bucket/x", "my-bucket", "x"),
    ],
)
def test_s3_url_parsing(url: str, bucket: str, prefix: str) -> None:
    assert parse_s3_url(url) == (bucket, prefix)


@pytest.mark.parametrize("url", ["s3:///prefix", "gs://bucket/x", "ftp://host/dir"])
def test_unsupported_storage_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"STORAGE_URL|S3 storage URL"):
        create_storage(settings_for(url))
