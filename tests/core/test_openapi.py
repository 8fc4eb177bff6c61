"""The OpenAPI document: valid for openapi-spec-validator, and shaped for client generators."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer

# One backend: the document does not depend on the database.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

OPERATION_IDS = {
    ("post", "/api/v1/auth/token"): "login",
    ("post", "/api/v1/auth/logout"): "logout",
    ("post", "/api/v1/auth/password-reset"): "request_password_reset",
    ("post", "/api/v1/auth/password-reset/confirm"): "confirm_password_reset",
    ("post", "/api/v1/leads"): "submit_lead",
    ("get", "/api/v1/leads"): "list_leads",
    ("get", "/api/v1/leads/{lead_id}"): "get_lead",
    ("patch", "/api/v1/leads/{lead_id}"): "update_lead",
    ("get", "/api/v1/leads/{lead_id}/resume"): "download_resume",
    ("post", "/api/v1/leads/{lead_id}/notes"): "add_note",
    ("get", "/api/v1/leads/{lead_id}/notes"): "list_notes",
    ("get", "/api/v1/leads/{lead_id}/timeline"): "get_timeline",
    ("post", "/api/v1/leads/{lead_id}/assign"): "assign_lead",
    ("get", "/api/v1/users/me"): "get_me",
    ("patch", "/api/v1/users/me"): "update_me",
    ("post", "/api/v1/users/me/password"): "change_password",
    ("post", "/api/v1/users"): "create_user",
    ("get", "/api/v1/users"): "list_users",
    ("patch", "/api/v1/users/{user_id}"): "update_user",
    ("get", "/api/v1/audit"): "list_audit_events",
    ("post", "/api/v1/privacy/erasures"): "erase_person",
    ("get", "/api/v1/privacy/export"): "export_person",
    ("get", "/api/v1/stats"): "get_stats",
    ("get", "/api/v1/leads/export.csv"): "export_leads",
    ("post", "/api/v1/webhooks"): "create_webhook",
    ("get", "/api/v1/webhooks"): "list_webhooks",
    ("delete", "/api/v1/webhooks/{webhook_id}"): "delete_webhook",
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"): "list_webhook_deliveries",
    ("get", "/api/v1/leads/{lead_id}/similar"): "get_similar_leads",
    ("post", "/api/v1/leads/{lead_id}/conflict"): "resolve_conflict",
    ("post", "/api/v1/parties"): "create_party",
    ("get", "/api/v1/parties"): "list_parties",
    ("delete", "/api/v1/parties/{party_id}"): "delete_party",
    ("post", "/api/v1/parties/import"): "import_parties",
    ("get", "/healthz"): "healthz",
    ("get", "/readyz"): "readyz",
    ("get", "/metrics"): "metrics",
}


@pytest.fixture
def document(api: LiveServer, public) -> dict[str, Any]:
    response = public.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_openapi_spec_validator_command_line_accepts_the_document(
    api: LiveServer, public, tmp_path: Path
) -> None:
    saved = tmp_path / "openapi.json"
    saved.write_bytes(public.get("/openapi.json").content)
    validator = Path(sys.executable).with_name("openapi-spec-validator")
    result = subprocess.run(
        [str(validator), str(saved)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def test_operation_ids_are_the_contracts_verbs(document: dict[str, Any]) -> None:
    ids = {key: operation["operationId"] for key, operation in operations(document).items()}
    assert ids == OPERATION_IDS


def test_no_generated_model_names(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    assert {"LoginForm", "SubmitLeadForm", "ValidationErrorRead", "ReadyRead"} <= names
    assert not [name for name in names if name.startswith("Body_") or "api_v1" in name.lower()]


def test_intake_body_is_a_flat_form_with_a_binary_resume(document: dict[str, Any]) -> None:
    body = operations(document)[("post", "/api/v1/leads")]["requestBody"]
    assert body["content"]["multipart/form-data"]["schema"] == {
        "$ref": "#/components/schemas/SubmitLeadForm"
    }
    form = document["components"]["schemas"]["SubmitLeadForm"]
    assert "allOf" not in form and form["type"] == "object"
    assert form["properties"]["resume"]["type"] == "string"
    assert form["properties"]["resume"]["format"] == "binary"
    assert "contentMediaType" not in form["properties"]["resume"]
    assert {"first_name", "last_name", "email", "phone", "message"} <= set(form["properties"])
    assert set(form["required"]) == {"first_name", "last_name", "email", "resume"}
    assert "website" not in form["properties"]  # the web form's spam trap stays unadvertised


def test_login_form_is_named(document: dict[str, Any]) -> None:
    body = operations(document)[("post", "/api/v1/auth/token")]["requestBody"]
    schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert schema == {"$ref": "#/components/schemas/LoginForm"}
    assert {"username", "password"} <= set(
        document["components"]["schemas"]["LoginForm"]["required"]
    )


def test_validation_errors_are_typed(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ValidationErrorRead"]["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/FieldError"
    }
    assert set(schemas["FieldError"]["required"]) == {"loc", "msg", "type"}
    for key, operation in operations(document).items():
        if "422" in operation["responses"]:
            content = operation["responses"]["422"]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ValidationErrorRead"}, key


def test_response_headers_are_documented(document: dict[str, Any]) -> None:
    ops = operations(document)
    for key, operation in ops.items():
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert "X-Request-ID" in headers, (key, status)
            if status in ("429", "503"):
                assert "Retry-After" in headers, (key, status)
            if status == "201":
                assert "Location" in headers, (key, status)
    download = ops[("get", "/api/v1/leads/{lead_id}/resume")]["responses"]["200"]
    assert "Content-Disposition" in download["headers"]
    assert download["content"]["application/pdf"]["schema"] == {
        "type": "string",
        "format": "binary",
    }


def test_readiness_and_tags_are_described(document: dict[str, Any]) -> None:
    readyz = operations(document)[("get", "/readyz")]["responses"]
    assert readyz["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReadyRead"
    }
    assert readyz["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NotReadyRead"
    }
    tags = {tag["name"]: tag["description"] for tag in document["tags"]}
    used = {tag for operation in operations(document).values() for tag in operation["tags"]}
    assert used <= set(tags) and all(tags.values())
    schemas = document["components"]["schemas"]
    for name in ("LeadUpdate", "UserCreate", "UserUpdate", "UserSelfUpdate", "SubmitLeadForm"):
        assert schemas[name]["examples"], name


def test_patterns_hold_no_raw_control_or_astral_characters(document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False)
    patterns = re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")', text)
    assert patterns
    for literal in patterns:
        pattern = json.loads(literal)
        assert all(0x20 <= ord(c) < 0x7F for c in pattern), pattern
        re.compile(pattern)  # Python's re, as validators use it


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_name_no_other_host(api: LiveServer, public, path: str) -> None:
    page = public.get(path)
    assert page.status_code == 200
    assert re.findall(r"(?:https?:)?//[\w.-]+", page.text) == []
