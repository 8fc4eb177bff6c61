"""Deciding what an uploaded resume is from its bytes (libmagic), never from its name or header."""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import magic
import olefile

from lead_manager.core.errors import (
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)

PDF = "application/pdf"
DOC = "application/msword"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
RTF = "application/rtf"
TEXT = "text/plain"

# Each accepted type and its usual extension (CONTRACT.md: what a download's name must end in).
ACCEPTED_TYPES: dict[str, str] = {
    PDF: ".pdf",
    DOC: ".doc",
    DOCX: ".docx",
    ODT: ".odt",
    RTF: ".rtf",
    TEXT: ".txt",
}
ACCEPTED_LABEL = "PDF, DOC, DOCX, ODT, RTF or plain text"

# What libmagic may call each accepted format.
_MAGIC_ALIASES = {
    "application/pdf": PDF,
    "application/msword": DOC,
    DOCX: DOCX,
    ODT: ODT,
    "text/rtf": RTF,
    "application/rtf": RTF,
    "text/plain": TEXT,
}
_ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/octet-stream"}
_SNIFF_BYTES = 1 << 20
# Markup (CONTRACT.md): anything a browser would read as a tag, that is `<` directly followed by
# a letter (an element), `/` (an end tag), `!` (doctype, comment, CDATA) or `?` (XML declaration,
# processing instruction). `<5 years`, `I <3 Python` and `a < b` are prose.
_MARKUP = re.compile(r"<[/!?]|<[^\W\d_]")
# RTF control words of embedded objects (\object, \objdata, \objemb, \objlink, \objupdate, ...):
# how the equation-editor exploits and other OLE payloads travel inside an RTF file.
_RTF_OBJECT = re.compile(rb"\\obj[a-z]", re.IGNORECASE)
# Parts that carry macros in an office zip: a VBA project (DOCX/DOCM), Basic or script
# libraries (ODT).
_VBA_PROJECT_PART = "vbaproject.bin"
_ODF_MACRO_FOLDERS = ("basic/", "scripts/")
# Content types of a macro-enabled Word package (.docm/.dotm parts, the VBA project itself).
_MACRO_CONTENT_TYPE = re.compile(rb"macroEnabled|vbaProject", re.IGNORECASE)
# OLE storages that hold a VBA project: Word (`Macros`), Excel (`_VBA_PROJECT_CUR`), `VBA` itself.
_OLE_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "vba"})
_SCAN_CHUNK = 256 * 1024
_MAX_FILENAME_BYTES = 255


@dataclass(frozen=True, slots=True)
class ResumeInfo:
    content_type: str
    size: int
    filename: str


def inspect_resume(file: BinaryIO, declared_name: str | None, max_bytes: int) -> ResumeInfo:
    """The resume's detected type, size and safe file name; 413/415/422 errors otherwise."""
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    if size == 0:
        raise InvalidInputError("The resume file is empty.", field="resume")
    if size > max_bytes:
        raise PayloadTooLargeError(f"The resume is larger than the limit of {max_bytes} bytes.")
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    detected = magic.from_buffer(head, mime=True)
    content_type = _MAGIC_ALIASES.get(detected)
    if content_type is None and detected in _ZIP_TYPES:
        content_type = _office_zip_type(file)
    if content_type == TEXT and not _is_plain_utf8_text(file):
        content_type = None
    file.seek(0)
    if content_type is None:
        raise UnsupportedMediaTypeError(
            f"The resume must be a {ACCEPTED_LABEL} document (this file looks like {detected})."
        )
    active = _active_content(file, content_type)
    if active is not None:
        raise UnsupportedMediaTypeError(
            f"The resume {active}: please send it as a PDF, or save it without them first."
        )
    file.seek(0)
    return ResumeInfo(
        content_type, size, safe_filename(declared_name, ACCEPTED_TYPES[content_type])
    )


