"""/api/v1/ reads without JavaScript: the endpoints listed by the server, in the visitor's
language, each with a link that answers; Swagger UI's data: icons allowed on that page only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from evaluations.api.docs import SUMMARIES, endpoints
from tests.evaluations.api_helpers import scored_report
from tests.evaluations.public_helpers import compile_messages

pytestmark = pytest.mark.django_db


class _Outside(HTMLParser):
    """The page's text and links outside <script> and <noscript>: what a reader without
    JavaScript sees (noscript's own text aside, which is only a note)."""

    def __init__(self):
        super().__init__()
        self.skip, self.text, self.links, self.lang = 0, [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag in ("script", "noscript"):
            self.skip += 1
        elif tag == "a" and not self.skip:
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "noscript"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def _read(client) -> _Outside:
    response = client.get("/api/v1/")
    assert response.status_code == 200
    parsed = _Outside()
    parsed.feed(response.content.decode())
    return parsed


def test_without_javascript_the_page_lists_every_endpoint_in_chinese_with_links_that_answer(client):
    scored_report("a", 2022)
    page = _read(client)
    text = " ".join(page.text)
    assert page.lang == "zh-hans"
    assert "数据接口（API）" in text and "接口列表" in text
    for path in ("/api/v1/years/", "/api/v1/departments/", "/api/v1/reports/",
                 "/api/v1/reports/{year}/{department_code}/"):
        assert f"GET {path}" in text
    assert "有已公开报告的年度，最近的在前。" in text
    api_links = [href for href in page.links if href.startswith("/api/v1/")]
    assert {"/api/v1/years/", "/api/v1/departments/", "/api/v1/reports/",
            "/api/v1/reports/2022/a/", "/api/v1/schema/"} <= set(api_links)
    for href in api_links:
        assert client.get(href).status_code == 200, href


def test_the_list_follows_the_schema_and_every_endpoint_is_described(client):
    paths = set(client.get("/api/v1/schema/", {"format": "json"}).json()["paths"])
    listed = endpoints()
    assert {e.path for e in listed} == paths  # the docs page itself is not an endpoint
    assert set(SUMMARIES) == {"years", "departments", "reports", "report"}
    reports = next(e for e in listed if e.path == "/api/v1/reports/")
    assert {"year", "department", "funding_source", "grade"} <= set(reports.parameters)
    # Nothing published yet: no example for one report, and no link that would 404.
    assert next(e for e in listed if "{year}" in e.path).link is None


def test_the_page_reads_in_english_with_lang_set(client):
    compile_messages()
    client.cookies["django_language"] = "en"
    page = _read(client)
    text = " ".join(page.text)
    assert page.lang == "en"
    assert "The years with published reports, latest first." in text and "Endpoints" in text
    assert not re.search(r"[\u4e00-\u9fff]{4,}", text.replace("万元", ""))


def test_swagger_icons_are_allowed_on_the_docs_page_only(client):
    docs = client.get("/api/v1/")["Content-Security-Policy"]
    assert re.search(r"img-src 'self' data:", docs)
    assert "script-src 'self';" in docs + ";" and "'unsafe-inline'" not in docs
    for url in ("/", "/api/v1/years/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "data:" not in policy, url
