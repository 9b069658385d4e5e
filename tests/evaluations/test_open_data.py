"""Open data: /data/ with its dictionary, and /data/<year>/<dataset>.csv for published reports only."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import datasets as ds
from evaluations.data_dictionary import dictionary_markdown
from tests.evaluations.data_helpers import DATASET_ORDER
from tests.factories import BudgetExecutionFactory, IndicatorFactory, ReportFactory

pytestmark = pytest.mark.django_db


def test_index_lists_published_years_and_the_dictionary(client, sample_report, django_assert_max_num_queries):
    ReportFactory(fiscal_year__year=2030)  # a draft: its year is not listed
    with django_assert_max_num_queries(3):
        response = client.get(reverse("evaluations:data_index"))
    content = response.content.decode()
    assert response.status_code == 200
    assert reverse("evaluations:data_csv", args=[2022, "indicators"]) in content
    assert "/data/2030/" not in content
    for dataset in ds.DATASETS.values():
        for column in dataset.columns:
            assert f"<code>{column.key}</code>" in content
    assert "一般公共预算" in content and "<code>gte</code>" in content


def test_year_csv_has_published_reports_only(client, sample_report):
    draft = ReportFactory(department__code="draft-dept", fiscal_year__year=2022)
    BudgetExecutionFactory(report=draft)
    IndicatorFactory(report=draft)
    for name in DATASET_ORDER:
        response = client.get(reverse("evaluations:data_csv", args=[2022, name]))
        assert response.status_code == 200, name
        body = b"".join(response.streaming_content).decode()
        assert "draft-dept" not in body, name
    body = b"".join(
        client.get(reverse("evaluations:data_csv", args=[2022, "reports"]), {"header": "keys"}).streaming_content
    ).decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert [r["department_code"] for r in rows] == ["dongjiaduan"]
    departments = b"".join(
        client.get(reverse("evaluations:data_csv", args=[2022, "departments"])).streaming_content
    ).decode()
    assert "\ndongjiaduan," in departments and "\nzhuzhou-hitech," not in departments


def test_unknown_year_or_dataset_is_404(client, sample_report):
    ReportFactory(fiscal_year__year=2031)
    assert client.get(reverse("evaluations:data_csv", args=[2031, "reports"])).status_code == 404
    assert client.get(reverse("evaluations:data_csv", args=[2022, "secrets"])).status_code == 404


def test_open_data_queries_stay_flat(client, sample_report):
    url = reverse("evaluations:data_csv", args=[2022, "projects"])
    counts = []
    for extra in (0, 5):
        for _ in range(extra):
            ReportFactory(fiscal_year__year=2022, status="published")
        with CaptureQueriesContext(connection) as ctx:
            b"".join(client.get(url).streaming_content)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_dictionary_document_matches_the_registry():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"
    assert doc.read_text(encoding="utf-8") == dictionary_markdown(), (
        "regenerate with: python manage.py shell -v 0 -c "
        "\"from evaluations.data_dictionary import dictionary_markdown; print(dictionary_markdown(), end='')\""
        " > docs/data-dictionary.md"
    )


def test_files_keep_chinese_headers_when_the_reader_chose_english(client, sample_report):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("evaluations:data_index"))
    assert page["Content-Language"] == "en"
    response = client.get(reverse("evaluations:data_csv", args=[2022, "budget_executions"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("年度,部门编码,预算类别")
    assert ",一般公共预算," in text


def test_the_dictionary_states_the_import_limits_as_configured(settings):
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS = 1234, 56
    settings.IMPORT_MAX_CELL_CHARS = 7890
    assert "1,234 rows, 56 columns and 7,890 characters a cell" in dictionary_markdown()


def test_the_grade_column_states_the_scoring_floors():
    from django.utils import translation

    grade = next(c for c in ds.get_dataset("reports").columns if c.key == "grade")
    with translation.override("zh-hans"):
        assert str(grade.meaning) == "≥90 优，≥80 良，≥60 中，其余为差；无总分时为空。"
    with translation.override("en"):
        assert str(grade.meaning) == (
            "≥90 Excellent, ≥80 Good, ≥60 Fair, otherwise Poor; blank when there is no total score."
        )


def test_every_file_offered_is_open_and_answers(client, sample_report):
    """/data/ offers the open datasets only (recommendations is not open data: its CSV is a
    404, so a link to it would be dead), each link answering 200; the report page's own
    downloads are labelled in Chinese, the file's name beside."""
    import re

    page = client.get(reverse("evaluations:data_index")).content.decode()
    links = set(re.findall(r'href="(/data/\d{4}/[a-z_]+\.csv)\?bom=1"', page))  # for Excel
    assert links == {reverse("evaluations:data_csv", args=[2022, d.name]) for d in ds.OPEN_DATA}
    assert not any("recommendations" in link for link in links)
    for link in links:
        assert client.get(link).status_code == 200, link
    report_page = client.get(sample_report.get_absolute_url()).content.decode()
    assert f">{ds.DATASETS['indicators'].label}</a>" in report_page
    assert "（indicators.csv）" in report_page


def test_an_unknown_department_is_refused_not_an_empty_file(client, sample_report):
    url = reverse("evaluations:data_csv", args=[2022, "projects"])
    response = client.get(url, {"department": "nosuch"})
    assert response.status_code == 400 and "nosuch" in response.content.decode()
    assert client.get(url, {"department": "dongjiaduan"}).status_code == 200