def _office_zip_type(file: BinaryIO) -> str | None:
    """DOCX and ODT are zip archives; libmagic names them only when the entries come in order."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return DOCX
            if (
                "mimetype" in names
                and archive.getinfo("mimetype").file_size < 100
                and archive.read("mimetype").strip() == ODT.encode()
            ):
                return ODT
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return None
    return None


def _is_plain_utf8_text(file: BinaryIO) -> bool:
    """UTF-8 all the way through, no NUL, and no markup (HTML, XML, SVG…)."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    tail = ""
    try:
        while chunk := file.read(_SCAN_CHUNK):
            if b"\x00" in chunk:
                return False
            text = decoder.decode(chunk)
            # The last character of the previous chunk too, so a `<` at a boundary is still seen.
            if _MARKUP.search(tail + text):
                return False
            tail = text[-1:] or tail
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _active_content(file: BinaryIO, content_type: str) -> str | None:
    """What makes an accepted type unsafe to pass on: macros (a VBA project, Basic or script
    libraries) or, in RTF, embedded objects. None when there is none."""
    file.seek(0)
    if content_type in (DOCX, ODT) and _zip_carries_macros(file):
        return "carries macros"
    if content_type == DOC and _ole_carries_macros(file):
        return "carries macros"
    if content_type == RTF and _contains(file, _RTF_OBJECT, overlap=16):
        return "carries embedded objects"
    return None


def _zip_carries_macros(file: BinaryIO) -> bool:
    try:
        with zipfile.ZipFile(file) as archive:
            for info in archive.infolist():
                name = info.filename.lower()
                if name.endswith(_VBA_PROJECT_PART) or name.startswith(_ODF_MACRO_FOLDERS):
                    return True
                if name == "[content_types].xml":
                    with archive.open(info) as part:
                        if _MACRO_CONTENT_TYPE.search(part.read(_SCAN_CHUNK)):
                            return True
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError, zlib.error):
        # libmagic called it a document, but its parts cannot be read to vouch for them.
        return True
    return False


def _ole_carries_macros(file: BinaryIO) -> bool:
    try:
        with olefile.OleFileIO(file) as ole:
            entries = ole.listdir(streams=True, storages=True)
    except Exception:
        # Hostile input to a third-party parser: whatever it fails with, the file's storages
        # cannot be vouched for, so it is refused rather than passed on.
        return True
    return any(part.lower() in _OLE_MACRO_STORAGES for path in entries for part in path)


def _contains(file: BinaryIO, pattern: re.Pattern[bytes], overlap: int) -> bool:
    """Whether `pattern` (at most `overlap` bytes long) occurs anywhere in the file."""
    file.seek(0)
    tail = b""
    while chunk := file.read(_SCAN_CHUNK):
        if pattern.search(tail + chunk):
            return True
        tail = chunk[-overlap:]
    return False


def download_filename(stored: str, content_type: str) -> str:
    """The name a download is offered under: the stored name, plus the detected type's extension
    when the name does not already end in one of its usual ones (`cv.pdf.js` as text →
    `cv.pdf.js.txt`), so a browser or desktop never opens the file as something it is not."""
    suffix = ACCEPTED_TYPES.get(content_type.partition(";")[0].strip().lower())
    if suffix is None or stored.lower().endswith(suffix):
        return stored
    budget = _MAX_FILENAME_BYTES - len(suffix.encode())
    return stored.encode()[:budget].decode("utf-8", "ignore") + suffix


def safe_filename(declared: str | None, default_suffix: str) -> str:
    """The base name only, without control characters or quotes, at most 255 UTF-8 bytes."""
    name = (declared or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in "\"'`;"
    ).strip(" .")
    if not name:
        name = f"resume{default_suffix}"
    encoded = name.encode()
    if len(encoded) > _MAX_FILENAME_BYTES:
        stem, dot, suffix = name.rpartition(".")
        keep_suffix = f".{suffix}" if dot and len(suffix.encode()) <= 16 else ""
        budget = _MAX_FILENAME_BYTES - len(keep_suffix.encode())
        stem_part = (stem if keep_suffix else name).encode()[:budget].decode("utf-8", "ignore")
        name = stem_part + keep_suffix
    return name
