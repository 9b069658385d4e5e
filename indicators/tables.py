"""The 自评表 of a project and of a department, from rows already fetched.

Two kinds, one shape (``SelfEvaluationTable``):

- ``project_table`` and ``department_table`` read the **stored** scores (indicator
  ``final_score``; the project's or report's execution rate, execution score, total and
  grade): what pages, documents and exports print, frozen once a report is published.
- ``score_project_table`` and ``score_department_table`` compute the scores afresh under a
  rule set's ``scoring.Rules``: what evaluations/scores.py stores and the checks compare.

Nothing here queries the database: callers pass the rows they prefetched, which keeps pages
flat (docs/design.md, "Scoring rule sets").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from indicators import scoring

ZERO = Decimal("0")


@dataclass(slots=True)  # one per indicator of a table being scored: kept small
class ScoredIndicator:
    indicator: object
    score: Decimal | None
    error: str = ""  # why it could not be scored (a qualitative score out of its band)
    missed: bool = False  # misses its target; needs a deviation reason


@dataclass
class SelfEvaluationTable:
    """One 自评表: the execution row, the indicators with scores, the total and grade."""

    initial_budget: Decimal | None
    adjusted_budget: Decimal | None
    expenditure: Decimal | None
    execution_rate: Decimal | None
    execution_weight: Decimal
    execution_score: Decimal | None
    indicators: list[ScoredIndicator] = field(default_factory=list)
    total: Decimal | None = None
    grade: str | None = None

    @property
    def any_missed(self) -> bool:
        """Whether a row misses its target, so a table shows the deviation reasons beside it."""
        return any(row.missed for row in self.indicators)

    @property
    def is_scored(self) -> bool:
        """A table is scored only when some indicator carries a weight (分值)."""
        return self.total is not None


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, ZERO) if present else None


def score_indicators(
    indicators: Sequence, rules: scoring.Rules = scoring.NATIONAL_2020, *, missed: bool = True,
    as_stored: bool = False,
) -> list[ScoredIndicator]:
    """Each indicator scored afresh under ``rules``; with ``missed=False`` whether it misses
    its target is not asked (evaluations/scores.py stores scores, not that). ``as_stored``:
    the indicators' ``final_score`` is known to be that score (each was scored under ``rules``
    as it was written), so it is taken as it is."""
    if as_stored:
        return [
            ScoredIndicator(ind, ind.final_score, "", missed and _missed(ind, rules))
            for ind in indicators
        ]
    scored = []
    for ind in indicators:
        error = ""
        try:
            score = scoring.indicator_score(
                nature=ind.nature, weight=ind.weight, target=ind.target_value,
                actual=ind.actual_value, tier=ind.tier, entered=ind.score,
                applicable=ind.applicable, rules=rules,
            )
        except scoring.ScoreOutOfBand as exc:
            score, error = None, f"{exc.low}–{exc.high}"
        except ValueError:
            score = None
        scored.append(ScoredIndicator(ind, score, error, missed and _missed(ind, rules)))
    return scored


def _missed(ind, rules: scoring.Rules) -> bool:
    try:
        return bool(ind.applicable) and scoring.target_missed(
            nature=ind.nature, target=ind.target_value, actual=ind.actual_value, tier=ind.tier,
            rules=rules,
        )
    except ValueError:  # an unknown nature or tier (written around the forms): not scored
        return False


# A table is scored when one of its indicators matches this lookup; unweighted targets (like
# the sample's economic targets) are shown, never scored. Written once as a query lookup, so
# lists that need a table's total and grade without loading its indicators (the year index
# of 2,000 reports, evaluations/public/year_index.py) filter with it, and _is_scored reads it.
SCORING_INDICATOR = {"weight__isnull": False, "applicable": True}


def _matches(indicator, lookup: dict) -> bool:
    """Whether an indicator in memory matches exact and ``__isnull`` lookups."""
    for key, wanted in lookup.items():
        field, _, operator = key.partition("__")
        if operator not in ("", "isnull"):
            raise ValueError(f"unsupported lookup {key!r}")
        value = getattr(indicator, field)
        if (value is None) != wanted if operator == "isnull" else value != wanted:
            return False
    return True


def counts_in_total(indicator) -> bool:
    """Whether an indicator's score counts in its table's total (SCORING_INDICATOR)."""
    return _matches(indicator, SCORING_INDICATOR)


def _is_scored(scored: Sequence[ScoredIndicator]) -> bool:
    return any(counts_in_total(s.indicator) for s in scored)


def build_table(
    *,
    indicators: Sequence,
    initial_budget: Decimal | None,
    adjusted_budget: Decimal | None,
    expenditure: Decimal | None,
    execution_weight: Decimal | None,
    rules: scoring.Rules = scoring.NATIONAL_2020,
    missed: bool = True,
    as_stored: bool = False,
) -> SelfEvaluationTable:
    """A table scored afresh under ``rules``; ``execution_weight`` is the table's own, None to
    take the rules' (``Rules.table_execution_weight``); ``missed``, ``as_stored``: as
    score_indicators."""
    execution_weight = rules.table_execution_weight(execution_weight)
    rate = scoring.execution_rate(expenditure, adjusted_budget)
    scored = score_indicators(indicators, rules, missed=missed, as_stored=as_stored)
    table = SelfEvaluationTable(
        initial_budget=initial_budget, adjusted_budget=adjusted_budget, expenditure=expenditure,
        execution_rate=rate, execution_weight=execution_weight,
        execution_score=scoring.execution_score(rate, execution_weight), indicators=scored,
    )
    if _is_scored(scored):
        table.total = scoring.total_score(
            [scoring.ScoredRow(s.score, s.indicator.weight, s.indicator.applicable) for s in scored]
            + [scoring.ScoredRow(table.execution_score, execution_weight)]
        )
        table.grade = scoring.grade(table.total, rules)
    return table


def _department_budgets(budget_executions: Sequence) -> dict:
    return {
        "initial_budget": _sum_of_all(b.initial_budget for b in budget_executions),
        "adjusted_budget": _sum_of_all(b.adjusted_budget for b in budget_executions),
        "expenditure": _sum(b.expenditure for b in budget_executions),
    }


def score_project_table(
    project, indicators: Sequence, rules: scoring.Rules, *, missed: bool = True,
    as_stored: bool = False,
) -> SelfEvaluationTable:
    """项目支出绩效自评表 of one project scored afresh; ``indicators`` are that project's."""
    return build_table(
        indicators=indicators, initial_budget=project.initial_budget,
        adjusted_budget=project.adjusted_budget, expenditure=project.expenditure,
        execution_weight=project.execution_weight_override, rules=rules, missed=missed,
        as_stored=as_stored,
    )


