"""/data/<year>/datapackage.json describes the year's files exactly; frictionless validates it."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django.urls import reverse
from frictionless import Package, validate

from evaluations import datasets as ds
from evaluations.models import Report
from tests.evaluations.api_helpers import scored_report
from tests.evaluations.data_helpers import rich_report
from tests.evaluations.public_helpers import grow_report

pytestmark = pytest.mark.django_db


def _descriptor(client, year: int) -> dict:
    response = client.get(reverse("evaluations:datapackage", args=[year]))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def _download(client, year: int, path: str) -> bytes:
    response = client.get(f"/data/{year}/{path}")
    assert response.status_code == 200, path
    return b"".join(response.streaming_content)


@pytest.fixture
def year_2023():
    rich = rich_report(2023)
    Report.objects.filter(pk=rich.pk).update(status=Report.Status.PUBLISHED)
    grow_report(scored_report("grown", 2023), 3)
    scored_report("other", 2023, actual="5", budget="fund")
    scored_report("draft", 2023, status=Report.Status.DRAFT)


def test_package_validates_against_the_served_files(client, year_2023, tmp_path):
    descriptor = _descriptor(client, 2023)
    names = [r["name"] for r in descriptor["resources"]]
    assert names == [d.name for d in ds.DATASETS.values() if d.public]
    assert "recommendations" not in names  # reviewers' notes are not open data (a 404 there)
    for resource in descriptor["resources"]:
        body = _download(client, 2023, resource["path"])
        # The draft department's code (the year and code open every row).
        assert not re.search(rb"(^|\n)(2023,)?draft,", body), resource["name"]
        assert resource["bytes"] == len(body), resource["name"]
        assert resource["hash"] == "sha256:" + hashlib.sha256(body).hexdigest(), resource["name"]
        local = f"{resource['name']}.csv"
        (tmp_path / local).write_bytes(body)
        resource["path"] = local
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:20]
    package = Package(str(tmp_path / "datapackage.json"))
    assert package.get_resource("indicators").read_rows()  # types read back


def test_fields_come_from_the_registry(client, year_2023):
    resources = {r["name"]: r for r in _descriptor(client, 2023)["resources"]}
    for dataset in ds.OPEN_DATA:
        schema = resources[dataset.name]["schema"]
        assert [f["name"] for f in schema["fields"]] == [c.key for c in dataset.columns]
        assert schema["primaryKey"] == list(dataset.key)
    fields = {f["name"]: f for f in resources["budget_executions"]["schema"]["fields"]}
    assert fields["adjusted_budget"]["type"] == "number" and fields["adjusted_budget"]["unit"] == "万元"
    assert "general" in fields["funding_source"]["constraints"]["enum"]
    assert "appropriation" not in fields["funding_source"]["constraints"]["enum"]
    grade = {f["name"]: f for f in resources["reports"]["schema"]["fields"]}["grade"]
    assert grade["constraints"]["enum"] == ["excellent", "good", "fair", "poor"]
    assert {"fields": ["year", "department_code", "project_code"],
            "reference": {"resource": "projects", "fields": ["year", "department_code", "code"]}
            } in resources["project_funds"]["schema"]["foreignKeys"]


def test_a_wrong_file_fails_validation(client, year_2023, tmp_path):
    """The validation above could fail: a changed amount breaks the recorded hash."""
    descriptor = _descriptor(client, 2023)
    for resource in descriptor["resources"]:
        body = _download(client, 2023, resource["path"])
        if resource["name"] == "budget_executions":
            body = body.replace(b"120.00", b"121.00", 1)
        (tmp_path / f"{resource['name']}.csv").write_bytes(body)
        resource["path"] = f"{resource['name']}.csv"
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")
    report = validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert {e[1] for e in report.flatten(["resourceName", "type"])} & {"hash-count", "byte-count"}


def test_unpublished_year_is_404_and_queries_are_flat(client, django_assert_max_num_queries):
    scored_report("draft", 2030, status=Report.Status.DRAFT)
    assert client.get(reverse("evaluations:datapackage", args=[2030])).status_code == 404
    report = scored_report("grow", 2031)
    grow_report(report, 1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        _descriptor(client, 2031)
    grow_report(report, 5)
    scored_report("more", 2031)
    with django_assert_max_num_queries(len(before)):
        _descriptor(client, 2031)


def test_data_index_links_each_years_package(client):
    scored_report("a", 2022)
    page = client.get(reverse("evaluations:data_index")).content.decode()
    assert reverse("evaluations:datapackage", args=[2022]) in page and "/api/v1/" in page


def test_data_index_links_the_csv_files_for_excel(client):
    """Excel on Chinese Windows reads a CSV without a BOM as GBK: /data/'s links were bare
    (the report and year pages' carry ?bom=1); the package keeps the plain addresses."""
    scored_report("a", 2022)
    page = client.get(reverse("evaluations:data_index")).content.decode()
    url = reverse("evaluations:data_csv", args=[2022, "projects"])
    assert f'href="{url}?bom=1"' in page and f'href="{url}"' not in page
    assert b"".join(client.get(f"{url}?bom=1").streaming_content).startswith("\ufeff".encode())
