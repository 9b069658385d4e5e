"""The year index's table: every published report of a year, sorted on the server, in pages.

At 2,000 departments one page of everything was 600 kB and 1.8 s to render (issue 15.17):
the page now shows PAGE_SIZE rows, the totals and chart still cover the whole year, and the
full data is one click away as CSV (/data/<year>/…). The rows are computed once per version
stamp in each process (one build however many threads ask at once), so another sort or page
costs a sort and a slice, not the queries; the build reads plain values, no model instances
(building 33,000 of them was 1.7 s of a cold render at 2,000 reports).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.translation import gettext

from evaluations.models import BudgetExecution, FundingSource, Project, Report
from evaluations.public.stamp import Stamp
from evaluations.public.summaries import ZERO
from indicators.models import Indicator
from indicators.tables import SCORING_INDICATOR
from indicators.vocabulary import BudgetRecommendation

PAGE_SIZE = 100
DEFAULT_SORT = "department"
SORT_KEYS = ("department", "total", "score")
MAX_PAGE_DIGITS = 6
# Long narrative sections no summary row shows; left in the database.
NARRATIVE_FIELDS = (
    "profile", "goals", "overall_summary", "problems", "improvements", "result_application",
    "other_matters", "execution_explanation",
)


@functools.lru_cache(maxsize=16)
def _budget_codes(etag: str) -> frozenset[str]:
    # Keyed by the stamp, which moves when a funding source changes.
    return frozenset(
        FundingSource.objects.filter(kind=FundingSource.Kind.BUDGET).values_list("code", flat=True)
    )


def clean_query(get: QueryDict, stamp: Stamp) -> dict[str, str]:
    """``sort``, ``order`` and ``page`` as the page reads them; nothing else (stamp.public_page).

    An unknown sort falls back to the department, as it always has; a page that is not a
    number is a 404, and so is one past the last (the view finds that out).
    """
    query = {}
    sort = get.get("sort", DEFAULT_SORT)
    if sort != DEFAULT_SORT and (
        sort in SORT_KEYS
        or (sort.startswith("budget-") and sort.removeprefix("budget-") in _budget_codes(stamp.etag))
    ):
        query["sort"] = sort
    if get.get("order") == "desc":
        query["order"] = "desc"
    page = get.get("page", "1")
    if not (page.isascii() and page.isdigit() and 0 < len(page) <= MAX_PAGE_DIGITS and int(page)):
        raise Http404("page")
    if int(page) != 1:
        query["page"] = str(int(page))
    return query


@dataclass(frozen=True)
class YearRow:
    """One report as a row of the year table, without the report's objects behind it."""

    year: int
    code: str
    name: str
    by_source: dict[int, Decimal]
    cells: list[Decimal | None]
    total: Decimal
    score: Decimal | None
    grade: str | None
    # The 自评表's execution rate (percent), for the year's ranking and the API's rows.
    execution_rate: Decimal | None = None
    # Reviewers' private variant only (with_recommendations): (label, projects) pairs.
    recommendations: tuple[tuple[str, int], ...] = ()

    @property
    def url(self) -> str:
        # Asked of the rows shown, not of all 2,000 (half of the build's time).
        return reverse("evaluations:report", args=[self.year, self.code])


@dataclass(frozen=True)
class YearTable:
    columns: list[FundingSource]
    rows: list[YearRow]
    totals: list[Decimal]

    @property
    def any_scored(self) -> bool:
        return any(row.score is not None for row in self.rows)

    def sorted_rows(self, sort: str, descending: bool) -> tuple[str, list[YearRow]]:
        """The rows in the order asked for, and the sort actually applied."""
        codes = {f"budget-{s.code}": s.id for s in self.columns}
        if sort not in SORT_KEYS and sort not in codes:
            sort = DEFAULT_SORT

        def key(row: YearRow):
            if sort == "total":
                return row.total
            if sort == "score":
                return row.score if row.score is not None else Decimal("-1")
            if sort in codes:
                return row.by_source.get(codes[sort], Decimal("-1"))
            return row.code

        return sort, sorted(self.rows, key=key, reverse=descending)


