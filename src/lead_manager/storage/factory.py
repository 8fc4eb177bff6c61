from __future__ import annotations

from pathlib import Path

from lead_manager.core.settings import Settings
from lead_manager.storage.base import ResumeStorage
from lead_manager.storage.local import LocalDirectoryStorage


def create_storage(settings: Settings) -> ResumeStorage:
    url = settings.storage_url
    if url.startswith("file://"):
        return LocalDirectoryStorage(Path(url.removeprefix("file://")))
    if url.startswith("s3://"):
        # Imported here: boto3 is slow to import and a local deployment never needs it.
        from lead_manager.storage.s3 import S3Storage

        return S3Storage.from_url(url, settings.s3_endpoint_url)
    raise ValueError(f"unsupported STORAGE_URL {url!r}: use file://DIR or s3://BUCKET/PREFIX")
