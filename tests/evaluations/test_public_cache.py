"""Published pages revalidate when what they print changes outside the report itself."""

import pytest
from django.urls import reverse

from evaluations.models import FundingSource

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
