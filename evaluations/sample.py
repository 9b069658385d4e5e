"""Load the real 2022 report shipped in ``evaluations/sample/`` (the fidelity test data).

The structured JSON was transcribed from ``sample-report-2022.txt``; tests check that every
paragraph and figure of the text is in it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from evaluations import scores
from evaluations.models import (
    BudgetExecution,
    Department,
    FiscalYear,
    FundingSource,
    OutcomeNarrative,
    Project,
    Report,
)
from indicators.models import Indicator

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
SAMPLE_JSON = SAMPLE_DIR / "sample_report_2022.json"
SAMPLE_TEXT = SAMPLE_DIR / "sample-report-2022.txt"

AMOUNT_KEYS = {
    "initial_budget", "adjusted_budget", "income", "personnel", "public", "project",
    "expenditure", "target_value", "actual_value", "weight", "score",
}


def sample_data() -> dict:
    """The sample report as plain data, amounts as Decimal."""

    def decimals(pairs):
        return {k: Decimal(v) if k in AMOUNT_KEYS and v is not None else v for k, v in pairs}

    return json.loads(SAMPLE_JSON.read_text(encoding="utf-8"), object_pairs_hook=decimals)


def load_sample_report(*, publish: bool = True) -> Report:
    """Create or update the sample report; running it again changes nothing new."""
    # Its rows are written one by one; they are scored once, at the end (evaluations/scores.py).
    with transaction.atomic(), scores.deferred():
        return _load_sample_report(publish=publish)


def _load_sample_report(*, publish: bool) -> Report:
    data = sample_data()
    dept = data["department"]
    parent = None
    if dept.get("parent"):
        p = dept["parent"]
        parent, _ = Department.objects.update_or_create(
            code=p["code"], defaults={"name": p["name"], "short_name": p["short_name"]}
        )
    department, _ = Department.objects.update_or_create(
        code=dept["code"],
        defaults={"name": dept["name"], "short_name": dept["short_name"], "parent": parent},
    )
    fiscal_year, _ = FiscalYear.objects.get_or_create(year=data["year"])
    report, created = Report.objects.update_or_create(
        department=department, fiscal_year=fiscal_year, defaults=data["report"]
    )
    if created and publish:
        # The seed's own metadata only (issue 14.11): it states no publication date or 索引号,
        # so neither is invented; the page leaves them out until a publication sets them.
        report.status = Report.Status.PUBLISHED
        report.save(update_fields=["status"])

    sources = {s.code: s for s in FundingSource.objects.all()}
    for row in data["budget_executions"]:
        row = dict(row)
        source = sources[row.pop("funding_source")]
        BudgetExecution.objects.update_or_create(report=report, funding_source=source, defaults=row)

    for row in data["projects"]:
        row = dict(row)
        row["funding_source"] = sources[row["funding_source"]]
        Project.objects.update_or_create(report=report, code=row.pop("code"), defaults=row)

    for row in data["narratives"]:
        row = dict(row)
        OutcomeNarrative.objects.update_or_create(
            report=report, position=row.pop("position"), defaults=row
        )

    for row in data["indicators"]:
        row = dict(row)
        Indicator.objects.update_or_create(
            report=report, project=None, position=row.pop("position"), defaults=row
        )
    return report
