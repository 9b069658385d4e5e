"""Indicator positions in the admin inlines: a duplicate is a form error, never a 500.

The position constraints are conditional (department rows have no project), which Django's
formset uniqueness check does not cover.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import Indicator
from tests.factories import IndicatorFactory, ProjectFactory, ReportFactory
from tests.indicators.test_admin_indicators import _prefix, form_data

pytestmark = pytest.mark.django_db

NEW_ROW = {
    "level1": "output", "level2": "quantity", "nature": "gte", "unit": "个",
    "target_value": "5", "applicable": "on",
}


def add_rows(data: dict, prefix: str, rows: list[dict]) -> None:
    start = int(data[f"{prefix}-TOTAL_FORMS"])
    for offset, row in enumerate(rows):
        for key, value in {**NEW_ROW, **row}.items():
            data[f"{prefix}-{start + offset}-{key}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(start + len(rows))


@pytest.fixture
def report():
    report = ReportFactory()
    IndicatorFactory(report=report, position=1, name="已有指标")
    return report


def _post_report(client, report, rows, **changes):
    url = reverse("admin:evaluations_report_change", args=[report.pk])
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, Indicator)
    data.update({f"{prefix}-{k}": v for k, v in changes.items()})
    add_rows(data, prefix, rows)
    return client.post(url, data)


def test_two_new_department_indicators_at_one_position(client, superuser, report):
    client.force_login(superuser)
    response = _post_report(client, report, [
        {"name": "新指标甲", "position": "7"}, {"name": "新指标乙", "position": "7"},
    ])
    assert response.status_code == 200
    assert "部门整体指标的顺序不能重复。" in response.content.decode()
    assert report.indicators.count() == 1


def test_new_department_indicator_at_a_taken_position(client, superuser, report):
    client.force_login(superuser)
    response = _post_report(client, report, [{"name": "新指标", "position": "1"}])
    assert response.status_code == 200
    assert "部门整体指标的顺序不能重复。" in response.content.decode()


def test_deleted_row_frees_its_position(client, superuser, report):
    client.force_login(superuser)
    response = _post_report(client, report, [{"name": "新指标", "position": "1"}], **{"0-DELETE": "on"})
    assert response.status_code == 302
    assert list(report.indicators.values_list("name", "position")) == [("新指标", 1)]


def _post_project(client, project, rows, **changes):
    url = reverse("admin:evaluations_project_change", args=[project.pk])
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, Indicator)
    data.update({f"{prefix}-{k}": v for k, v in changes.items()})
    add_rows(data, prefix, rows)
    return client.post(url, data)


def test_two_new_project_indicators_at_one_position(client, superuser):
    project = ProjectFactory()
    client.force_login(superuser)
    response = _post_project(client, project, [
        {"name": "新指标甲", "position": "3"}, {"name": "新指标乙", "position": "3"},
    ])
    assert response.status_code == 200
    assert "同一项目的指标顺序不能重复。" in response.content.decode()
    assert not project.indicators.exists()


def test_project_page_indicators_belong_to_the_report_and_free_positions(client, superuser):
    project = ProjectFactory()
    IndicatorFactory(report=project.report, project=project, position=1, name="旧指标")
    client.force_login(superuser)
    response = _post_project(
        client, project, [{"name": "新指标", "position": "1", "weight": "5"}], **{"0-DELETE": "on"}
    )
    assert response.status_code == 302
    new = Indicator.objects.get()
    assert (new.name, new.position, new.report_id) == ("新指标", 1, project.report_id)
    assert new.weight == Decimal("5")


def test_moving_a_project_to_another_report_takes_its_indicators(client, superuser):
    project = ProjectFactory()
    IndicatorFactory(report=project.report, project=project, position=1, name="项目指标")
    other = ReportFactory(fiscal_year=project.report.fiscal_year)
    client.force_login(superuser)
    url = reverse("admin:evaluations_project_change", args=[project.pk])
    data = form_data(client.get(url))
    data["report"] = str(other.pk)

    assert client.post(url, data).status_code == 302

    indicator = Indicator.objects.get(name="项目指标")
    assert (indicator.project_id, indicator.report_id) == (project.pk, other.pk)
    assert indicator.history.first().report_id == other.pk


def test_wide_inline_tables_get_the_compact_stylesheet(client, data_entry_user):
    # Without it the indicator table made the report page 3,600 px wide, past the save row.
    project = ProjectFactory()
    project.report.department.staff.add(data_entry_user)
    client.force_login(data_entry_user)
    for url in (
        reverse("admin:evaluations_report_change", args=[project.report.pk]),
        reverse("admin:evaluations_project_change", args=[project.pk]),
    ):
        assert 'href="/static/css/admin.css"' in client.get(url).content.decode()


def test_renumbering_rows_in_one_save(client, superuser):
    from evaluations.models import OutcomeNarrative, Project
    from tests.factories import OutcomeNarrativeFactory

    report = ReportFactory()
    for n in (1, 2):
        OutcomeNarrativeFactory(report=report, position=n, headline=f"段落{n}")
        ProjectFactory(report=report, position=n, code=f"p{n}", name=f"项目{n}")
        IndicatorFactory(report=report, position=n, name=f"指标{n}")
    client.force_login(superuser)
    url = reverse("admin:evaluations_report_change", args=[report.pk])
    response = client.get(url)
    data = form_data(response)
    for model in (OutcomeNarrative, Project):  # swap the two
        prefix = _prefix(response, model)
        data[f"{prefix}-0-position"], data[f"{prefix}-1-position"] = "2", "1"
    prefix = _prefix(response, Project)
    data[f"{prefix}-0-code"], data[f"{prefix}-1-code"] = "p2", "p1"
    prefix = _prefix(response, Indicator)  # shift down and insert a new first row
    data[f"{prefix}-0-position"], data[f"{prefix}-1-position"] = "2", "3"
    add_rows(data, prefix, [{"name": "新的第一项", "position": "1"}])

    response = client.post(url, data)

    assert response.status_code == 302
    assert list(report.narratives.order_by("position").values_list("headline", flat=True)) == ["段落2", "段落1"]
    assert list(report.projects.order_by("position").values_list("name", "code")) == [("项目2", "p1"), ("项目1", "p2")]
    assert list(report.indicators.order_by("position").values_list("name", flat=True)) == ["新的第一项", "指标1", "指标2"]
    # The parking is not in the history: each row's last record holds its final position.
    assert report.narratives.get(headline="段落1").history.first().position == 2


def test_a_budget_kind_handed_over_in_one_save_is_a_form_error(client, superuser):
    """A budget's kind cannot be parked like a position: swapping the kinds of two budget
    rows in one save used to end in an IntegrityError (a 500). Now the form says what to do;
    a hand-over the rows' saving order allows still goes through."""
    from evaluations.models import BudgetExecution
    from tests.factories import source

    report = ReportFactory()
    general = BudgetExecution.objects.create(report=report, funding_source=source("general"))
    fund = BudgetExecution.objects.create(report=report, funding_source=source("fund"))
    client.force_login(superuser)
    url = reverse("admin:evaluations_report_change", args=[report.pk])
    response = client.get(url)
    data = form_data(response)
    prefix = _prefix(response, BudgetExecution)
    first = 0 if data[f"{prefix}-0-id"] == str(general.pk) else 1
    data[f"{prefix}-{first}-funding_source"] = str(source("fund").pk)
    data[f"{prefix}-{1 - first}-funding_source"] = str(source("general").pk)

    response = client.post(url, data)

    assert response.status_code == 200
    page = response.content.decode()
    # Rows are written in form order: the first row would take a kind the second still holds.
    assert "第 1 行的“预算类别”改成了第 2 行在同一次保存中改掉或删除的值" in page
    assert dict(report.budget_executions.values_list("pk", "funding_source__code")) == {
        general.pk: "general", fund.pk: "fund",
    }
    # A row may take the kind a row listed before it gives up: that one is written first.
    giver, taker = 0, 1
    giver_pk = int(data[f"{prefix}-{giver}-id"])
    taker_pk = int(data[f"{prefix}-{taker}-id"])
    kinds = dict(report.budget_executions.values_list("pk", "funding_source__code"))
    data[f"{prefix}-{giver}-funding_source"] = str(source("state_capital").pk)
    data[f"{prefix}-{taker}-funding_source"] = str(source(kinds[giver_pk]).pk)
    assert client.post(url, data).status_code == 302
    assert dict(report.budget_executions.values_list("pk", "funding_source__code")) == {
        giver_pk: "state_capital", taker_pk: kinds[giver_pk],
    }


