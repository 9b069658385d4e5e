"""Reading across years: a department's indicators over the years, a year's ranking, and flags.

Everything here works on summary rows already computed by ``summaries.summaries`` (so every
score, rate and "target missed" comes from ``indicators.tables``, never from here): it only
lines the years up, ranks, and compares one year with the year before. Two flags a reader
cares about (docs/design.md, "Read-only API and open data"):

- **missed twice**: a department-level indicator (matched by its 三级指标 name) missed its
  target in two consecutive fiscal years;
- **spending up, result down**: the department spent more than the year before while its
  total self-evaluation score fell.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext

from common.formatting import join_names
from evaluations.public.summaries import SummaryRow

MISSED_TWICE = "missed_twice"
SPENDING_UP_RESULT_DOWN = "spending_up_result_down"


@dataclass(frozen=True)
class Flag:
    code: str
    year: int
    text: str


@dataclass(frozen=True)
class IndicatorYear:
    """One year's line of an indicator: what was targeted, achieved and scored."""

    year: int
    indicator: object
    score: Decimal | None
    missed: bool


@dataclass
class IndicatorHistory:
    """One department-level indicator, by name, across the department's published years."""

    name: str
    unit: str
    years: list[IndicatorYear] = field(default_factory=list)

    @property
    def missed_twice(self) -> list[int]:
        """The later year of each pair of consecutive years both missed."""
        missed = {y.year for y in self.years if y.missed}
        return sorted(year for year in missed if year - 1 in missed)

    @property
    def numeric(self) -> bool:
        """Whether a line can be drawn: actual values in two years or more."""
        return sum(y.indicator.actual_value is not None for y in self.years) >= 2


def indicator_histories(rows: list[SummaryRow]) -> list[IndicatorHistory]:
    """The department's own indicators, each with a line per year it appears (rows in year order)."""
    histories: dict[str, IndicatorHistory] = {}
    for row in rows:
        for scored in row.table.indicators:
            indicator = scored.indicator
            history = histories.setdefault(indicator.name, IndicatorHistory(indicator.name, indicator.unit))
            history.years.append(IndicatorYear(
                row.report.fiscal_year.year, indicator, scored.score, scored.missed))
    return list(histories.values())


def department_flags(rows: list[SummaryRow]) -> list[Flag]:
    """Flags of one department's published years (``rows`` of that department, any order)."""
    by_year = {row.report.fiscal_year.year: row for row in rows}
    flags = []
    for history in indicator_histories([by_year[y] for y in sorted(by_year)]):
        flags += [
            Flag(MISSED_TWICE, year, gettext("“%(name)s”连续两年（%(before)s、%(year)s）未完成目标")
                 % {"name": history.name, "before": year - 1, "year": year})
            for year in history.missed_twice
        ]
    for year, row in sorted(by_year.items()):
        before = by_year.get(year - 1)
        if before is None or row.table.total is None or before.table.total is None:
            continue
        if row.total > before.total and row.table.total < before.table.total:
            flags.append(Flag(SPENDING_UP_RESULT_DOWN, year, gettext(
                "%(year)s年支出比上年增加，自评得分却从%(before)s降至%(after)s")
                % {"year": year, "before": f"{before.table.total:.2f}",
                   "after": f"{row.table.total:.2f}"}))
    return sorted(flags, key=lambda f: (f.year, f.code))


def flags_by_department(rows: list[SummaryRow], year: int) -> dict[str, list[Flag]]:
    """Each department's flags for ``year``, from rows of ``year`` and the year before."""
    grouped: dict[str, list[SummaryRow]] = defaultdict(list)
    for row in rows:
        grouped[row.report.department.code].append(row)
    return {
        code: [f for f in department_flags(own) if f.year == year] for code, own in grouped.items()
    }


# --- Ranking ------------------------------------------------------------------------------

RANK_BY = ("score", "execution_rate")


@dataclass(frozen=True)
class Ranked:
    rank: int | None  # None: not scored (or no rate), listed after the ranked
    row: SummaryRow
    flags: list[Flag]


def ranking(rows: list[SummaryRow], by: str, flags: dict[str, list[Flag]]) -> list[Ranked]:
    """Departments best first by ``by``; equal values share a rank (1, 2, 2, 4), and rows
    without the figure follow, unranked, by department code."""

    def value(row: SummaryRow) -> Decimal | None:
        return row.table.total if by == "score" else row.table.execution_rate

    present = sorted((r for r in rows if value(r) is not None),
                     key=lambda r: (-value(r), r.report.department.code))
    absent = sorted((r for r in rows if value(r) is None), key=lambda r: r.report.department.code)
    out, rank, previous = [], 0, None
    for i, row in enumerate(present, start=1):
        if value(row) != previous:
            rank, previous = i, value(row)
        out.append(Ranked(rank, row, flags.get(row.report.department.code, [])))
    out += [Ranked(None, row, flags.get(row.report.department.code, [])) for row in absent]
    return out


def flag_summary(flags: list[Flag]) -> str:
    return join_names(f.text for f in flags)
