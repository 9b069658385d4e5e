"""One year after publication, end to end through the admin, the command line and the public
page: a reviewer's finding answered by the department and verified, a re-check of the sampled
report with a flagged difference, a budget recommendation, and next year's report carrying
last year's finding that is still open."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from evaluations import checks
from evaluations.models import Finding, Recheck, Recommendation, Report
from indicators.models import Indicator
from tests.evaluations.cycle_helpers import published_report

pytestmark = pytest.mark.django_db


def finding_form(report, **fields):
    data = {"report": report.pk, "position": "", "source": "review", "description": "",
            "measure": "", "owner": "", "due_date": "2024-06-30", "status": "open",
            "attachments-TOTAL_FORMS": 0, "attachments-INITIAL_FORMS": 0}
    data.update(fields)
    return data


def test_a_year_after_publication(client, data_entry_user, reviewer, auditor):
    report = published_report(year=2023, code="d1")
    report.department.staff.add(data_entry_user)
    add = reverse("admin:evaluations_finding_add")

    # A reviewer and an auditor raise findings on the published report.
    client.force_login(reviewer)
    assert client.post(add, finding_form(report, description="验收资料不全")).status_code == 302
    client.force_login(auditor)
    assert client.post(add, finding_form(report, source="audit", description="合同未备案")).status_code == 302
    first, second = Finding.objects.order_by("position")
    assert (first.position, second.position, second.source) == (1, 2, "audit")

    # The department answers both, finishing one.
    client.force_login(data_entry_user)
    change = reverse("admin:evaluations_finding_change", args=[first.pk])
    assert client.post(change, finding_form(report, measure="已补齐", owner="办公室",
                                            status="done")).status_code == 302
    change2 = reverse("admin:evaluations_finding_change", args=[second.pk])
    assert client.post(change2, finding_form(report, measure="办理中", status="in_progress")).status_code == 302

    # The reviewer verifies the finished one.
    client.force_login(reviewer)
    assert client.post(change, finding_form(report, description="验收资料不全", position=1,
                                            measure="已补齐", owner="办公室",
                                            status="verified")).status_code == 302
    first.refresh_from_db()
    assert first.status == "verified" and first.verified_by == reviewer

    # The report is drawn for re-check; the reviewer re-scores an indicator.
    out = io.StringIO()
    call_command("sample_recheck", "--year", "2023", "--percent", "100", "--seed", "3", stdout=out)
    assert "+ d1" in out.getvalue()
    indicator = Indicator.objects.get(report=report, name="数量")
    response = client.post(reverse("admin:evaluations_recheck_add"),
                           {"indicator": indicator.pk, "recheck_score": "50.5", "note": ""})
    assert "0–50" in str(response.context["adminform"].form.errors)
    response = client.post(reverse("admin:evaluations_recheck_add"),
                           {"indicator": indicator.pk, "recheck_score": "35", "note": "佐证不足"})
    assert response.status_code == 302 and Recheck.objects.get().recorded_by == reviewer

    # A recommendation from the grade (优 → increase), recorded as the reviewer decides.
    project = report.projects.get()
    add_rec = reverse("admin:evaluations_recommendation_add") + f"?project={project.pk}"
    assert client.get(add_rec).context["adminform"].form.initial["recommendation"] == "increase"
    assert client.post(add_rec, {"project": project.pk, "recommendation": "keep",
                                 "note": "复核后降为良"}).status_code == 302
    assert Recommendation.objects.get().recommendation == "keep"

    # The public page: 整改情况 with both statuses, the re-check flagged.
    client.logout()
    page = client.get(report.get_absolute_url()).content.decode()
    assert "验收资料不全" in page and "已验证" in page and "整改中" in page
    assert "抽查复核情况" in page and "差异 -15.00 分" in page and "recheck-flag" in page
    assert "复核后降为良" not in page  # recommendations are the reviewers'

    # Next year: the department's new report carries the audit finding still open.
    next_year = published_report(year=2024, code="d1")
    page = client.get(next_year.get_absolute_url()).content.decode()
    assert "2023年度尚未验证的整改问题" in page and "合同未备案" in page
    assert "验收资料不全" not in page
    draft = Report.objects.get(pk=next_year.pk)
    codes = [f.code for f in checks.check_report(draft)]
    assert codes.count(checks.FINDING_CARRIED_OVER) == 1
