"""Stored scores: computed by the one engine under each report's rule set, written in bulk.

docs/design.md, "Scoring rule sets". What is stored: each indicator's ``final_score``; each
project's and report's execution weight (its own, else its rule set's), execution rate,
execution score, total and grade. ``recompute`` reads a
set of reports' rows in four queries whatever their size, scores them afresh
(``indicators.tables.score_*_table`` under ``RuleSet.rules``) and writes only what changed, in
batches, so a report with 2,000 indicators costs a handful of queries.

When it runs:
- every write to a report's rows: ``post_save``/``post_delete`` of indicators, projects and
  budget rows, a report's own save when its own execution weight, rule set or status may have
  changed, and ``indicators_written`` for bulk indicator writes; ``workflow.mark_edited``
  (after the admin's, the importer's and copy-forward's writes, whose projects and budget rows
  are written in bulk). Inside ``deferred()`` (the admin's save, an import chunk, copy-forward)
  the reports are collected and recomputed once, on leaving the block.
- publication (``workflow``): the status change is a save, so the report is scored one last
  time under its rule set; nothing recomputes it afterwards except a write to its rows, which
  access.py refuses for anything but a draft.
- ``manage.py rescore``: drafts only, after a rule set's parameters changed.

Each time the reports' rows were written (``rows_written``), their stored export rows go too.

A write that bypasses the product (fixtures, ``generate_data``) scores the rows it writes
whatever the report's status; a later change of rules never reaches a published report.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from django.db import connections, router, transaction
from django.db.models.signals import post_delete, post_save

from common.instances import only
from evaluations.exports import stored
from evaluations.models import BudgetExecution, Project, Report
from evaluations.models.report import rules_of
from indicators import tables
from indicators.models import Indicator, RuleSet
from indicators.signals import indicators_written

# The execution weight is stored with the scores: the table's own or its rule set's, as scored.
TABLE_FIELDS = ("execution_weight", "execution_rate", "execution_score", "total_score", "grade")
BATCH_SIZE = 500
FLUSH_ROWS = 2000  # changed indicator scores written while a large report is read

INDICATOR_COLUMNS = (
    "id", "report_id", "project_id", "name", "position", "nature", "weight", "target_value",
    "actual_value", "tier", "score", "applicable", "final_score",
)
# What a table totalled from its stored scores reads of an indicator (tables.score_indicators
# with ``as_stored``, tables.SCORING_INDICATOR, the order of its rows): the rest is not read.
STORED_SCORE_COLUMNS = ("id", "report_id", "project_id", "position", "weight", "applicable", "final_score")
BUDGET_COLUMNS = ("id", "report_id", "initial_budget", "adjusted_budget", "personnel", "public", "project")
_read_stored = attrgetter(*STORED_SCORE_COLUMNS)  # an indicator's, as _Row.stored takes them
PROJECT_COLUMNS = (
    "id", "report_id", "code", "position", "initial_budget", "adjusted_budget", "expenditure",
    "execution_weight_override", *TABLE_FIELDS,
)
RULE_SET_COLUMNS = tuple(
    f"rule_set__{f.name}" for f in RuleSet._meta.concrete_fields if f.name != "id"
)


@dataclass(frozen=True)
class Change:
    """One stored score that a recompute changed (or would change, on a dry run)."""

    report_id: int
    where: str  # "2023 d-one", "2023 d-one · p-1", "2023 d-one · p-1 · 指标名"
    field: str
    old: object
    new: object

    def __str__(self) -> str:
        return f"{self.where} · {self.field}: {_shown(self.old)} → {_shown(self.new)}"


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


REPORTS_PER_ROUND = 200  # reports read and held in memory at once


def recompute(
    report_ids: Iterable[int], *, dry_run: bool = False, collect: bool = True,
    scored: Iterable[int] = (),
) -> list[Change]:
    """Score the reports' tables afresh under each report's rule set and store what changed.

    Returns every change (none kept without ``collect``: a large import's hook needs no
    list). With ``dry_run`` nothing is written. Reports are read
    REPORTS_PER_ROUND at a time, four queries a round (five when it mixes reports scored as written with others) plus the batched writes. ``scored``:
    reports whose every indicator was scored under the report's rules as it was written
    (``written_scored``); their tables are totalled from those scores, not scored again.
    """
    ids = sorted(set(report_ids) - {None})
    scored = frozenset(scored)
    changes: list[Change] = []
    for start in range(0, len(ids), REPORTS_PER_ROUND):
        changes += _recompute(ids[start:start + REPORTS_PER_ROUND], dry_run, collect, scored)
    return changes


def _recompute(ids: list[int], dry_run: bool, collect: bool, scored: frozenset,
               rows: Iterator[_Row] | None = None) -> list[Change]:
    """recompute() of one round; ``rows``: the reports' indicators as _rows would read them
    (in table order), when the caller holds them (Totals)."""
    reports = list(
        Report.objects.filter(pk__in=ids).order_by("fiscal_year__year", "department__code")
        .select_related("rule_set", "fiscal_year", "department")
        .only(
            "id", "execution_weight_override", *TABLE_FIELDS, "fiscal_year__year", "department__code",
            "rule_snapshot", *RULE_SET_COLUMNS,
        )
    )
    budgets = defaultdict(list)
    for row in only(BudgetExecution.objects.filter(report_id__in=ids), BUDGET_COLUMNS):
        budgets[row.report_id].append(row)
    projects = defaultdict(list)
    ordered = Project.objects.filter(report_id__in=ids).order_by("report_id", "position", "id")
    for project in only(ordered, PROJECT_COLUMNS):  # (common.instances: 90,000 a million rows)
        projects[project.report_id].append(project)
    changes: list[Change] = [] if collect else _Discard()
    dirty: dict[type, list] = defaultdict(list)
    by_pk = {report.pk: report for report in reports}
    where = {r.pk: f"{r.fiscal_year.year} {r.department.code}" for r in reports}
    project_of = {p.pk: p for rows in projects.values() for p in rows}
    done: set[tuple[int, int | None]] = set()

    rules = rules_of(reports)  # Report.rules: a published report's as they were then

    def score(report_id: int, project_id: int | None, rows: list) -> None:
        report = by_pk[report_id]
        how = {"rules": rules[report_id], "missed": False, "as_stored": report_id in scored}
        if project_id is None:
            table = tables.score_department_table(report, budgets[report_id], rows, **how)
            _compare(report, table, where[report_id], changes, dirty)
        elif project_id in project_of:
            project = project_of[project_id]
            table = tables.score_project_table(project, rows, **how)
            _compare(project, table, f"{where[report_id]} · {project.code}", changes, dirty)
        done.add((report_id, project_id))

    for (report_id, project_id), group in groupby(_rows(ids, scored) if rows is None else rows, key=_Row.table):
        score(report_id, project_id, list(group))
        if not dry_run and len(dirty[Indicator]) >= FLUSH_ROWS:
            _write(Indicator, dirty.pop(Indicator), ["final_score"])
    for report in reports:  # the tables without indicators
        for key in [(report.pk, None), *((report.pk, p.pk) for p in projects[report.pk])]:
            if key not in done:
                score(*key, [])
    if not dry_run:
        for model, objs in dirty.items():
            _write(model, objs, ["final_score"] if model is Indicator else list(TABLE_FIELDS))
    return changes


def _rows(ids: list[int], scored: frozenset) -> Iterator[_Row]:
    """The reports' indicators in table order, one table after another, as light rows: a
    report of 200,000 indicators is never in memory. Reports whose rows were all scored as
    written (``scored``) come first, read for their totals only (STORED_SCORE_COLUMNS: half
    the columns, a million rows read in about half the time); each group of reports is one
    query, in report order."""
    light = [pk for pk in ids if pk in scored]
    full = [pk for pk in ids if pk not in scored]
    for chosen, columns, make in ((light, STORED_SCORE_COLUMNS, _Row.stored), (full, INDICATOR_COLUMNS, _Row.of)):
        if chosen:
            yield from map(make, Indicator.objects.filter(report_id__in=chosen).order_by(
                "report_id", "project_id", "position", "id"
            ).values_list(*columns).iterator(chunk_size=2000))


class _Discard(list):
    """A list that keeps nothing (the changes of a recompute nobody prints)."""

    def append(self, item) -> None:
        pass


class _Row:
    """An indicator as scoring reads it: the columns of INDICATOR_COLUMNS, nothing else."""

    __slots__ = INDICATOR_COLUMNS

    def __init__(  # INDICATOR_COLUMNS in order, assigned one by one: quicker than a loop
        self, id, report_id, project_id, name, position, nature, weight,  # noqa: A002
        target_value, actual_value, tier, score, applicable, final_score,
    ) -> None:
        self.id, self.report_id, self.project_id, self.name = id, report_id, project_id, name
        self.position, self.nature, self.weight = position, nature, weight
        self.target_value, self.actual_value, self.tier = target_value, actual_value, tier
        self.score, self.applicable, self.final_score = score, applicable, final_score

    @classmethod
    def of(cls, values: tuple) -> _Row:
        return cls(*values)

    @classmethod
    def stored(cls, values: tuple) -> _Row:
        """A row of STORED_SCORE_COLUMNS; the columns not read are None."""
        id, report_id, project_id, position, weight, applicable, final_score = values  # noqa: A001
        return cls(id, report_id, project_id, None, position, None, weight, None, None, None,
                   None, applicable, final_score)

    @property
    def pk(self) -> int:
        return self.id

    def table(self) -> tuple[int, int | None]:
        return self.report_id, self.project_id


def _write(model, objs: list, fields: list[str]) -> None:
    """Store ``fields`` of ``objs``: on PostgreSQL one UPDATE … FROM unnest(arrays) whatever
    their number, elsewhere bulk_update in batches."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        instances = [
            obj if isinstance(obj, model) else model(pk=obj.pk, **{f: getattr(obj, f) for f in fields})
            for obj in objs
        ]
        model._default_manager.bulk_update(instances, fields, batch_size=BATCH_SIZE)
        return
    qn = connection.ops.quote_name
    opts = model._meta
    columns = [opts.get_field(name) for name in fields]
    sets = ", ".join(f"{qn(c.column)} = v.c{i}" for i, c in enumerate(columns))
    arrays = ", ".join(
        f"%s::{field.db_type(connection)}[]" for field in (opts.pk, *columns)
    )
    names = ", ".join(["id", *(f"c{i}" for i in range(len(columns)))])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(opts.db_table)} AS t SET {sets} "  # noqa: S608 (quoted model metadata)
            f"FROM unnest({arrays}) AS v({names}) WHERE t.{qn(opts.pk.column)} = v.id",
            [[obj.pk for obj in objs], *([getattr(obj, f.attname) for obj in objs] for f in columns)],
        )


