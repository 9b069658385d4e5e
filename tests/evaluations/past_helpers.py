"""Helpers for the past-report reader's tests: a report's data as plain rows, to compare."""

from __future__ import annotations

from django.forms.models import model_to_dict

from evaluations.models import Report

SKIP = {"id", "report", "project", "history"}


def _row(obj, skip=()) -> dict:
    data = model_to_dict(obj)
    data = {k: v for k, v in data.items() if k not in SKIP and k not in skip}
    if "funding_source" in data:
        data["funding_source"] = obj.funding_source.code
    return data


REPORT_TEXTS = ["profile", "goals", "overall_summary", "problems", "improvements",
                "result_application", "other_matters", "execution_weight", "execution_explanation"]


def report_data(report: Report, *, codes: bool = True) -> dict:
    """Everything a report holds that the text could say, in a form tests compare whole."""
    report = Report.objects.get(pk=report.pk)
    return {
        "department": report.department.name,
        "year": report.fiscal_year.year,
        "report": {name: getattr(report, name) for name in REPORT_TEXTS},
        "budget_executions": [_row(b) for b in report.budget_executions.order_by("funding_source__position")],
        "projects": [_row(p, () if codes else ("code",)) for p in report.projects.order_by("position")],
        "narratives": [_row(n) for n in report.narratives.order_by("position")],
        "indicators": [_row(i) for i in report.indicators.order_by("position")],
        "project_funds": [
            _row(f) for p in report.projects.order_by("position") for f in p.funds.all()
        ],
    }
