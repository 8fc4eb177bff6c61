from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from lead_manager.storage.base import KEY_PATTERN, ResumeNotFoundError, checked_key

CHUNK = 256 * 1024
# Uploads are written under this prefix, then renamed to their key once complete.
_PARTIAL_PREFIX = ".upload-"


class LocalDirectoryStorage:
    """Resumes as files in one directory, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def save(self, key: str, source: BinaryIO) -> None:
        target = self._path(key)
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=_PARTIAL_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise ResumeNotFoundError(key) from exc
        return _read_chunks(handle)

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, stored_before: datetime | None = None) -> Iterator[str]:
        cutoff = stored_before.timestamp() if stored_before else None
        for entry in self.root.iterdir():
            if KEY_PATTERN.fullmatch(entry.name) and (cutoff is None or _mtime(entry) < cutoff):
                yield entry.name

    def discard_partial_uploads(self, started_before: datetime) -> int:
        cutoff = started_before.timestamp()
        removed = 0
        for entry in self.root.glob(f"{_PARTIAL_PREFIX}*"):
            if _mtime(entry) < cutoff:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile: never "old"
        return float("inf")


def _read_chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk
