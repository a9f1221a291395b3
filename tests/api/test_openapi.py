"""The OpenAPI document is valid, every route documents its answers, keys are declared."""

from __future__ import annotations

import pytest
from fastapi.openapi.models import OpenAPI

from api.config import ApiOptions
from api.main import create_app
from core.settings import load_settings

OPEN_ROUTES = {"/health", "/ready", "/metrics"}


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("openapi")
    settings = load_settings(database_url=f"sqlite:///{home / 'q.db'}", home=home)
    return create_app(settings, ApiOptions(frontend_dir=home / "none")).openapi()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_document_parses_as_openapi_3_1_and_every_reference_resolves(document):
    OpenAPI.model_validate(document)
    assert document["openapi"].startswith("3.1")
    text = str(document)
    schemas = document["components"]["schemas"]
    for ref in {part.split("'")[0] for part in text.split("#/components/schemas/")[1:]}:
        assert ref in schemas, ref


def test_every_route_has_a_response_model(document):
    for path, method, operation in _operations(document):
        success = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert success, f"{method} {path} documents no success answer"
        for status, response in success.items():
            if status == "204" or path == "/metrics":
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema and schema != {}, f"{method} {path} {status} has no response model"


def test_protected_routes_declare_keys_and_errors(document):
    schemes = document["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path, method, operation in _operations(document):
        if path in OPEN_ROUTES:
            assert "security" not in operation
            continue
        assert operation.get("security"), f"{method} {path} declares no API key"
        for status in ("401", "403", "422", "429"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