def _compare(owner, table: tables.SelfEvaluationTable, where: str, changes, dirty) -> None:
    """Set ``owner``'s stored fields (and its indicators') from ``table``, noting each change."""
    report_id = owner.pk if isinstance(owner, Report) else owner.report_id
    for scored in table.indicators:
        indicator = scored.indicator
        if indicator.final_score != scored.score:
            changes.append(Change(
                report_id, f"{where} · {indicator.name}", "final_score",
                indicator.final_score, scored.score,
            ))
            indicator.final_score = scored.score
            dirty[Indicator].append(indicator)
    fresh = {
        "execution_weight": table.execution_weight, "execution_rate": table.execution_rate, "execution_score": table.execution_score,
        "total_score": table.total, "grade": table.grade or "",
    }
    moved = False
    for field, new in fresh.items():
        old = getattr(owner, field)
        if old != new:
            changes.append(Change(report_id, where, field, old, new))
            setattr(owner, field, new)
            moved = True
    if moved:
        dirty[type(owner)].append(owner)


def stale(report: Report) -> list[Change]:
    """What a recompute would change for one report (the consistency check's question)."""
    return recompute([report.pk], dry_run=True)


# --- When: every write, or once at the end of a deferred block ------------------------------

_local = threading.local()


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Writes inside the block rescore nothing: for a writer that recomputes its reports
    itself (bench/synthetic.py writes a million rows and scores them round by round)."""
    previous = getattr(_local, "suspended", False)
    _local.suspended = True
    try:
        yield
    finally:
        _local.suspended = previous


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Collect the reports written inside the block and recompute them once on leaving it
    (normally; after an exception the transaction is undone anyway)."""
    outer = getattr(_local, "pending", None)
    if outer is not None:
        yield
        return
    _local.pending, _local.scored, _local.totals = set(), set(), None
    try:
        yield
        pending, scored, totals = _local.pending, _local.scored, _local.totals
    finally:
        _local.pending = _local.scored = _local.totals = None
    if not transaction.get_connection(router.db_for_write(Report)).needs_rollback:
        # A block that failed inside is undone anyway.
        rows_written(pending, scored=scored, totalled=totals.totalled if totals else set())


