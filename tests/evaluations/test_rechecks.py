"""Re-checks (抽查复核) and result use (结果应用): the reproducible sample, scores beside the
self scores with a flagged difference, recommendations suggested from the grade."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from evaluations import datasets as ds
from evaluations import rechecks
from evaluations.exports.streams import ExportFilters, stream_csv
from evaluations.imports import import_file
from evaluations.models import Recheck, RecheckSample, Recommendation, Report
from indicators.models import Indicator, RuleSet
from indicators.tables import project_table
from indicators.vocabulary import suggested_recommendation
from tests.evaluations.cycle_helpers import published_report
from tests.evaluations.test_public_report import REPORT_QUERIES

pytestmark = pytest.mark.django_db

D = Decimal


def sample(*args: str) -> str:
    out = io.StringIO()
    call_command("sample_recheck", *args, stdout=out)
    return out.getvalue()


def test_the_sample_is_reproducible_and_printed():
    for n in range(10):
        published_report(code=f"d{n:02d}")
    dry = sample("--year", "2023", "--percent", "25", "--seed", "7", "--dry-run")
    assert dry.startswith("2023: 3 of 10 reports (25%, seed 7) [dry run]")
    assert not RecheckSample.objects.exists()
    first = sample("--year", "2023", "--percent", "25", "--seed", "7")
    picked = set(RecheckSample.objects.values_list("report__department__code", flat=True))
    assert len(picked) == 3 and all(f"+ {code}" in first for code in picked)
    again = sample("--year", "2023", "--percent", "25", "--seed", "7")
    assert "0 new in the sample" in again and again.splitlines()[1:] == [
        line.replace("+", " ", 1) for line in first.splitlines()[1:]
    ]
    assert RecheckSample.objects.filter(method="sampled", seed=7).count() == 3


@pytest.mark.parametrize("percent", ["0", "101", "abc"])
def test_a_bad_percent_is_refused(percent):
    with pytest.raises(CommandError):
        sample("--year", "2023", "--percent", percent, "--seed", "1")


def test_drafts_are_not_sampled():
    report = published_report()
    Report.objects.filter(pk=report.pk).update(status="draft")
    with pytest.raises(CommandError, match="no approved or published"):
        sample("--year", "2023", "--percent", "50", "--seed", "1")


# --- Totals ---------------------------------------------------------------------------------


def _table(report):
    project = report.projects.get()
    return project_table(project, list(project.indicators.order_by("position")), report.rules)


def recheck(report, name: str, score: str) -> Recheck:
    RecheckSample.objects.get_or_create(report=report)
    return Recheck.objects.create(indicator=Indicator.objects.get(report=report, name=name),
                                  recheck_score=D(score))


def test_recheck_total_beside_the_self_total_and_a_difference_over_5_flagged():
    report = published_report()
    table = _table(report)
    assert table.total == D("92.00")  # 50 + 32 + execution 10, from the self-evaluation table
    recheck(report, "数量", "40")
    rows = {r.indicator_id: r for r in Recheck.objects.all()}
    found = rechecks.summarize("项目一", table, rows)
    assert (found.self_total, found.recheck_total, found.difference) == (D("92.00"), D("82.00"), D("-10.00"))
    assert found.flagged
    Recheck.objects.update(recheck_score=D("46"))
    found = rechecks.summarize("项目一", table, {r.indicator_id: r for r in Recheck.objects.all()})
    assert found.difference == D("-4.00") and not found.flagged
    assert rechecks.summarize("项目一", table, {}) is None


def test_a_score_outside_0_to_weight_is_refused_with_the_field_named():
    report = published_report()
    item = Recheck(indicator=Indicator.objects.get(report=report, name="数量"), recheck_score=D("51"))
    with pytest.raises(ValidationError) as exc:
        item.full_clean()
    assert "0–50" in exc.value.message_dict["recheck_score"][0]


RECHECKS = "year,department_code,project_code,indicator,recheck_score,note\r\n"


def test_rechecks_import_only_into_the_sample_and_within_the_weight(reviewer):
    report = published_report()
    row = "2023,d1,p1,数量,40,复核说明\r\n"
    result = import_file(ds.RECHECKS, (RECHECKS + row).encode(), user=reviewer)
    assert result.errors[0].column == "year" and "抽查复核名单" in result.errors[0].message
    RecheckSample.objects.create(report=report)
    result = import_file(ds.RECHECKS, (RECHECKS + "2023,d1,p1,数量,50.01,\r\n").encode(), user=reviewer)
    assert result.errors[0].column == "recheck_score" and "0–50" in result.errors[0].message
    result = import_file(ds.RECHECKS, (RECHECKS + "2023,d1,p1,没有的指标,1,\r\n").encode(), user=reviewer)
    assert result.errors[0].column == "indicator"
    assert not Recheck.objects.exists()
    assert import_file(ds.RECHECKS, (RECHECKS + row).encode(), user=reviewer).ok
    assert Recheck.objects.get().recorded_by == reviewer


def test_staff_may_not_enter_rechecks(data_entry_user):
    report = published_report()
    report.department.staff.add(data_entry_user)
    RecheckSample.objects.create(report=report)
    result = import_file(ds.RECHECKS, (RECHECKS + "2023,d1,p1,数量,40,\r\n").encode(), user=data_entry_user)
    assert not result.ok and "无权" in result.errors[0].message


# Exports read through COPY on PostgreSQL (streams._read_flat): `make test` runs both.
@pytest.mark.postgresql
def test_rechecks_and_recommendations_round_trip():
    report = published_report()
    recheck(report, "效益", "30.5")
    Recommendation.objects.create(project=report.projects.get(), recommendation="reduce", note="=注意")
    first = {d: "".join(stream_csv(d, ExportFilters(), header="keys")) for d in (ds.RECHECKS, ds.RECOMMENDATIONS)}
    assert "2023,d1,p1,效益,30.50," in first[ds.RECHECKS]
    assert "2023,d1,p1,reduce,'=注意" in first[ds.RECOMMENDATIONS]
    Recheck.objects.all().delete()
    RecheckSample.objects.all().delete()
    Recommendation.objects.all().delete()
    for dataset, text in first.items():
        assert import_file(dataset, text.encode()).ok  # the command line restores the sample too
        assert "".join(stream_csv(dataset, ExportFilters(), header="keys")) == text


# --- Pages ----------------------------------------------------------------------------------


def test_report_pages_show_the_recheck_and_the_flag(client, reviewer, django_assert_num_queries):
    report = published_report()
    recheck(report, "数量", "40")
    client.force_login(reviewer)
    admin_page = client.get(reverse("admin:evaluations_report_change", args=[report.pk])).content.decode()
    assert "抽查复核" in admin_page and "差异 -10.00 分" in admin_page and "差异超过 5.00 分" in admin_page
    client.logout()
    url = report.get_absolute_url()
    with django_assert_num_queries(REPORT_QUERIES):  # as without re-checks: they come with the indicators
        public = client.get(url).content.decode()
    assert "抽查复核情况" in public and "82.00" in public and "recheck-flag" in public


# --- Result use -----------------------------------------------------------------------------


def test_the_grade_suggests_the_recommendation():
    grades = ("excellent", "good", "fair", "poor", None)
    assert [suggested_recommendation(g, RuleSet.national().rules) for g in grades] == [
        "increase", "keep", "reduce", "cancel", None,
    ]


def test_reviewers_see_the_years_recommendations_and_record_them(client, reviewer, data_entry_user):
    report = published_report()
    project = report.projects.get()
    client.force_login(reviewer)
    url = reverse("admin:evaluations_recommendation_year", args=[2023])
    page = client.get(url).content.decode()
    assert "项目一" in page and "92.00" in page and "优先保障（增加）" in page and "记录建议" in page
    add = reverse("admin:evaluations_recommendation_add") + f"?project={project.pk}"
    form = client.get(add).context["adminform"].form
    assert form.initial["recommendation"] == "increase"
    response = client.post(add, {"project": project.pk, "recommendation": "keep", "note": "说明"})
    assert response.status_code == 302
    assert Recommendation.objects.get().recorded_by == reviewer
    assert "与按等级建议不同" in client.get(url).content.decode()
    # Not for staff, not for the public.
    report.department.staff.add(data_entry_user)
    client.force_login(data_entry_user)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(reverse("evaluations:data_csv", args=[2023, "recommendations"])).status_code == 404
    assert client.get(reverse("evaluations:data_csv", args=[2023, "findings"])).status_code == 200
    assert "keep" not in client.get(report.get_absolute_url()).content.decode()
