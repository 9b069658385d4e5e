"""Writing one chunk of planned rows: new reports first, the reports' rows locked and rechecked,
then bulk creates and updates with their history written in SQL.

Runs inside the importer's one transaction: a later chunk's error undoes every chunk.
"""

from __future__ import annotations

import contextlib

from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations import scores, workflow
from evaluations.imports.background import BackgroundWrites
from evaluations.imports.context import ImportRun
from evaluations.imports.locks import Holds
from evaluations.imports.pg_writer import CopyWriter
from evaluations.imports.plans import DatasetPlan
from evaluations.imports.results import NEW, SKIP, UPDATE
from evaluations.models import FiscalYear, Report

BATCH_SIZE = 2000


class Writer:
    """Writes what an ImportRun planned for one chunk, all of it or (raising) none."""

    def __init__(self, run: ImportRun, plan: DatasetPlan) -> None:
        self.run = run
        self.plan = plan
        self.reason = _("数据导入")
        connection = connections[router.db_for_write(plan.dataset.model)]
        # PostgreSQL writes a chunk by COPY and set-based SQL (pg_writer.py), beside the
        # planning of the next chunk (background.py).
        self.copy_writer = (
            CopyWriter(plan.dataset.model, connection)
            if connection.vendor == "postgresql" and plan.copies and not plan.saves_each else None
        )
        self.background = BackgroundWrites(connection) if self.copy_writer else None
        self.holds = Holds(run.user)  # the reports this import has locked (locks.py)

    @contextlib.contextmanager
    def writing(self):
        """The block the chunks are written in: with their writes done on leaving it, and the
        reports written marked edited once (workflow.mark_edited), not once a chunk."""
        with self.background.active() if self.background else contextlib.nullcontext():
            yield
            if not self.run.result.errors:
                workflow.mark_edited(self.holds.checked)

    def hold(self, reports: list[Report], rows: int) -> None:
        """Lock a window's stored reports at once (locks.Holds.lock) and reserve ids for its
        ``rows``: its chunks then send no statement before their writes. The reports written
        before and not in this window are totalled now (scores.Totals)."""
        if self.run.result.errors:  # nothing more is written: the rows are only checked
            return
        totals = scores.Totals.of_block() if self.plan.derived_fields else None
        if totals is not None:
            totals.moved_past({r.pk for r in reports})
        self.holds.lock(reports)
        if self.copy_writer is not None:
            self.copy_writer.reserve(rows)

    def write_chunk(self, *, last_of_window: bool = False) -> None:
        """Write the chunk planned; on PostgreSQL its statements start at once, in the
        background, beside the parsing and planning of the next chunk (the last of a window's
        after the next window's lookups: :meth:`overtaking`)."""
        # Scores are recomputed once for the import's reports at its end (importer.py's
        # scores.deferred()): mark_edited notes them as the block ends.
        run = self.run
        reports = {id(report): report for action, _obj, _c, report in run.planned
                   if action != SKIP and report is not None}
        self.holds.recheck(reports.values())  # once a report: held until the commit
        self.create_reports()
        self.plan.before_write()
        if self.plan.saves_each:
            self.save_each()
        else:
            self.bulk_write(hold=last_of_window)
        self.plan.after_write()
        for key, report in list(run.new_reports.items()):
            if report.pk is not None:  # stored now: later chunks find it as any other
                run.reports[key] = run.new_reports.pop(key)
                self.holds.created.add(report.pk)
                self.plan.report_stored(report)

    def create_reports(self) -> None:
        """Fiscal years and reports the chunk's rows need, created before the rows themselves."""
        run = self.run
        new = [r for r in run.new_reports.values() if r.pk is None]
        for year in sorted({r.year_value for r in new} - set(run.years)):
            run.years[year] = FiscalYear.objects.get_or_create(year=year)[0]
        for report in new:
            report.fiscal_year = run.years[report.year_value]
            if not self.plan.saves_each:  # the reports dataset saves its own below
                report._change_reason = self.reason
                report.save()

    def save_each(self) -> None:
        """Few rows, and each gets its ordinary history record."""
        for action, obj, _changes, _report in self.run.planned:
            if action == SKIP:
                continue
            if isinstance(obj, Report) and obj.status == Report.Status.PUBLISHED:
                obj.published_at = obj.published_at or timezone.now()
            obj._change_reason = self.reason
            obj.save()

    def overtaking(self):
        """The block a window's lookups and holds run in (importer.Importer.flush_window): before
        the write of the last chunk of the window before (background.BackgroundWrites)."""
        return self.background.overtaking() if self.background else contextlib.nullcontext()

    def bulk_write(self, *, hold: bool = False) -> None:
        # Rows pointing at reports created above pick up their ids when saved (Django
        # copies the id of an assigned related object at save and bulk_create time).
        planned = self.run.planned
        model = self.plan.dataset.model
        creates = [obj for action, obj, _c, _r in planned if action == NEW]
        updates = [(obj, changes) for action, obj, changes, _r in planned if action == UPDATE]
        if self.copy_writer is not None:
            self.copy_writer.write(
                creates, [(obj, set(changes) | self.plan.derived_fields) for obj, changes in updates],
                self.run.user, self.reason, self.background, hold=hold,
            )
        elif creates:
            model.objects.bulk_create(creates, batch_size=BATCH_SIZE)
            record_history(model, [obj.pk for obj in creates], "+", self.run.user, self.reason)
        totals = scores.Totals.of_block() if self.plan.derived_fields else None
        if totals is not None:
            totals.written(creates)  # with their ids and planned scores
        if updates and self.copy_writer is None:
            fields = sorted({name for _obj, changes in updates for name in changes}
                            | self.plan.derived_fields)
            model.objects.bulk_update([obj for obj, _c in updates], fields, batch_size=BATCH_SIZE)
            record_history(model, [obj.pk for obj, _c in updates], "~", self.run.user, self.reason)


def record_history(model, pks: list[int], history_type: str, user, reason: str) -> None:
    """Write the simple-history records of rows just created or updated, in the database.

    ``INSERT … SELECT`` copies each row as stored into its historical table: the same records
    simple_history's bulk helpers make (who, when, why, the row's values), without building
    a Python object per row, which was most of the time of a 100,000-row import.
    """
    history = model.history.model
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    own = [f.column for f in model._meta.concrete_fields]
    extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    columns = ", ".join(qn(c) for c in own + extra)
    selected = ", ".join(qn(c) for c in own)
    when = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = getattr(user, "pk", None)
    size = min(BATCH_SIZE, (connection.features.max_query_params or BATCH_SIZE) - len(extra))
    with connection.cursor() as cursor:
        for start in range(0, len(pks), size):
            batch = pks[start:start + size]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f"INSERT INTO {qn(history._meta.db_table)} ({columns}) "  # noqa: S608 (names are quoted model metadata)
                f"SELECT {selected}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} "
                f"WHERE {qn(model._meta.pk.column)} IN ({marks})",
                [when, str(reason)[:100], history_type, user_id, *batch],
            )
