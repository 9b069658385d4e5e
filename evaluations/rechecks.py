"""Re-checks (抽查复核, docs/design.md, "Result use and re-check"): the reproducible random
sample of a year's reports, and a table's re-check total beside its self-evaluation total.

Self scores are read only from the 自评表 (indicators.tables), never computed here; the
re-check total is the same total (scoring.total_score) over the re-check scores, each
indicator not re-checked keeping its self score and the execution row its own.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from evaluations.models import Recheck, RecheckSample, Report
from indicators import scoring
from indicators.tables import SelfEvaluationTable

# A re-check total further than this from the self total is flagged.
FLAG_POINTS = Decimal("5")
# What may be re-checked: reports the reviewers approved (published or about to be).
SAMPLED_STATUSES = (Report.Status.APPROVED, Report.Status.PUBLISHED)


# --- The sample ---------------------------------------------------------------------------


def sample_size(count: int, percent: Decimal) -> int:
    """Reports to draw: ``percent`` of ``count``, rounded up (at least one of a non-empty year)."""
    return min(count, math.ceil(count * percent / 100))


def draw_sample(year: int, percent: Decimal, seed: int) -> tuple[list[Report], int]:
    """The reports ``seed`` picks from the year's approved and published ones, and how many
    there were. The same year, percent, seed and reports give the same sample: they are
    drawn from the list in department-code order."""
    candidates = list(
        Report.objects.filter(fiscal_year__year=year, status__in=SAMPLED_STATUSES)
        .select_related("department", "fiscal_year").order_by("department__code")
    )
    picked = random.Random(seed).sample(candidates, sample_size(len(candidates), percent))  # noqa: S311  (reproducible by design)
    return sorted(picked, key=lambda r: r.department.code), len(candidates)


@transaction.atomic
def save_sample(reports: Iterable[Report], seed: int, user=None) -> list[Report]:
    """Put the reports in the re-check sample; returns those that were not in it yet."""
    added = []
    for report in reports:
        _sample, created = RecheckSample.objects.get_or_create(
            report=report,
            defaults={"method": RecheckSample.Method.SAMPLED, "seed": seed, "added_by": user},
        )
        if created:
            added.append(report)
    return added


# --- Totals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecheckRow:
    indicator: object
    self_score: Decimal | None
    recheck: Recheck | None


@dataclass(frozen=True)
class RecheckSummary:
    """One 自评表's re-check: per indicator the two scores, and the two totals."""

    subject: str
    rows: list[RecheckRow]
    self_total: Decimal | None
    recheck_total: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        if self.self_total is None or self.recheck_total is None:
            return None
        return self.recheck_total - self.self_total

    @property
    def flagged(self) -> bool:
        """The totals differ by more than FLAG_POINTS."""
        return self.difference is not None and abs(self.difference) > FLAG_POINTS


def summarize(subject: str, table: SelfEvaluationTable, rechecks: Mapping[int, Recheck]) -> RecheckSummary | None:
    """The table's re-check, or None when none of its indicators was re-checked."""
    rows = [RecheckRow(s.indicator, s.score, rechecks.get(s.indicator.pk)) for s in table.indicators]
    if not any(row.recheck for row in rows):
        return None
    scored = [
        scoring.ScoredRow(
            row.recheck.recheck_score if row.recheck else row.self_score,
            row.indicator.weight, row.indicator.applicable,
        )
        for row in rows
    ]
    scored.append(scoring.ScoredRow(table.execution_score, table.execution_weight))
    return RecheckSummary(subject, rows, table.total, scoring.total_score(scored))


def summaries(tables: Sequence[tuple[str, SelfEvaluationTable]], rechecks: Mapping[int, Recheck]) -> list[RecheckSummary]:
    """The re-checks of a report's tables (department first, then projects), skipping tables
    none of whose indicators was re-checked."""
    found = (summarize(subject, table, rechecks) for subject, table in tables)
    return [s for s in found if s is not None]


def rechecks_of(indicators: Iterable) -> dict[int, Recheck]:
    """Re-checks of indicators fetched with ``select_related("recheck")`` (no query)."""
    found = {}
    for indicator in indicators:
        try:
            found[indicator.pk] = indicator.recheck
        except Recheck.DoesNotExist:
            continue
    return found
