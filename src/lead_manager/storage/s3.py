"""Resumes as objects in an S3-compatible bucket (AWS S3, MinIO, …), shared by every instance.

Credentials and region come from boto3's usual sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION, instance roles…); only the endpoint of a non-AWS store is ours to configure.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from lead_manager.storage.base import (
    KEY_PATTERN,
    ResumeNotFoundError,
    StorageUnavailableError,
    checked_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectOutputTypeDef

CHUNK = 256 * 1024
_MISSING = {"NoSuchKey", "404", "NotFound"}
# A request must fail in seconds, not minutes, when the store is down: the prospect is waiting.
_CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"mode": "standard", "max_attempts": 3},
)


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → ("bucket", "some/prefix")."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an S3 storage URL: {url!r} (expected s3://bucket/prefix)")
    return parts.netloc, parts.path.strip("/")


class S3Storage:
    list_page_size = 1000  # S3's own maximum per listing request

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        config = _CLIENT_CONFIG
        if endpoint_url:
            # MinIO and most self-hosted stores serve buckets as paths, not as host names.
            config = config.merge(Config(s3={"addressing_style": "path"}))
        # Clients are thread-safe; one per process serves every request thread.
        self.client: S3Client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, config=config
        )
        # Whole-file uploads up to the largest accepted resume; no thread pool per request.
        self.transfer = TransferConfig(multipart_threshold=64 * 1024 * 1024, use_threads=False)

    @classmethod
    def from_url(cls, url: str, endpoint_url: str | None = None) -> S3Storage:
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix, endpoint_url=endpoint_url)

    def _object_key(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def save(self, key: str, source: BinaryIO) -> None:
        try:
            self.client.upload_fileobj(
                source, self.bucket, self._object_key(key), Config=self.transfer
            )
        except (BotoCoreError, ClientError, Boto3Error) as exc:
            raise StorageUnavailableError(f"could not store {key}: {exc}") from exc

    def open(self, key: str) -> Iterator[bytes]:
        # The request is made here, not on first iteration, so a missing object is reported
        # before any response has started.
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise ResumeNotFoundError(key) from exc
            raise StorageUnavailableError(f"could not read {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"could not read {key}: {exc}") from exc
        return _read_chunks(response)

    def local_path(self, key: str) -> Path | None:
        return None

    def delete(self, key: str) -> None:
        # S3 deletes are idempotent: a missing object is not an error there either.
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailableError(f"could not delete {key}: {exc}") from exc

    def keys(self, stored_before: datetime | None = None) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(
                Bucket=self.bucket,
                Prefix=self.prefix,
                PaginationConfig={"PageSize": self.list_page_size},
            ):
                for item in page.get("Contents", []):
                    name = item.get("Key", "").removeprefix(self.prefix)
                    modified = item.get("LastModified")
                    if stored_before is not None and (
                        modified is None or modified >= stored_before
                    ):
                        continue
                    if KEY_PATTERN.fullmatch(name):
                        yield name
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailableError(f"could not list {self.bucket}: {exc}") from exc

    def discard_partial_uploads(self, started_before: datetime) -> int:
        # A PUT below the multipart threshold is atomic: an interrupted one leaves nothing. Stale
        # multipart uploads (bigger files) are for the bucket's AbortIncompleteMultipartUpload rule.
        return 0


def _read_chunks(response: GetObjectOutputTypeDef) -> Iterator[bytes]:
    body = response["Body"]
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
