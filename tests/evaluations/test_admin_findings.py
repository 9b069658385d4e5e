"""The admin shows the findings of evaluations/checks/ and no check of its own: the errors
it flags on save are the ones submission refuses, and a project's page lists that project's."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluations import checks, workflow
from tests.factories import (
    BudgetExecutionFactory,
    IndicatorFactory,
    ProjectFactory,
    ProjectFundFactory,
    ReportFactory,
)
from tests.indicators.test_admin_indicators import form_data


def _listed(finding, content: str) -> bool:
    """The finding's message is listed, linked to its field where the page has one."""
    return re.search(
        f'data-code="{finding.code}">(<a href="#id_[^"]+">)?{re.escape(finding.message)}(</a>)?</li>',
        content,
    ) is not None


pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def faulty_report():
    """Errors of both the department and two projects, and a warning about one project."""
    report = ReportFactory()
    BudgetExecutionFactory(report=report, adjusted_budget=D("100"), project=D("30"))  # 90%
    first = ProjectFactory(report=report, expenditure=D("7"), adjusted_budget=D("10"), outcome="")
    ProjectFundFactory(project=first, expenditure=D("5"))  # 5 ≠ 7: a warning
    IndicatorFactory(report=report, project=first, weight=D("60"), target_value=D("10"),
                     actual_value=D("8"), name="带动投资")  # missed, no reason; 60 + 10 ≠ 100
    second = ProjectFactory(report=report, expenditure=D("9.5"), adjusted_budget=D("10"))
    IndicatorFactory(report=report, project=second, weight=D("90"), target_value=D("1"),
                     actual_value=D("1"))
    IndicatorFactory(report=report, weight=D("20"), target_value=D("5"), actual_value=D("4"),
                     name="完成项目数")  # department: missed, weights 20 + 10 ≠ 100
    return report


def _flagged(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == messages.WARNING]


def test_a_projects_findings_are_the_reports_findings_about_it(faulty_report):
    everything = checks.check_report(faulty_report)
    for project in faulty_report.projects.all():
        mine = [f for f in everything if f.project_id == project.pk]
        assert checks.check_project(project) == mine
    assert {f.code for f in everything if f.project_id is None} == {
        checks.PROJECTS_SUM, checks.DEVIATION_MISSING, checks.WEIGHTS_MISMATCH,
    }


def test_errors_flagged_on_save_are_those_that_block_submission(client, superuser, faulty_report):
    client.force_login(superuser)
    url = reverse("admin:evaluations_report_change", args=[faulty_report.pk])
    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302

    with pytest.raises(ValidationError) as refused:
        workflow.submit_report(faulty_report, superuser)
    assert _flagged(response) == refused.value.messages
    assert len(refused.value.messages) == 7


def test_report_page_lists_every_finding(client, superuser, faulty_report):
    client.force_login(superuser)
    page = client.get(reverse("admin:evaluations_report_change", args=[faulty_report.pk]))
    content = page.content.decode()
    for finding in checks.check_report(faulty_report):
        assert _listed(finding, content)


def test_project_page_lists_its_findings_errors_and_warnings(client, superuser, faulty_report):
    first, second = faulty_report.projects.order_by("position")
    client.force_login(superuser)
    content = client.get(reverse("admin:evaluations_project_change", args=[first.pk])).content.decode()
    found = checks.check_project(first)
    assert {f.code for f in found} == {
        checks.OUTCOME_MISSING, checks.PROJECT_FUNDS_SUM, checks.EXECUTION_EXPLANATION_MISSING,
        checks.DEVIATION_MISSING, checks.WEIGHTS_MISMATCH,
    }
    for finding in found:
        assert _listed(finding, content)
    # Nothing about the report as a whole or the department's table.
    assert checks.PROJECTS_SUM not in content and "完成项目数" not in content

    content = client.get(reverse("admin:evaluations_project_change", args=[second.pk])).content.decode()
    assert 'id="checks"' not in content


def test_project_page_flags_its_errors_on_save(client, superuser, faulty_report):
    first = faulty_report.projects.order_by("position").first()
    client.force_login(superuser)
    url = reverse("admin:evaluations_project_change", args=[first.pk])
    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302
    assert _flagged(response) == [f.message for f in checks.errors(checks.check_project(first))]


def test_each_finding_links_to_the_input_it_asks_for(client, superuser, faulty_report):
    """Issue 14.6: the field a check names is one click away (its id, so no JavaScript)."""
    faulty_report.problems = ""
    faulty_report.save()
    client.force_login(superuser)
    content = client.get(
        reverse("admin:evaluations_report_change", args=[faulty_report.pk])
    ).content.decode()
    links = dict(re.findall(r'data-code="([a-z_]+)"><a href="#(id_[^"]+)">', content))
    assert links[checks.SECTION_MISSING] == "id_problems"
    assert re.fullmatch(r"id_indicators-\d+-deviation", links[checks.DEVIATION_MISSING])
    assert re.fullmatch(r"id_projects-\d+-outcome", links[checks.OUTCOME_MISSING])
    # A project's low execution rate and a table's weights lead to their inputs too (they
    # had no link: the explanation was on the project's own page only).
    assert re.fullmatch(r"id_projects-\d+-execution_explanation", links[checks.EXECUTION_EXPLANATION_MISSING])
    assert re.fullmatch(r"id_indicators-\d+-weight", links[checks.WEIGHTS_MISMATCH])
    for anchor in links.values():
        assert f'id="{anchor}"' in content  # the input is on this page
    deviation = re.search(f'<textarea name="{links[checks.DEVIATION_MISSING][3:]}"', content)
    assert deviation is not None
