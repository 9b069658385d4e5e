"""The year index's table: every published report of a year, sorted on the server, in pages.

At 2,000 departments one page of everything was 600 kB and 1.8 s to render (issue 15.17):
the page now shows PAGE_SIZE rows, the totals and chart still cover the whole year, and the
full data is one click away as CSV (/data/<year>/…). The rows are computed once per version
stamp in each process, so another sort or page costs a sort and a slice, not the queries.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.http import Http404, QueryDict

from evaluations.models import FundingSource
from evaluations.public.stamp import Stamp
from evaluations.public.summaries import ZERO, published, summaries, with_summary

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

    code: str
    name: str
    url: str
    by_source: dict[int, Decimal]
    cells: list[Decimal | None]
    total: Decimal
    score: Decimal | None
    grade: str | None
    # The 自评表's execution rate (percent), for the year's ranking and the API's rows.
    execution_rate: Decimal | None = None


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
KEPT_TABLES = 4


def year_table(year: int, stamp: Stamp | None) -> YearTable | None:
    """The year's table at this stamp (kept in this process), or None when nothing is published."""
    keep = stamp is not None and getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 0) > 0
    memo_key = (year, stamp.etag if stamp else "")
    if keep:
        with _tables_lock:
            table = _tables.get(memo_key)
        if table is not None:
            return table
    reports = list(
        with_summary(published().filter(fiscal_year__year=year).defer(*NARRATIVE_FIELDS))
    )
    if not reports:
        return None
    columns, summary_rows = summaries(reports)
    rows = [
        YearRow(
            code=r.report.department.code, name=r.report.department.name,
            url=r.report.get_absolute_url(), by_source=r.by_source, cells=r.cells,
            total=r.total, score=r.table.total, grade=r.table.grade,
            execution_rate=r.table.execution_rate,
        )
        for r in summary_rows
    ]
    totals = [sum((r.by_source.get(s.id, ZERO) for r in rows), ZERO) for s in columns]
    table = YearTable(columns=columns, rows=rows, totals=totals)
    if keep:
        with _tables_lock:
            _tables[memo_key] = table
            while len(_tables) > KEPT_TABLES:
                _tables.popitem(last=False)
    return table
