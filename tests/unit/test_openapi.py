"""docs/openapi.yaml stays true to the /api routes the app serves, and to itself."""

import re
from pathlib import Path
from typing import Any

import yaml
from flask import Flask

from app.container import build_container
from app.web import create_app
from tests.conftest import make_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
METHODS = {"get", "put", "post", "patch", "delete"}
CONVERTER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _doc() -> dict[str, Any]:
    return yaml.safe_load(DOC.read_text(encoding="utf-8"))


def _app() -> Flask:
    return create_app(container=build_container(make_settings()))


def _served() -> dict[tuple[str, str], Any]:
    """(OpenAPI path, method) -> the Flask rule, for every /api rule."""
    out = {}
    for rule in _app().url_map.iter_rules():
        if rule.rule.startswith("/api"):
            path = CONVERTER.sub(lambda m: "{" + m.group(3) + "}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                out[(path, method.lower())] = rule
    return out


def _documented() -> set[tuple[str, str]]:
    return {(p, m) for p, item in _doc()["paths"].items() for m in item if m in METHODS}


def test_every_documented_operation_is_served():
    assert _documented() - set(_served()) == set()


def test_every_api_route_is_documented():
    assert set(_served()) - _documented() == set()


def test_document_is_openapi_3_1_with_bearer_auth_everywhere():
    doc = _doc()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["sessionToken"] == {
        **doc["components"]["securitySchemes"]["sessionToken"],
        "type": "http",
        "scheme": "bearer",
    }
    assert doc["security"] == [{"sessionToken": []}]
    for path, method in _documented():
        op = doc["paths"][path][method]
        assert op.get("security", doc["security"]) == doc["security"], (path, method)
        assert "401" in op["responses"], (path, method)


def test_error_responses_share_the_error_schema():
    doc = _doc()
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message"] and "field" in error["properties"]
    for name, response in doc["components"]["responses"].items():
        ref = response["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/Error", name
    codes = {
        c
        for item in doc["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for c in op.get("responses", {})
    }
    assert {"401", "403", "404", "409", "422"} <= codes


def test_path_parameters_are_declared_and_actions_match_the_route():
    doc = _doc()
    for (path, method), rule in _served().items():
        item = doc["paths"][path]
        params = [*item.get("parameters", []), *item[method].get("parameters", [])]
        names = {_resolve(doc, p)["name"] for p in params if _resolve(doc, p)["in"] == "path"}
        assert names == set(rule.arguments), (path, method)
    served = next(r for (p, _), r in _served().items() if "{action}" in p)
    options = re.search(r"<any\(([^)]*)\):action>", served.rule).group(1)
    action = next(
        p
        for p in doc["paths"]["/api/rmas/{number}/{action}"]["parameters"]
        if p.get("name") == "action"
    )
    assert sorted(action["schema"]["enum"]) == sorted(o.strip() for o in options.split(","))


def test_every_ref_resolves():
    doc = _doc()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                _resolve(doc, node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in node:
        return node
    target: Any = doc
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return target
