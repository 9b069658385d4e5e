"""Rows of the target_adjustments, monitoring_spending and monitoring_progress exports.

Read in chunks of rounds: each chunk's rows, budgets and lights in a fixed number of
queries (evaluations.monitoring.evaluate, the one rule of the lights), so the memory and
queries stay flat as rounds grow. Registered in streams.ROWS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import islice

from django.db.models import F

from evaluations import monitoring
from evaluations.exports.rows import _report_q
from evaluations.models import (
    MonitoringProgress,
    MonitoringRound,
    MonitoringSpending,
    TargetAdjustment,
)

ROUNDS_PER_CHUNK = 500


def target_adjustments_rows(filters) -> Iterator[tuple]:
    qs = (
        TargetAdjustment.objects.filter(**_report_q(filters, "report__"), **filters.lookups)
        .select_related("report__fiscal_year", "report__department", "project", "indicator")
        .order_by("report__fiscal_year__year", "report__department__code", "created_at", "pk")
    )
    for a in qs.iterator(chunk_size=2000):
        yield (
            a.report.fiscal_year.year, a.report.department.code,
            a.project.code if a.project_id else None,
            a.indicator.name if a.indicator_id else None,
            a.field, a.old_value, a.new_value, a.reason, a.status,
        )


def _rounds(filters) -> Iterator[list[MonitoringRound]]:
    qs = (
        MonitoringRound.objects.filter(**_report_q(filters, "report__"))
        .select_related("report__fiscal_year", "report__department", "report__rule_set")
        .order_by("report__fiscal_year__year", "report__department__code", "month")
    )
    rounds = qs.iterator(chunk_size=ROUNDS_PER_CHUNK)
    while chunk := list(islice(rounds, ROUNDS_PER_CHUNK)):
        yield chunk


def _evaluated(filters, spending_filter: dict, progress_filter: dict) -> Iterator[tuple]:
    """(round, spending rows, progress rows, lights) for each round, a chunk at a time."""
    for chunk in _rounds(filters):
        ids = [r.pk for r in chunk]
        spending, progress = defaultdict(list), defaultdict(list)
        for row in (MonitoringSpending.objects.filter(round_id__in=ids, **spending_filter)
                    .select_related("project", "funding_source")
                    .order_by("funding_source__position", F("project__position").asc(nulls_first=True), "pk")):
            spending[row.round_id].append(row)
        for row in (MonitoringProgress.objects.filter(round_id__in=ids, **progress_filter).select_related("indicator__project")
                    .order_by(F("indicator__project__position").asc(nulls_first=True), "indicator__position", "pk")):
            progress[row.round_id].append(row)
        budgets = monitoring.budgets_of({r.report_id for r in chunk})
        for round_ in chunk:
            lights = monitoring.evaluate(round_, spending[round_.pk], progress[round_.pk],
                                         budgets.get(round_.report_id, {}),
                                         monitoring.thresholds_of(round_.report))
            yield round_, spending[round_.pk], progress[round_.pk], lights


def monitoring_spending_rows(filters) -> Iterator[tuple]:
    extra = {"funding_source__code__in": filters.funding_sources} if filters.funding_sources else {}
    for round_, spending, _progress, lights in _evaluated(filters, {**extra, **filters.lookups}, {}):
        report = round_.report
        for row in spending:
            rate, light = lights.spending[row.pk]
            yield (
                report.fiscal_year.year, report.department.code, round_.month,
                row.funding_source.code, row.project.code if row.project_id else None,
                row.spent_to_date, rate, light.colour, light.reason or None,
            )


def monitoring_progress_rows(filters) -> Iterator[tuple]:
    for round_, _spending, progress, lights in _evaluated(filters, {}, filters.lookups):
        report = round_.report
        for row in progress:
            _rate, light = lights.progress[row.pk]
            indicator = row.indicator
            yield (
                report.fiscal_year.year, report.department.code, round_.month,
                indicator.project.code if indicator.project_id else None, indicator.name,
                row.progress_value, row.progress_text, row.outlook, row.measures,
                light.colour, light.reason or None,
            )


ROWS = {
    "target_adjustments": target_adjustments_rows,
    "monitoring_spending": monitoring_spending_rows,
    "monitoring_progress": monitoring_progress_rows,
}
