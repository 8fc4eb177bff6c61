"""Resume inspection without a server: type from content, safe names."""

from __future__ import annotations

import io

import pytest

from lead_manager.core.errors import (
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from lead_manager.leads.resume import TEXT, inspect_resume, safe_filename
from tests import documents


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\jane\\cv.pdf", "cv.pdf"),
        ("cv\r\n.pdf", "cv.pdf"),
        ('my "best" cv;.pdf', "my best cv.pdf"),
        ("", "resume.pdf"),
        (None, "resume.pdf"),
        ("...", "resume.pdf"),
        ("résumé.pdf", "résumé.pdf"),
    ],
)
def test_safe_filename(declared, expected) -> None:
    assert safe_filename(declared, ".pdf") == expected


def test_long_filename_is_cut_to_255_bytes_keeping_the_extension() -> None:
    name = safe_filename("é" * 300 + ".docx", ".docx")
    assert len(name.encode()) <= 255 and name.endswith(".docx")


def test_plain_text_with_angle_brackets_that_are_not_markup_is_text() -> None:
    for body in (b"a < b and c > d", b"jane <at> example.com", b"<Name>"):
        assert inspect_resume(io.BytesIO(body), "cv.txt", 1000).content_type == TEXT


@pytest.mark.parametrize(
    "body",
    [
        b"hello <b>x</b>",
        b"<p onclick=x>",
        b"x </div> y",
        b"<!-- c -->",
        b"<SCRIPT>a</SCRIPT>",
        b"nul\x00byte",
    ],
)
def test_markup_and_binary_are_not_plain_text(body) -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        inspect_resume(io.BytesIO(body), "cv.txt", 1000)


def test_markup_split_across_read_chunks_is_still_found() -> None:
    body = b"a" * (256 * 1024 - 3) + b"<script>alert(1)</script>"
    with pytest.raises(UnsupportedMediaTypeError):
        inspect_resume(io.BytesIO(body), "cv.txt", 10**7)


def test_size_limits() -> None:
    with pytest.raises(InvalidInputError):
        inspect_resume(io.BytesIO(b""), "cv.pdf", 10)
    with pytest.raises(PayloadTooLargeError):
        inspect_resume(io.BytesIO(documents.pdf()), "cv.pdf", 10)


def test_zip_that_is_not_an_office_document_is_refused() -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ" + b"\x00" * 100)
    with pytest.raises(UnsupportedMediaTypeError):
        inspect_resume(io.BytesIO(buffer.getvalue()), "cv.docx", 10**7)
