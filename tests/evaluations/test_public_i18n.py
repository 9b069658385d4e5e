"""The public pages in English: UI labels, generated sentences and grades translate."""

from __future__ import annotations

import re

import pytest

from tests.evaluations.public_helpers import compile_messages, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def english_catalogue():
    compile_messages()


def _english(client, url):
    client.cookies["django_language"] = "en"
    response = client.get(url)
    assert response.status_code == 200
    return response


def test_report_page_in_english(client, sample_report):
    response = _english(client, sample_report.get_absolute_url())
    content = response.content.decode()
    assert '<html lang="en">' in content
    text = re.sub(r"\s+", " ", page_text(response.content, sep=" "))
    for label in ["I. Basic information", "II. General public budget expenditure",
                  "IV. State capital operation budget expenditure", "X. Other matters",
                  "Publisher", "Revision 1", "None."]:
        assert label in text, label
    assert ("In 2022 the unit's General public budget appropriation income was 1,828.90 "
            "(CNY 10,000).") in text
    # The report's own text stays as it was written.
    assert "着力稳增长、育动能" in text


def test_switching_language_with_the_form(client, sample_report):
    url = sample_report.get_absolute_url()
    response = client.post("/language/", {"language": "en", "next": url}, follow=True)
    assert "Basic information" in response.content.decode()
    response = client.post("/language/", {"language": "zh-hans", "next": url}, follow=True)
    assert "一、基本情况" in response.content.decode()


def test_listing_pages_in_english(client, sample_report):
    assert "Reports published for 2022" in _english(client, "/").content.decode()
    year = _english(client, "/reports/2022/").content.decode()
    assert "2022 performance self-evaluation reports" in year
    assert "Not scored" in year
    department = _english(client, "/departments/dongjiaduan/").content.decode()
    assert "Reports by year" in department