def test_new_rows_left_blank_go_after_the_others(client, superuser, report):
    """A new row's 顺序 was 0, so the second of two new rows clashed with the first ("顺序不能
    重复", no word of what to type): blank now, and numbered after the rows there are."""
    client.force_login(superuser)
    page = client.get(reverse("admin:evaluations_report_change", args=[report.pk])).content.decode()
    assert "留空则排在已有各行之后。" in page
    # The row the page adds (its empty form) shows 顺序 blank, not the model's 0.
    import re

    empty = re.search(r'<input[^>]*name="[a-z_]+-__prefix__-position"[^>]*>', page).group(0)
    assert 'value="' not in empty, empty
    response = _post_report(client, report, [
        {"name": "新指标甲", "position": ""}, {"name": "新指标乙", "position": "5"},
        {"name": "新指标丙", "position": ""},
    ])
    assert response.status_code == 302, response.context["inline_admin_formsets"]
    assert list(report.indicators.order_by("position").values_list("name", "position")) == [
        ("已有指标", 1), ("新指标乙", 5), ("新指标甲", 6), ("新指标丙", 7)]


def test_new_projects_left_blank_go_after_the_others(client, superuser):
    from evaluations.models import Project
    from tests.indicators.test_admin_indicators import form_data as page_data

    project = ProjectFactory(position=3)
    url = reverse("admin:evaluations_report_change", args=[project.report_id])
    client.force_login(superuser)
    response = client.get(url)
    data = page_data(response)
    prefix = _prefix(response, Project)
    start = int(data[f"{prefix}-TOTAL_FORMS"])
    for offset, code in enumerate(("p-new-1", "p-new-2")):
        row = {"code": code, "name": code, "funding_source": project.funding_source_id,
               "initial_budget": "1", "adjusted_budget": "1", "expenditure": "1", "position": ""}
        data.update({f"{prefix}-{start + offset}-{k}": v for k, v in row.items()})
    data[f"{prefix}-TOTAL_FORMS"] = str(start + 2)
    response = client.post(url, data)
    assert response.status_code == 302
    assert list(Project.objects.filter(report=project.report).order_by("position")
                .values_list("code", "position"))[-2:] == [("p-new-1", 4), ("p-new-2", 5)]
