"""Resumes that would harm whoever opens them (issue 13): markup passed off as text, macros,
RTF objects, and names that make a download open as something else. Over the real API."""

from __future__ import annotations

import pytest

from tests import documents
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.leads.test_intake import assert_nothing_stored
from tests.web.pages import web_login


@pytest.mark.parametrize(
    "payload",
    [
        b"<img/src=x onerror=alert(1)>",
        b"Jane Doe\n<svg/onload=alert(document.domain)>\n",
        b"Hello </x> world",
        b"<!x>",
    ],
)
def test_markup_without_white_space_after_the_tag_name_is_415(api, public, payload) -> None:
    response = submit(public, resume=payload, filename="cv.txt", content_type="text/plain")
    assert response.status_code == 415, response.text
    assert_nothing_stored(api)


def test_prose_with_less_than_signs_is_accepted_as_text(api, attorney: Account, public) -> None:
    body = b"Jane Doe\nExperience: <5 years. I <3 Python; a < b.\n"
    response = submit(public, resume=body, filename="cv.txt", content_type="text/plain")
    assert response.status_code == 201, response.text
    detail = attorney.client.get(f"/api/v1/leads/{response.json()['id']}").json()
    assert detail["resume"]["content_type"] == "text/plain"


@pytest.mark.parametrize(
    "document",
    [
        documents.docm(),
        documents.docx(extra={"word/vbaProject.bin": documents.doc_with_macros()}),
        documents.docx(main_type=documents.DOCM_MAIN),
        documents.doc_with_macros(),
        documents.odt({"Basic/Standard/Module1.xml": b"<x/>"}),
    ],
    ids=["docm", "docx+vbaProject", "macroEnabled-main", "doc+Macros", "odt+Basic"],
)
def test_documents_with_macros_are_415_and_leave_nothing(api, public, document) -> None:
    response = submit(public, resume=document, filename="cv.docx")
    assert response.status_code == 415, response.text
    assert "macros" in response.json()["detail"]
    assert_nothing_stored(api)


def test_rtf_with_an_embedded_object_is_415_and_leaves_nothing(api, public) -> None:
    response = submit(public, resume=documents.rtf_with_object(), filename="cv.rtf")
    assert response.status_code == 415, response.text
    assert "embedded objects" in response.json()["detail"]
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    ("uploaded", "resume", "offered"),
    [
        ("CV_Jane.pdf.js", documents.text(), "CV_Jane.pdf.js.txt"),
        ("cv.hta", documents.text(), "cv.hta.txt"),
        ("cv.cmd", documents.text(), "cv.cmd.txt"),
        ("cv.html", documents.text(), "cv.html.txt"),
        ("cv.exe", documents.pdf(), "cv.exe.pdf"),
        ("Jane CV.docx", documents.docx(), "Jane CV.docx"),
        ("cv.TXT", documents.text(), "cv.TXT"),
    ],
)
def test_download_name_ends_in_the_detected_types_extension(
    api: LiveServer, attorney: Account, public, uploaded, resume, offered
) -> None:
    response = submit(public, resume=resume, filename=uploaded, content_type="text/javascript")
    assert response.status_code == 201, response.text
    lead_id = response.json()["id"]
    expected = f'attachment; filename="{offered}"'
    api_download = attorney.client.get(f"/api/v1/leads/{lead_id}/resume")
    assert api_download.headers["content-disposition"] == expected
    assert api_download.content == resume
    page_download = web_login(api, attorney.email).get(f"/leads/{lead_id}/resume")
    assert page_download.status_code == 200
    assert page_download.headers["content-disposition"] == expected
