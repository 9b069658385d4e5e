"""A project's indicators belong to the project's report, whoever writes them: a save, a bulk
write, or a project moved to another report (docs/design.md, "Domain model")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations import scores
from indicators.models import Indicator
from tests.factories import IndicatorFactory, ProjectFactory, ReportFactory
from tests.indicators.test_admin_indicators import form_data

pytestmark = pytest.mark.django_db


def _stored_report(indicator) -> int:
    return Indicator.objects.values_list("report_id", flat=True).get(pk=indicator.pk)


def test_save_takes_the_report_from_the_project():
    project = ProjectFactory()
    other = ReportFactory()
    indicator = IndicatorFactory(report=other, project=project)
    assert _stored_report(indicator) == project.report_id
    assert indicator.report == project.report

    # Given only ids, as a shell or a script would.
    indicator = Indicator.objects.get(pk=indicator.pk)
    indicator.report_id = other.pk
    indicator.save()
    assert _stored_report(indicator) == project.report_id
    indicator.report_id = other.pk
    indicator.save(update_fields=["report"])
    assert _stored_report(indicator) == project.report_id


def test_department_indicators_keep_their_report():
    report = ReportFactory()
    indicator = IndicatorFactory(report=report, project=None)
    assert _stored_report(indicator) == report.pk


def test_bulk_create_and_bulk_update_take_the_report_from_the_project(django_assert_num_queries):
    project = ProjectFactory()
    other = ReportFactory()
    rows = [
        Indicator(report_id=other.pk, project_id=project.pk, level1="output", level2="quantity",
                  name=f"指标{n}", position=n)
        for n in range(3)
    ]
    # The projects' reports, then the insert (the layer above rescoring aside).
    with scores.suspended(), django_assert_num_queries(2):
        Indicator.objects.bulk_create(rows)
    assert set(Indicator.objects.values_list("report_id", flat=True)) == {project.report_id}

    moved_to = ProjectFactory()
    stored = list(Indicator.objects.all())
    for indicator in stored:
        indicator.project_id = moved_to.pk
    Indicator.objects.bulk_update(stored, ["project"])
    assert set(Indicator.objects.values_list("report_id", flat=True)) == {moved_to.report_id}


def test_a_project_moved_to_another_report_takes_its_indicators():
    project = ProjectFactory()
    indicator = IndicatorFactory(report=project.report, project=project)
    department_level = IndicatorFactory(report=project.report, project=None)
    target = ReportFactory()
    project.report = target
    project.save()
    assert _stored_report(indicator) == target.pk
    assert _stored_report(department_level) != target.pk
    assert indicator.history.first().report_id == target.pk  # the move is in its history


def test_the_project_page_moves_a_project_with_its_indicators(client, superuser):
    project = ProjectFactory()
    indicator = IndicatorFactory(report=project.report, project=project)
    target = ReportFactory()
    client.force_login(superuser)
    url = reverse("admin:evaluations_project_change", args=[project.pk])
    data = form_data(client.get(url))
    data["report"] = str(target.pk)
    assert client.post(url, data).status_code == 302
    assert _stored_report(indicator) == target.pk
    assert indicator.history.first().history_user == superuser
