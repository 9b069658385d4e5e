"""The key test of issue 20: the seed's text read by ``import_report`` gives exactly the data
``load_sample`` loads — every figure, every text, the project list."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluations.models import Department, Project, Report
from evaluations.sample import SAMPLE_TEXT, load_sample_report, sample_data
from indicators.models import Indicator
from tests.evaluations.past_helpers import report_data

pytestmark = pytest.mark.django_db

SEED = str(SAMPLE_TEXT)


def _import(*args) -> str:
    out = StringIO()
    call_command("import_report", SEED, *args, stdout=out)
    return out.getvalue()


def test_seed_text_gives_exactly_what_load_sample_loads():
    _import("--department", "dongjiaduan")
    imported = Report.objects.get()
    assert imported.status == Report.Status.DRAFT
    from_text = report_data(imported, codes=False)
    codes = list(imported.projects.order_by("position").values_list("code", flat=True))

    # Start again from nothing and let load_sample load the transcribed JSON.
    Indicator.objects.all().delete()
    Report.objects.all().delete()
    Department.objects.all().delete()
    loaded = load_sample_report(publish=False)
    from_json = report_data(loaded, codes=False)

    assert from_text == from_json  # every text, figure, narrative, indicator and project
    assert len(from_json["projects"]) == 8 and len(from_json["indicators"]) == 10
    # Project codes are the one thing the text cannot say: it names projects only in Chinese.
    assert codes == [f"p{n}" for n in range(1, 9)]


def test_seed_figures_match_the_transcription_field_by_field():
    """The same comparison against the JSON itself, so a failure names the field."""
    _import("--department", "dongjiaduan")
    report = Report.objects.get()
    data = sample_data()
    for name, value in data["report"].items():
        assert getattr(report, name) == value, name
    for row in data["budget_executions"]:
        budget = report.budget_executions.get(funding_source__code=row["funding_source"])
        for name, value in row.items():
            if name != "funding_source":
                assert getattr(budget, name) == value, (row["funding_source"], name)
    for row, project in zip(data["projects"], report.projects.order_by("position"), strict=True):
        for name in ("name", "expenditure", "outcome", "position"):
            assert getattr(project, name) == row[name], (row["name"], name)
        assert project.funding_source.code == row["funding_source"]
    for row, narrative in zip(data["narratives"], report.narratives.order_by("position"), strict=True):
        assert (narrative.position, narrative.headline, narrative.body) == (
            row["position"], row["headline"], row["body"])
    for row, indicator in zip(data["indicators"], report.indicators.order_by("position"), strict=True):
        for name, value in row.items():
            assert getattr(indicator, name) == value, (row["name"], name)


def test_importing_the_seed_over_load_samples_draft_changes_nothing():
    report = load_sample_report(publish=False)
    before = report_data(report)
    history = sum(m.history.count() for m in (Report, Project, Indicator))
    out = _import("--department", "dongjiaduan")
    assert report_data(report) == before  # codes included: projects matched by name
    assert sum(m.history.count() for m in (Report, Project, Indicator)) == history
    assert "0 new, 0 changed, 8 unchanged" in out


def test_a_published_report_is_never_touched(sample_report):
    before = report_data(sample_report)
    with pytest.raises(CommandError, match="已公开|草稿"):
        _import("--department", "dongjiaduan")
    assert report_data(sample_report) == before


def test_dry_run_prints_figures_as_written_and_writes_nothing():
    out = _import("--department", "dongjiaduan", "--dry-run")
    assert not Report.objects.exists() and not Department.objects.exists()
    data = json.loads(out)
    general = data["budgets"]["general"]
    assert general["income"] == {
        "value": "1828.90", "written": "1,828.90万元", "unit": "万元",
        "sentence": "2、2022年度单位一般公共预算财政拨款收入1,828.90万元。",
    }
    assert general["basic"]["written"] == "303.99万元"
    assert data["budgets"]["state_capital"] == {"none": {"value": "无", "sentence": "无。"}}
    assert data["projects"][3]["expenditure"]["written"] == "1,400.26万元"
    assert data["projects"][3]["outcome_amount"]["written"] == "1400.26万元"
    assert data["targets"][0]["target"]["written"] == "275亿元"
    assert data["targets"][0]["nature_words"] == "达到"
    assert data["targets"][1]["name"] == "技工贸总收入增长率"
    assert data["targets"][1]["target"]["written"] == "4.96%"
    assert data["flags"] == [] and data["unrecognised"] == []
    # The checks ran on the would-be draft: the fund's projects are not listed.
    assert [f["code"] for f in data["findings"]] == ["projects_not_listed"]
    assert Decimal(general["project"]["value"]) == Decimal("1524.91")
