"""What every dataset's export reads: the filters and their lookups, each dataset's queryset, and
rows read flat (COPY on PostgreSQL, a chunked cursor elsewhere). ``streams.py`` (the registry and the CSV),
``targets.py`` and ``cycle.py`` build on this module, which imports none of them."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Exists, F, OuterRef, QuerySet

from evaluations.access import department_lookups
from evaluations.models import (
    BudgetExecution,
    Department,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from indicators.models import Indicator

CHUNK_SIZE = 2000  # rows fetched per database round trip
PREFETCH_CHUNK_SIZE = 500  # reports or projects per round trip


@dataclass
class ExportFilters:
    """What to export. Empty lists mean everything; ``user`` limits staff to their departments."""

    years: list[int] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    funding_sources: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    published_only: bool = False
    user: object | None = None
    # Extra lookups on the dataset's own model (the admin narrows to a changelist this way).
    lookups: dict = field(default_factory=dict)


# --- Querysets ---------------------------------------------------------------------------


def _report_q(filters: ExportFilters, prefix: str) -> dict:
    """Report-level filters as lookups, ``prefix`` being the path to the report."""
    q: dict = {}
    if filters.years:
        q[f"{prefix}fiscal_year__year__in"] = filters.years
    if filters.departments:
        q[f"{prefix}department__code__in"] = filters.departments
    if filters.published_only:
        q[f"{prefix}status"] = Report.Status.PUBLISHED
    elif filters.statuses:
        q[f"{prefix}status__in"] = filters.statuses
    if filters.user is not None:
        q.update(department_lookups(filters.user, f"{prefix}department"))
    return q


def _sources(qs: QuerySet, filters: ExportFilters, lookup: str = "funding_source__code__in"):
    return qs.filter(**{lookup: filters.funding_sources}) if filters.funding_sources else qs


def departments_queryset(filters: ExportFilters) -> QuerySet:
    qs = Department.objects.filter(**filters.lookups)
    if filters.departments:
        qs = qs.filter(code__in=filters.departments)
    if filters.user is not None:
        qs = qs.filter(**department_lookups(filters.user, ""))
    report_filters = ExportFilters(
        years=filters.years, statuses=filters.statuses, published_only=filters.published_only
    )
    report_q = _report_q(report_filters, "")
    if report_q:
        qs = qs.filter(Exists(Report.objects.filter(department=OuterRef("pk"), **report_q)))
    return qs.order_by("code").values_list("code", "name", "short_name", "parent__code")


def reports_queryset(filters: ExportFilters) -> QuerySet:
    return (
        Report.objects.filter(**_report_q(filters, ""), **filters.lookups)
        .select_related("department", "fiscal_year", "rule_set")
        .order_by("fiscal_year__year", "department__code")
    )


BUDGET_EXECUTION_FIELDS = (
    "report__fiscal_year__year", "report__department__code", "funding_source__code",
    "initial_budget", "adjusted_budget", "income", "personnel", "public", "project",
)
# A row read by its field names (a few rows per report, so a namedtuple costs nothing).
BudgetExecutionRow = namedtuple("BudgetExecutionRow", BUDGET_EXECUTION_FIELDS)


def budget_executions_queryset(filters: ExportFilters) -> QuerySet:
    qs = BudgetExecution.objects.filter(**_report_q(filters, "report__"), **filters.lookups)
    return _sources(qs, filters).order_by(
        "report__fiscal_year__year", "report__department__code",
        "funding_source__position", "funding_source__code",
    ).values_list(*BUDGET_EXECUTION_FIELDS)


def projects_queryset(filters: ExportFilters) -> QuerySet:
    qs = Project.objects.filter(**_report_q(filters, "report__"), **filters.lookups)
    return _sources(qs, filters).select_related(
        "report__fiscal_year", "report__department", "funding_source"
    ).only(
        "code", "name", "initial_budget", "adjusted_budget", "expenditure", "goal", "outcome",
        "execution_rate", "execution_score", "total_score", "grade",
        "report__fiscal_year__year", "report__department__code", "funding_source__code",
    ).order_by("report__fiscal_year__year", "report__department__code", "position", "id")


def project_funds_queryset(filters: ExportFilters) -> QuerySet:
    qs = ProjectFund.objects.filter(**_report_q(filters, "project__report__"), **filters.lookups)
    return _sources(qs, filters).order_by(
        "project__report__fiscal_year__year", "project__report__department__code",
        "project__position", "project__id", "funding_source__position", "funding_source__code",
    ).values_list(
        "project__report__fiscal_year__year", "project__report__department__code",
        "project__code", "funding_source__code", "initial_budget", "adjusted_budget",
        "expenditure",
    )


def narratives_queryset(filters: ExportFilters) -> QuerySet:
    qs = OutcomeNarrative.objects.filter(**_report_q(filters, "report__"), **filters.lookups)
    return qs.order_by(
        "report__fiscal_year__year", "report__department__code", "position"
    ).values_list(
        "report__fiscal_year__year", "report__department__code", "position", "headline", "body"
    )


INDICATOR_FIELDS = (
    "report__fiscal_year__year", "report__department__code", "project__code", "level1",
    "level2", "name", "nature", "unit", "target_value", "target_text", "actual_value",
    "actual_text", "weight", "tier", "applicable", "score", "deviation", "final_score",
)


def indicators_queryset(filters: ExportFilters) -> QuerySet:
    return indicators_base_queryset(filters).values_list(*INDICATOR_FIELDS)


def indicators_base_queryset(filters: ExportFilters) -> QuerySet:
    """The filtered indicators in document order, the order pg_export's statement writes."""
    qs = Indicator.objects.filter(**_report_q(filters, "report__"), **filters.lookups)
    if filters.funding_sources:
        qs = qs.filter(project__funding_source__code__in=filters.funding_sources)
    return qs.order_by(
        "report__fiscal_year__year", "report__department__code",
        F("project__position").asc(nulls_first=True), "project__id", "position", "id",
    )


# --- Reading rows ------------------------------------------------------------------------


def _pg_copy(qs: QuerySet, converters: tuple[Callable, ...]) -> Iterator[tuple]:
    """Stream a values_list queryset through COPY … TO STDOUT (text format).

    Every value arrives as exact text (numeric included), so Decimal stays exact.
    """
    connection = connections[qs.db]
    sql, params = qs.query.sql_with_params()
    statement = f"COPY ({sql}) TO STDOUT"
    if connection.queries_logged:
        # COPY bypasses Django's cursor wrapper; record it so query counts stay honest.
        connection.queries_log.append({"sql": statement, "time": "0.000"})
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for row in copy.rows():
            yield tuple(None if v is None else conv(v) for conv, v in zip(converters, row, strict=True))


def _text(value: str) -> str:
    return value


def _pg_bool(value: str) -> bool:
    return value == "t"


def _read_flat(qs: QuerySet, converters: tuple[Callable, ...]) -> Iterator[tuple]:
    """Rows of a values_list queryset: COPY on PostgreSQL, chunked cursor elsewhere."""
    if connections[qs.db].vendor == "postgresql":
        return _pg_copy(qs, converters)
    return qs.iterator(chunk_size=CHUNK_SIZE)
