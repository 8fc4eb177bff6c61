"""Deciding what an uploaded resume is from its bytes (libmagic), never from its name or header."""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import magic

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
# Markup: declarations, comments, CDATA, closing tags, and opening tags of HTML/SVG/XML elements.
# Plain text such as "jane <at> example.com" or "<Name>" is not markup.
_MARKUP = re.compile(
    rb"<(?:!doctype|\?xml|!--|!\[cdata\[|/[a-z][a-z0-9:-]*\s*>"
    rb"|(?:html|head|body|script|style|iframe|frame|frameset|svg|math|img|image|a|div|span|p|b|i|u"
    rb"|em|strong|table|tr|td|th|form|input|button|textarea|select|link|meta|object|embed|base"
    rb"|br|hr|h[1-6]|ul|ol|li|xsl:[a-z]+|template|video|audio|source|details|dialog|marquee"
    rb"|title|noscript|applet|foreignobject)(?:\s[^<>]*)?/?>)",
    re.IGNORECASE,
)
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
    tail = b""
    try:
        while chunk := file.read(256 * 1024):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
            # Overlap chunks so a tag split across a boundary is still seen.
            if _MARKUP.search(tail + chunk):
                return False
            tail = chunk[-512:]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


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
