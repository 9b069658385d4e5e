"""Published pages revalidate when what they print changes outside the report itself."""

import pytest
from django.urls import reverse

from evaluations import datasets as ds
from evaluations.imports.importer import import_file
from evaluations.models import Department, FundingSource
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["report", "year", "department", "home"])
def test_renaming_the_department_invalidates_its_pages(client, sample_report, page):
    args = {
        "report": [2022, "dongjiaduan"], "year": [2022], "department": ["dongjiaduan"], "home": [],
    }[page]
    url = reverse(f"evaluations:{page}", args=args)
    etag = client.get(url)["ETag"]

    department = sample_report.department
    department.name = "董家塅片区管委会（更名）"
    department.save()

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "董家塅片区管委会（更名）" in response.content.decode()


def test_renaming_a_funding_source_invalidates_the_report(client, sample_report):
    url = sample_report.get_absolute_url()
    etag = client.get(url)["ETag"]
    source = FundingSource.objects.get(code="fund")
    source.name = "政府性基金"
    source.save()
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_unchanged_pages_still_answer_304_in_one_query(client, sample_report, django_assert_num_queries):
    url = sample_report.get_absolute_url()
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


PAGES = ["/", "/reports/2022/", "/reports/2022/dongjiaduan/", "/departments/dongjiaduan/"]


def _etags(client) -> dict[str, str]:
    return {url: client.get(url)["ETag"] for url in PAGES}


def test_assigning_staff_leaves_every_page_valid(client, sample_report):
    """Staff are not printed; history records their assignment as a department change."""
    other = DepartmentFactory()
    etags = _etags(client)
    for department in (sample_report.department, other):
        department.staff.add(UserFactory())
        department.save()  # the admin saves the form too, unchanged
    assert sample_report.department.history.count() > 1
    for url, etag in etags.items():
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304, url


def test_a_department_renamed_by_an_import_invalidates_the_pages(client, sample_report):
    etags = _etags(client)
    csv = "code,name\r\ndongjiaduan,董家塅片区管委会（导入更名）\r\n"
    assert import_file(ds.DEPARTMENTS, csv.encode()).ok
    assert Department.objects.get(code="dongjiaduan").name == "董家塅片区管委会（导入更名）"
    for url, etag in etags.items():
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200, url
        assert "董家塅片区管委会（导入更名）" in response.content.decode(), url