def written_scored(report_ids: Iterable[int]) -> None:
    """Inside ``deferred()``: every indicator of these reports is written in the block, each
    scored under its report's rules as written (an import into reports that had none), so
    the closing recompute totals their tables from those scores. Outside it: nothing."""
    scored = getattr(_local, "scored", None)
    if scored is not None:
        scored.update(report_ids)


TOTALS_HELD = 50_000  # indicator rows Totals holds at most (~150 bytes each)


def _table_order(row: _Row) -> tuple:
    return row.report_id, row.project_id is not None, row.project_id or 0, row.position, row.id


class Totals:
    """Inside ``deferred()``: the tables of reports a bulk write fills from empty
    (``written_scored``), totalled from its rows as written once the write has moved past them
    (:meth:`moved_past`), so the closing recompute need not read those rows back (a
    million-row import read every row again). A report written into again after it was
    totalled is totalled by the closing recompute, as if it never had been. The rows are held
    until their report is totalled: a window of an import's reports, in a file in report
    order; at most TOTALS_HELD rows, past which a report is left to the closing recompute (a
    file whose every window names every report would otherwise hold them all)."""

    def __init__(self) -> None:
        self.rows: dict[int, list[_Row]] = {}
        self.held = 0
        self.totalled: set[int] = set()
        self.reopened: set[int] = set()

    @classmethod
    def of_block(cls) -> Totals | None:
        """The deferred block's Totals (None outside one)."""
        if getattr(_local, "pending", None) is None:
            return None
        if _local.totals is None:
            _local.totals = cls()
        return _local.totals

    def written(self, indicators: Iterable[Indicator]) -> None:
        """New indicators just written, each with its id and its score as planned."""
        scored = _local.scored
        for ind in indicators:
            report_id = ind.report_id
            if report_id in self.totalled:  # back after it was totalled: the closing recompute's
                self.totalled.discard(report_id)
                self.reopened.add(report_id)
            if report_id not in scored or report_id in self.reopened:
                continue
            if self.held >= TOTALS_HELD:  # the closing recompute's, as if written again
                self.held -= len(self.rows.pop(report_id, ()))
                self.reopened.add(report_id)
                continue
            self.rows.setdefault(report_id, []).append(_Row.stored(_read_stored(ind)))
            self.held += 1

    def moved_past(self, current: set[int]) -> None:
        """Total the reports held that are not among ``current`` (the reports written next)."""
        finished = sorted(pk for pk in self.rows if pk not in current)
        for start in range(0, len(finished), REPORTS_PER_ROUND):
            ids = finished[start:start + REPORTS_PER_ROUND]
            rows = sorted((row for pk in ids for row in self.rows.pop(pk)), key=_table_order)
            self.held -= len(rows)
            _recompute(ids, False, False, frozenset(ids), rows=iter(rows))
            self.totalled.update(ids)


