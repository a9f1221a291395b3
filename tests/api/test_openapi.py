"""The OpenAPI document is valid, every route documents its answers, keys are declared, every
bound the API enforces on what a client sends is stated, and operations have readable ids."""

from __future__ import annotations

import re

import pytest
from fastapi.openapi.models import OpenAPI

from api.config import ApiOptions
from api.main import create_app
from api.openapi import INT64_MAX, INT64_MIN
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


def test_operation_ids_are_tag_dash_handler(document):
    ids = {(method, path): op["operationId"] for path, method, op in _operations(document)}
    assert len(set(ids.values())) == len(ids)
    for (method, path), operation_id in ids.items():
        tag = next(op["tags"][0] for p, m, op in _operations(document) if (m, p) == (method, path))
        assert re.fullmatch(rf"{tag}-[a-z_]+", operation_id), (method, path, operation_id)
    assert ids["get", "/api/v1/series"] == "series-list_all"
    assert ids["post", "/api/v1/forecasts"] == "forecasts-create"
    assert ids["post", "/api/v1/observations/csv"] == "observations-upsert_csv"


def _schemas(node, where: str = ""):
    """Every (place, schema) in `node` that has a JSON Schema `type`."""
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield where, node
        for key, value in node.items():
            yield from _schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{where}/{index}")


def test_integer_bounds_are_exact_integers(document):
    for where, schema in _schemas(document):
        if schema["type"] == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                bound = schema.get(key)
                assert bound is None or type(bound) is int, (where, key, bound)
                assert bound is None or INT64_MIN <= bound <= INT64_MAX, (where, key, bound)
    items = document["components"]["schemas"]["ForecastCreate"]["properties"]["series_ids"]
    assert (items["items"]["minimum"], items["items"]["maximum"]) == (1, 2**63 - 1)


def _inputs(document: dict):
    """(place, schema) of everything a client sends: parameters and request bodies, with the
    component schemas the bodies refer to."""
    schemas = document["components"]["schemas"]
    seen: set[str] = set()

    def expand(node, where):
        yield from _schemas(node, where)
        for name in re.findall(r"#/components/schemas/([^'\"]+)", str(node)):
            if name not in seen:
                seen.add(name)
                yield from expand(schemas[name], name)

    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            yield from expand(parameter["schema"], f"{method} {path} {parameter['name']}")
        if "requestBody" in operation:
            yield from expand(operation["requestBody"], f"{method} {path} body")


# Label values of a series are free-form: any integer is stored and read back exactly (JSON on
# SQLite and PostgreSQL alike), so they have no bound to document.
UNBOUNDED = re.compile(r"^SeriesCreate/properties/meta/")


def test_every_integer_and_every_path_text_a_client_sends_has_documented_bounds(document):
    for where, schema in _inputs(document):
        if schema["type"] == "integer" and not UNBOUNDED.match(where):
            assert "minimum" in schema and "maximum" in schema, where
    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if parameter["in"] == "path" and schema.get("type") == "string":
                assert "maxLength" in schema, (method, path, parameter["name"])


def test_every_operation_with_a_body_documents_the_413(document):
    for path, method, operation in _operations(document):
        if "requestBody" in operation:
            assert "413" in operation["responses"], (method, path)
