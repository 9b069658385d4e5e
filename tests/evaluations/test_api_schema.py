"""The API's OpenAPI schema is valid, describes every answer, and the docs page needs no CDN."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import override_settings
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from tests.evaluations.api_helpers import scored_report
from tests.evaluations.public_helpers import grow_report

pytestmark = pytest.mark.django_db


def _schema(client) -> dict:
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi(client):
    schema = _schema(client)
    validate(schema)
    assert set(schema["paths"]) == {
        "/api/v1/years/", "/api/v1/departments/", "/api/v1/reports/",
        "/api/v1/reports/{year}/{department_code}/",
    }
    names = {p["name"] for p in schema["paths"]["/api/v1/reports/"]["get"]["parameters"]}
    assert {"year", "department", "funding_source", "grade", "page", "page_size"} <= names


def _validator(schema: dict, operation: str, status: str = "200") -> OAS30Validator:
    path, method = operation
    content = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    # The components travel with the response schema so $refs resolve.
    return OAS30Validator({**content["schema"], "components": schema["components"]})


@pytest.mark.parametrize("url, operation", [
    ("/api/v1/years/", ("/api/v1/years/", "get")),
    ("/api/v1/departments/", ("/api/v1/departments/", "get")),
    ("/api/v1/reports/", ("/api/v1/reports/", "get")),
    ("/api/v1/reports/2022/a/", ("/api/v1/reports/{year}/{department_code}/", "get")),
])
def test_answers_match_the_schema(client, url, operation):
    report = scored_report("a", 2022)
    grow_report(report, 2)
    scored_report("b", 2022, actual="5", budget="fund")
    schema = _schema(client)
    body = client.get(url).json()
    _validator(schema, operation).validate(body)
    # A float anywhere would fail the string schema of a number; say so plainly too.
    assert not re.search(r":\s*-?\d+\.\d+[,}\]]", client.get(url).content.decode())


def test_error_matches_the_schema(client):
    schema = _schema(client)
    body = client.get("/api/v1/reports/", {"year": "x"}).json()
    _validator(schema, ("/api/v1/reports/", "get"), "400").validate(body)


def test_docs_page_is_served_from_static(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    # Our own origin only (the intro's links lead to the site's pages and the API).
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert "<script>" not in page and "<style>" not in page  # CSP: no inline script or style
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert len(scripts) == 3 and all(s.startswith(("/static/", "/api/v1/")) for s in scripts)
    assert client.get(scripts[-1].replace("&amp;", "&")).status_code == 200


@override_settings(
    API_RATE="3/min", CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
def test_anonymous_use_is_limited_per_address(client):
    cache.clear()
    scored_report("a", 2022)
    statuses = [client.get("/api/v1/years/", REMOTE_ADDR="203.0.113.5").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.get("/api/v1/years/", REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["detail"]
    # A header the client writes itself does not make it someone else (REMOTE_ADDR is no proxy).
    forged = client.get("/api/v1/years/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert forged.status_code == 429
    assert client.get("/api/v1/years/", REMOTE_ADDR="203.0.113.6").status_code == 200


@override_settings(
    API_RATE="1/min", TRUSTED_PROXIES=["10.0.0.10"],
    AXES_CLIENT_IP_CALLABLE="evaluations.auth.forwarded_client_ip",
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
)
def test_behind_a_trusted_proxy_the_forwarded_client_counts(client):
    cache.clear()
    scored_report("a", 2022)
    via_proxy = {"REMOTE_ADDR": "10.0.0.10"}
    assert client.get("/api/v1/years/", HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy).status_code == 200
    assert client.get("/api/v1/years/", HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy).status_code == 429
    assert client.get("/api/v1/years/", HTTP_X_FORWARDED_FOR="198.51.100.2", **via_proxy).status_code == 200


def test_the_schema_is_titled_in_the_visitors_language(client):
    """The title and description Swagger UI shows came in English on the Chinese page (the
    public reviewer's /api/v1/); they follow the language as the page around them does."""
    info = _schema(client)["info"]
    assert info["title"] == "绩效自评开放数据接口" and "只读" in info["description"]
    client.cookies["django_language"] = "en"
    info = client.get("/api/v1/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en").json()["info"]
    assert info["title"] == "Performance self-evaluation open data API"
