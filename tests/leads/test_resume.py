"""Resume inspection without a server: type from content, safe names."""

from __future__ import annotations

import io

import pytest

from lead_manager.core.errors import (
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from lead_manager.leads.resume import (
    DOC,
    DOCX,
    ODT,
    PDF,
    RTF,
    TEXT,
    download_filename,
    inspect_resume,
    safe_filename,
)
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


@pytest.mark.parametrize(
    "body",
    [
        b"a < b and c > d",
        b"Experience: <5 years",
        b"I <3 Python",
        b"<<< 100% >>>",
        b"x <- y; 2<=3; <_<",
        "Salary <€50k".encode(),
        documents.text(),
    ],
)
def test_prose_with_angle_brackets_is_plain_text(body) -> None:
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
        # Tags a browser reads without white space after the name (issue 13, finding 2).
        b"<img/src=x onerror=alert(1)>",
        b"<svg/onload=alert(1)>",
        b"<svg\x0conload=alert(1)>",
        b"<a\thref=javascript:alert(1)>x",
        b"jane <at> example.com",
        b"<Name>",
        b"</>",
        b"<? php ?>",
        b"<!x>",
        "<é>".encode(),
    ],
)
def test_markup_and_binary_are_not_plain_text(body) -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        inspect_resume(io.BytesIO(body), "cv.txt", 1000)


@pytest.mark.parametrize("tag", [b"<script>alert(1)</script>", b"<img/src=x onerror=alert(1)>"])
@pytest.mark.parametrize("offset", [1, 2, 3])
def test_markup_split_across_read_chunks_is_still_found(tag, offset) -> None:
    body = b"a" * (256 * 1024 - offset) + tag
    with pytest.raises(UnsupportedMediaTypeError):
        inspect_resume(io.BytesIO(body), "cv.txt", 10**7)


def test_a_tag_after_a_multibyte_character_at_a_chunk_boundary_is_found() -> None:
    # "é" straddles the 256 KiB boundary, so the first chunk decodes one character short.
    body = b"a" * (256 * 1024 - 1) + "é".encode() + b"<svg/onload=alert(1)>"
    with pytest.raises(UnsupportedMediaTypeError):
        inspect_resume(io.BytesIO(body), "cv.txt", 10**7)
    body = b"a" * (256 * 1024 - 2) + b"<" + "é>".encode()
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


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("docm", documents.docm()),
        (
            "docx with word/vbaProject.bin",
            documents.docx(extra={"word/vbaProject.bin": b"\xd0\xcf"}),
        ),
        ("docx with a macroEnabled main part", documents.docx(main_type=documents.DOCM_MAIN)),
        (
            "dotm",
            documents.docx(
                main_type="application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
            ),
        ),
        ("doc with Macros/VBA", documents.doc_with_macros()),
        ("doc with _VBA_PROJECT_CUR", documents.doc_with_macros("_VBA_PROJECT_CUR")),
        ("odt with Basic macros", documents.odt({"Basic/Standard/Module1.xml": b"<x/>"})),
        ("odt with scripts", documents.odt({"Scripts/python/run.py": b"import os"})),
    ],
)
def test_documents_carrying_macros_are_refused(name, document) -> None:
    with pytest.raises(UnsupportedMediaTypeError, match="macros"):
        inspect_resume(io.BytesIO(document), "cv.docx", 10**7)


@pytest.mark.parametrize(
    "word", [b"\\object", b"\\objdata", b"\\objemb", b"\\objlink", b"\\objupdate", b"\\OBJECT"]
)
def test_rtf_with_embedded_objects_is_refused(word) -> None:
    with pytest.raises(UnsupportedMediaTypeError, match="embedded objects"):
        inspect_resume(io.BytesIO(documents.rtf(b"Jane {" + word + b" 0105}")), "cv.rtf", 10**7)
    with pytest.raises(UnsupportedMediaTypeError, match="embedded objects"):
        inspect_resume(io.BytesIO(documents.rtf_with_object()), "cv.rtf", 10**7)


def test_rtf_object_word_split_across_read_chunks_is_found() -> None:
    padding = b"x" * (256 * 1024 - len(documents.rtf(b"")) + 3)
    document = documents.rtf(padding + b"{\\objdata 0105}")
    with pytest.raises(UnsupportedMediaTypeError):
        inspect_resume(io.BytesIO(document), "cv.rtf", 10**7)


@pytest.mark.parametrize("name", ["doc", "docx", "odt", "rtf"])
def test_documents_without_macros_or_objects_are_accepted(name) -> None:
    document = getattr(documents, name)()
    assert inspect_resume(io.BytesIO(document), "cv", 10**7).size == len(document)


@pytest.mark.parametrize(
    ("stored", "content_type", "offered"),
    [
        ("cv.pdf.js", TEXT, "cv.pdf.js.txt"),
        ("cv.hta", TEXT, "cv.hta.txt"),
        ("run.cmd", TEXT, "run.cmd.txt"),
        ("page.html", TEXT, "page.html.txt"),
        ("notes.txt", TEXT, "notes.txt"),
        ("CV.PDF", PDF, "CV.PDF"),
        ("cv.docx", DOC, "cv.docx.doc"),
        ("cv.doc", DOCX, "cv.doc.docx"),
        ("cv.odt", ODT, "cv.odt"),
        ("cv", RTF, "cv.rtf"),
        ("cv.txt", f"{TEXT}; charset=utf-8", "cv.txt"),
    ],
)
def test_download_name_ends_in_the_detected_types_extension(stored, content_type, offered) -> None:
    assert download_filename(stored, content_type) == offered


def test_download_name_with_an_added_extension_stays_within_255_bytes() -> None:
    stored = safe_filename("é" * 200 + ".js", ".txt")
    offered = download_filename(stored, TEXT)
    assert len(offered.encode()) <= 255 and offered.endswith(".txt")
    offered.encode().decode()  # cut on a character boundary
