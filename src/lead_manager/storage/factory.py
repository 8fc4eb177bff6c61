from __future__ import annotations

from pathlib import Path

from lead_manager.core.settings import Settings
from lead_manager.storage.base import ResumeStorage
from lead_manager.storage.local import LocalDirectoryStorage


def create_storage(settings: Settings) -> ResumeStorage:
    url = settings.storage_url
    if url.startswith("file://"):
        return LocalDirectoryStorage(Path(url.removeprefix("file://")))
    raise ValueError(f"unsupported STORAGE_URL {url!r}: use file://DIR")
