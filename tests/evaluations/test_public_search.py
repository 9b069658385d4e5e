"""Issue 14.12 (search) and 14.11 (the headline figure): results with snippets and the
words marked, every character of the text escaped; the home page's figure says what it sums."""

from __future__ import annotations

import pytest

from evaluations.public.search import highlight
from tests.evaluations.public_helpers import published_report
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_a_result_shows_where_the_report_mentions_the_words(client):
    published_report(problems="前面的文字。部分项目绩效目标设置不够细化，需要改进。后面的文字。")
    content = client.get("/", {"q": "绩效目标"}).content.decode()
    assert '<p class="snippet">' in content
    assert "部分项目<mark>绩效目标</mark>设置不够细化" in content


def test_a_project_match_gives_the_projects_text(client):
    report = published_report()
    ProjectFactory(report=report, name="航空产业链", outcome="引进航空企业三家。")
    content = client.get("/", {"q": "航空企业"}).content.decode()
    assert "引进<mark>航空企业</mark>三家。" in content


def test_user_text_in_a_snippet_is_escaped(client):
    published_report(problems='危险<script>alert("x")</script>文字')
    content = client.get("/", {"q": "script"}).content.decode()
    assert "<script>alert" not in content
    assert "&lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt;" in content


def test_highlight_cuts_around_the_first_match_any_case():
    text = "a" * 100 + "Budget" + "b" * 100
    snippet = str(highlight(text, "budget", context=5))
    assert snippet == "…aaaaa<mark>Budget</mark>bbbbb…"


def test_the_headline_figure_says_what_it_adds_up(client, sample_report):
    content = client.get("/").content.decode()
    assert "各类预算财政拨款支出合计 3,727.61 万元" in content