_tables: OrderedDict[tuple[int, str], YearTable] = OrderedDict()
_tables_lock = threading.Lock()
# One build per (year, stamp) in a process: the threads that ask meanwhile wait for it.
_building: dict[tuple[int, str], threading.Lock] = {}
KEPT_TABLES = 4


def year_table(year: int, stamp: Stamp | None) -> YearTable | None:
    """The year's table at this stamp (kept in this process), or None when nothing is published."""
    if stamp is None or getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 0) <= 0:
        return build_year_table(year)
    memo_key = (year, stamp.etag)
    with _tables_lock:
        table = _tables.get(memo_key)
        if table is not None:
            return table
        building = _building.setdefault(memo_key, threading.Lock())
    with building:
        with _tables_lock:
            table = _tables.get(memo_key)
        if table is not None:
            return table
        try:
            table = build_year_table(year)
        finally:
            with _tables_lock:
                if table is not None:
                    _tables[memo_key] = table
                    while len(_tables) > KEPT_TABLES:
                        _tables.popitem(last=False)
                _building.pop(memo_key, None)
    return table


def build_year_table(year: int) -> YearTable | None:
    """Three queries of plain values, however many reports: no model instances, no indicators.

    The scores are the stored ones (docs/design.md, "Scoring rule sets"), shown only when the
    department's own 自评表 is scored (indicators.tables.SCORING_INDICATOR, the rule
    department_table applies to the indicators it is given).
    """
    in_year = Report.objects.published().filter(fiscal_year__year=year)
    reports = list(
        in_year.annotate(scored=Exists(Indicator.objects.filter(
            report=OuterRef("pk"), project__isnull=True, **SCORING_INDICATOR,
        ))).order_by("department__code").values_list(
            "pk", "department__code", "department__name", "total_score", "grade",
            "execution_rate", "scored",
        )
    )
    if not reports:
        return None
    spent: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for report_id, source_id, personnel, public, project in (
        BudgetExecution.objects.filter(report__in=in_year.values("pk")).order_by()
        .values_list("report_id", "funding_source_id", "personnel", "public", "project")
    ):
        spent[report_id][source_id] = BudgetExecution.expenditure_of(personnel, public, project)
    used = {source_id for by_source in spent.values() for source_id in by_source}
    columns = sorted(FundingSource.objects.filter(pk__in=used), key=lambda s: (s.position, s.code))
    rows = []
    for pk, code, name, total_score, grade, execution_rate, scored in reports:
        by_source = spent.get(pk, {})
        rows.append(YearRow(
            year=year, code=code, name=name,
            by_source=by_source, cells=[by_source.get(s.id) for s in columns],
            total=sum(by_source.values(), ZERO),
            score=total_score if scored else None, grade=(grade or None) if scored else None,
            execution_rate=execution_rate,
        ))
    totals = [sum((r.by_source.get(s.id, ZERO) for r in rows), ZERO) for s in columns]
    return YearTable(columns=columns, rows=rows, totals=totals)


def with_recommendations(year: int, rows: list[YearRow]) -> list[YearRow]:
    """``rows`` with their projects' recorded budget recommendations counted (issue 19), in
    one query however many rows or projects: for the reviewers' private variant of the page
    only (access.sees_recommendations), never for the shared one."""
    found: dict[str, dict[str | None, int]] = defaultdict(dict)
    for code, recommendation, n in (
        Project.objects.filter(report__in=Report.objects.published().filter(
            fiscal_year__year=year, department__code__in=[row.code for row in rows]))
        .values_list("report__department__code", "recommendation__recommendation")
        .annotate(n=Count("pk")).order_by()
    ):
        found[code][recommendation] = n
    kinds = [*BudgetRecommendation.choices, (None, gettext("未记录"))]
    return [
        replace(row, recommendations=tuple(
            (str(label), found[row.code][kind]) for kind, label in kinds if found[row.code].get(kind)
        ))
        for row in rows
    ]
