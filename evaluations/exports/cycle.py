"""Exported rows of the year after's datasets (findings, recommendations, re-checks), in the
order of their keys; part of streams.ROWS. Flat rows, read as the other flat datasets are
(COPY on PostgreSQL, a chunked cursor elsewhere)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import F, QuerySet

from evaluations.exports.rows import ExportFilters, _read_flat, _report_q, _sources, _text
from evaluations.models import Finding, Recheck, Recommendation


def findings_queryset(filters: ExportFilters) -> QuerySet:
    qs = Finding.objects.filter(**_report_q(filters, "report__"), **filters.lookups)
    return qs.order_by("report__fiscal_year__year", "report__department__code", "position").values_list(
        "report__fiscal_year__year", "report__department__code", "position", "source",
        "description", "measure", "owner", "due_date", "status",
    )


def recommendations_queryset(filters: ExportFilters) -> QuerySet:
    qs = Recommendation.objects.filter(**_report_q(filters, "project__report__"), **filters.lookups)
    qs = _sources(qs, filters, "project__funding_source__code__in")
    return qs.order_by(
        "project__report__fiscal_year__year", "project__report__department__code",
        "project__position", "project__id",
    ).values_list(
        "project__report__fiscal_year__year", "project__report__department__code",
        "project__code", "recommendation", "note",
    )


def rechecks_queryset(filters: ExportFilters) -> QuerySet:
    qs = Recheck.objects.filter(**_report_q(filters, "indicator__report__"), **filters.lookups)
    return qs.order_by(
        "indicator__report__fiscal_year__year", "indicator__report__department__code",
        F("indicator__project__position").asc(nulls_first=True), "indicator__project__id",
        "indicator__position", "indicator__id",
    ).values_list(
        "indicator__report__fiscal_year__year", "indicator__report__department__code",
        "indicator__project__code", "indicator__name", "recheck_score", "note",
    )


def findings_rows(filters: ExportFilters) -> Iterator[tuple]:
    converters = (int, _text, int, _text, _text, _text, _text, datetime.date.fromisoformat, _text)
    return _read_flat(findings_queryset(filters), converters)


def recommendations_rows(filters: ExportFilters) -> Iterator[tuple]:
    return _read_flat(recommendations_queryset(filters), (int, _text, _text, _text, _text))


def rechecks_rows(filters: ExportFilters) -> Iterator[tuple]:
    return _read_flat(rechecks_queryset(filters), (int, _text, _text, _text, Decimal, _text))


CYCLE_ROWS = {
    "findings": findings_rows,
    "recommendations": recommendations_rows,
    "rechecks": rechecks_rows,
}