def score_department_table(
    report, budget_executions: Sequence, indicators: Sequence, rules: scoring.Rules, *,
    missed: bool = True, as_stored: bool = False,
) -> SelfEvaluationTable:
    """部门整体支出绩效自评表 scored afresh: budgets added up, with the department's indicators."""
    return build_table(
        indicators=indicators, execution_weight=report.execution_weight_override, rules=rules,
        missed=missed, as_stored=as_stored, **_department_budgets(budget_executions),
    )


def _stored_table(owner, indicators: Sequence, rules: scoring.Rules, **budgets) -> SelfEvaluationTable:
    """The table as stored on ``owner`` (a project or report) and its indicators; whether an
    indicator missed its target is read under the report's ``rules`` (a ≥ result far beyond
    its target misses it only under a rule set that deducts for it)."""
    scored = [ScoredIndicator(ind, ind.final_score, "", _missed(ind, rules)) for ind in indicators]
    table = SelfEvaluationTable(
        execution_rate=owner.execution_rate, execution_weight=owner.execution_weight,
        execution_score=owner.execution_score, indicators=scored, **budgets,
    )
    if _is_scored(scored):
        table.total, table.grade = owner.total_score, owner.grade or None
    return table


def project_table(project, indicators: Sequence, rules: scoring.Rules) -> SelfEvaluationTable:
    """项目支出绩效自评表 of one project as stored; ``indicators`` are that project's and
    ``rules`` its report's (``report.rules``)."""
    return _stored_table(
        project, indicators, rules, initial_budget=project.initial_budget,
        adjusted_budget=project.adjusted_budget, expenditure=project.expenditure,
    )


def _sum_of_all(values: Iterable[Decimal | None]) -> Decimal | None:
    """A total only when every row has the figure: beside the expenditure of every budget, a
    budget figure of some budgets alone is not like with like (issue 14.11: the sample's
    年初预算数 392.69, the general budget's only, beside 全年执行数 3,727.61 of all budgets)."""
    values = list(values)
    return None if not values or any(v is None for v in values) else sum(values, ZERO)


def department_table(
    report, budget_executions: Sequence, indicators: Sequence, rules: scoring.Rules
) -> SelfEvaluationTable:
    """部门整体支出绩效自评表 as stored: budgets added up, with the department-level indicators;
    ``rules`` are the report's (``report.rules``)."""
    return _stored_table(report, indicators, rules, **_department_budgets(budget_executions))