def touch(report_ids: Iterable[int]) -> None:
    """The reports' rows were written: recompute now, or at the end of the deferred block."""
    ids = set(report_ids) - {None}
    if not ids or getattr(_local, "suspended", False):
        return
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.update(ids)
    else:
        rows_written(ids)


def rows_written(ids: set[int], scored: set[int] = frozenset(),
                 totalled: set[int] = frozenset()) -> None:
    """What follows a write to the reports' rows: their scores recomputed (``scored``: as
    ``written_scored`` announced; ``totalled``: already, by Totals), and their stored export
    rows, which no longer describe them, deleted (exports/stored.py)."""
    if ids:
        stored.forget(ids)
        recompute(ids - totalled, collect=False, scored=scored & ids)


SCORED_REPORT_FIELDS = frozenset({"execution_weight_override", "rule_set", "status", "fiscal_year"})


def _report_saved(sender, instance: Report, created: bool, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    if created or update_fields is None or SCORED_REPORT_FIELDS & set(update_fields):
        touch([instance.pk])


def _row_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if update_fields is not None and set(update_fields) <= Indicator.SCORE_FIELDS:
        return
    touch([instance.report_id])


def _row_deleted(sender, instance, origin=None, **kwargs):
    if isinstance(origin, Report) or getattr(origin, "model", None) is Report:
        return  # the report goes too
    if origin is not None:
        # One recompute per report for a cascade: the origin remembers whom it touched.
        seen = origin.__dict__.setdefault("_scores_touched", set())
        if instance.report_id in seen:
            return
        seen.add(instance.report_id)
    touch([instance.report_id])


def _bulk_written(sender, report_ids, **kwargs):
    touch(report_ids)


def connect() -> None:
    """Called once from EvaluationsConfig.ready."""
    post_save.connect(_report_saved, sender=Report, dispatch_uid="scores.report")
    for model in (Indicator, Project, BudgetExecution):
        post_save.connect(_row_saved, sender=model, dispatch_uid=f"scores.saved.{model.__name__}")
        post_delete.connect(_row_deleted, sender=model, dispatch_uid=f"scores.deleted.{model.__name__}")
    indicators_written.connect(_bulk_written, dispatch_uid="scores.bulk")


__all__ = [
    "Change", "Totals", "connect", "deferred", "recompute", "stale", "suspended", "touch",
    "written_scored",
]
