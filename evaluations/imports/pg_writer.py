"""PostgreSQL's write path of one import chunk: COPY, and set-based SQL for changed rows.

A chunk's creates and updates of one model go in a fixed number of statements whatever its
size (docs/design.md, "Imports"):
- new rows: their ids reserved from the table's sequence, one ``COPY`` into the table and
  one ``INSERT … SELECT`` of their simple-history records from the rows as stored (who, when,
  why and the row's values, as writer.record_history writes them elsewhere);
- changed rows: one ``COPY`` into a temporary staging table, one ``UPDATE … FROM`` of the
  changed columns, one ``INSERT … SELECT`` of their history records from the rows as now
  stored, and a ``TRUNCATE`` of the staging table.
Django's bulk_create spent most of a large import building one parameter per cell. The
statements run beside the planning of the next chunk (background.py), and the tables' foreign
keys are checked as each ends (:meth:`CopyWriter.check_keys_now`).

It runs inside the importer's one transaction: the staging table is dropped at its end, and
an error in a later chunk undoes every chunk. Other databases, and the datasets that do not
ask for it (DatasetPlan.copies), keep writer.py's bulk_create and bulk_update.
"""

from __future__ import annotations

import io
from operator import attrgetter

from django.db import models
from django.utils import timezone
from psycopg import Copy
from psycopg.copy import FileWriter

from common.instances import set_as_stored
from evaluations.imports.background import BackgroundWrites
from indicators.models import Indicator
from indicators.signals import indicators_written

NEW_ROW, CHANGED_ROW = "+", "~"  # simple-history's history_type of a create and an update
# Field types whose attribute value COPY takes as it is (everything else is prepared by
# its field, as bulk_create would).
PLAIN_TYPES = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "BooleanField",
    "CharField", "DateField", "DateTimeField", "DecimalField", "ForeignKey", "IntegerField",
    "OneToOneField", "PositiveBigIntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SmallIntegerField", "TextField",
})
HISTORY_EXTRA = ("history_date", "history_change_reason", "history_type", "history_user_id")


class CopyWriter:
    """Writes one model's planned creates and updates, chunk after chunk, on PostgreSQL."""

    def __init__(self, model: type[models.Model], connection) -> None:
        self.model = model
        self.connection = connection
        opts = model._meta
        qn = connection.ops.quote_name
        self.qn = qn
        self.fields = list(opts.concrete_fields)
        self.pk = opts.pk
        self.table = qn(opts.db_table)
        self.history_table = qn(model.history.model._meta.db_table)
        self.stage = qn(f"import_stage_{opts.db_table}"[:63])
        self.columns = [f.column for f in self.fields]
        self.getter = attrgetter(*(f.attname for f in self.fields))
        self.related = [(i, f) for i, f in enumerate(self.fields) if f.is_relation]
        self.prepared = [
            (i, f) for i, f in enumerate(self.fields) if f.get_internal_type() not in PLAIN_TYPES
        ]
        self.stamped = [
            f for f in self.fields
            if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
        ]
        self.ready = False  # the staging table exists
        self.sequence: str | None = None  # the table's id sequence, once asked
        self.spare_ids: list[int] = []  # reserved from it, not yet given (reserve)
        self.checked_now = False  # the foreign keys are checked as each statement ends

    def write(self, creates: list, updates: list[tuple[object, set]], user, reason: str,
              background: BackgroundWrites | None = None, *, hold: bool = False) -> None:
        """Store ``creates`` (new instances: given their ids) and the ``updates``' fields.

        The rows are read here; their statements run in ``background`` (background.py) when
        given, so the server stores them while the next chunk is planned (``hold``: held back
        till the next window's lookups are done)."""
        if not creates and not updates:
            return
        if self.model is Indicator:  # the rule Indicator.save keeps (docs/design.md, "Domain model")
            Indicator.take_reports_from_projects(creates)
        stamp = [timezone.now(), str(reason)[:100], None, getattr(user, "pk", None)]
        jobs = []
        if creates:
            jobs.append(self.create_rows(creates, stamp[:2] + [NEW_ROW] + stamp[3:]))
        if updates:
            jobs.append(self.update_rows(updates, stamp[:2] + [CHANGED_ROW] + stamp[3:]))
        (background or BackgroundWrites(self.connection)).submit(lambda: self.run(jobs), hold=hold)
        if self.model is Indicator:
            report_ids = {obj.report_id for obj in creates} | {obj.report_id for obj, _n in updates}
            indicators_written.send(sender=Indicator, report_ids=report_ids - {None},
                                    using=self.connection.alias)

    def run(self, jobs: list) -> None:
        """The statements of one chunk, on the import's connection as it is (its transaction)."""
        with self.connection.connection.cursor() as cursor:
            if not self.checked_now:
                self.check_keys_now(cursor)
            for job in jobs:
                job(cursor)

    def check_keys_now(self, cursor) -> None:
        """The tables' foreign keys (deferred to the commit, as Django makes them) checked as
        each statement ends instead, for the rest of the transaction: the same checks, run in
        the background with their chunk instead of all at the commit (a tenth of a million-row
        import's time, while Python waited). A violation fails the import either way."""
        cursor.execute(
            "SELECT quote_ident(conname) FROM pg_constraint WHERE contype = 'f' AND condeferrable"
            " AND conrelid IN (%s::regclass, %s::regclass)",
            [self.model._meta.db_table, self.model.history.model._meta.db_table],
        )
        names = [name for (name,) in cursor.fetchall()]
        if names:
            cursor.execute(f"SET CONSTRAINTS {', '.join(names)} IMMEDIATE")
        self.checked_now = True

    def create_rows(self, creates: list, stamp: list):
        """New rows: ids reserved and their values read now; the job copies them into the table,
        then writes their history records from the rows as stored (the server reads them back:
        Python formatted each row twice before)."""
        ids = self.give_ids(creates)
        rows = []
        for obj in creates:
            for field in self.stamped:
                field.pre_save(obj, add=True)
            rows.append(self.values(obj))
        rows = self.formatted(rows)

        def job(cursor) -> None:
            self.copy(cursor, self.table, self.columns, rows)
            self.record_history(cursor, stamp, f"WHERE t.{self.qn(self.pk.column)} = ANY(%s)", [ids])
        return job

    def update_rows(self, updates: list[tuple[object, set]], stamp: list):
        """Changed rows, their values read now; the job copies them into the staging table, runs
        one UPDATE of the changed columns, writes their history records from the rows as now
        stored and empties the staging table."""
        rows = self.formatted([self.values(obj) for obj, _n in updates])
        opts = self.model._meta
        names = {name for _obj, changed in updates for name in changed}
        columns = sorted({opts.get_field(name).column for name in names})
        sets = ", ".join(f"{self.qn(c)} = s.{self.qn(c)}" for c in columns)
        pk = self.qn(self.pk.column)

        def job(cursor) -> None:
            if not self.ready:
                self.create_stage(cursor)
            self.copy(cursor, self.stage, self.columns, rows)
            cursor.execute(
                f"UPDATE {self.table} AS t SET {sets} FROM {self.stage} AS s "  # noqa: S608 (quoted model metadata)
                f"WHERE t.{pk} = s.{pk}",
            )
            self.record_history(cursor, stamp, f"JOIN {self.stage} AS s ON s.{pk} = t.{pk}")
            cursor.execute(f"TRUNCATE {self.stage}")
        return job

    def record_history(self, cursor, stamp: list, rows: str, params=()) -> None:
        """One ``INSERT … SELECT`` of the history records (``stamp``: when, why, the type, who)
        of the table's rows (``t``) that ``rows`` (a join or a condition) picks, as now stored."""
        own = ", ".join(self.qn(c) for c in self.columns)
        selected = ", ".join(f"t.{self.qn(c)}" for c in self.columns)
        extra = ", ".join(self.qn(c) for c in HISTORY_EXTRA)
        cursor.execute(
            f"INSERT INTO {self.history_table} ({own}, {extra}) "  # noqa: S608 (quoted model metadata)
            f"SELECT {selected}, %s, %s, %s, %s FROM {self.table} AS t {rows} "
            f"ORDER BY t.{self.qn(self.pk.column)}",
            [*stamp, *params],
        )

    def formatted(self, rows: list) -> bytes:
        """The rows as COPY's text format, by psycopg's own dumpers (a ``Copy`` written to
        memory, as its documentation shows for a file), here in the importing thread.

        Written row by row in the background instead, the thread needed the interpreter's
        lock for every row while the next chunk was planned: each chunk's COPY waited for it
        ~10 times, 5 ms each, and took 80 ms where the server needed a fifth of that."""
        buffer = io.BytesIO()
        with self.connection.connection.cursor() as cursor, \
                Copy(cursor, binary=False, writer=FileWriter(buffer)) as copy:
            for row in rows:
                copy.write_row(row)
        return buffer.getvalue()

    def copy(self, cursor, table: str, columns: list[str], payload: bytes) -> None:
        """COPY ``payload`` (:meth:`formatted`) into ``table``: one write, the lock let go."""
        quoted = ", ".join(self.qn(c) for c in columns)
        with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as pipe:
            pipe.write(payload)

    def create_stage(self, cursor) -> None:
        """The staging table of changed rows: the model's columns (no constraint but NOT NULL),
        dropped when the import's transaction ends."""
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.stage} "
            f"(LIKE {self.table}) ON COMMIT DROP",
        )
        cursor.execute(f"TRUNCATE {self.stage}")
        self.ready = True

    def reserve(self, count: int) -> None:
        """Ids for up to ``count`` new rows, taken from the table's sequence now, with a window's
        lookups (importer.WINDOW_CHUNKS): asked chunk by chunk, the statement waited for the
        writes in flight (background.py). Those a window does not create stay unused, a gap
        as a rolled-back insert leaves."""
        missing = count - len(self.spare_ids)
        if missing <= 0:
            return
        with self.connection.cursor() as cursor:
            if self.sequence is None:  # named once an import (asked inside the statement, once a row)
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)",
                               [self.model._meta.db_table, self.pk.column])
                (self.sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                           [self.sequence, missing])
            self.spare_ids.extend(pk for (pk,) in cursor.fetchall())

    def give_ids(self, creates: list) -> list[int]:
        """Give ``creates`` ids reserved before (:meth:`reserve`), reserving any lacking; the
        ids, in their order."""
        self.reserve(len(creates))
        taken, self.spare_ids = self.spare_ids[:len(creates)], self.spare_ids[len(creates):]
        # Without parent models, setting ``pk`` sets the id field alone (Model._set_pk_val).
        attname = self.pk.attname
        direct = not self.model._meta.parents and attname in set_as_stored(self.model)
        alias = self.connection.alias
        for obj, pk in zip(creates, taken, strict=True):
            if direct:
                obj.__dict__[attname] = pk
            else:
                obj.pk = pk
            state = obj._state
            state.adding, state.db = False, alias
        return taken

    def values(self, obj) -> list:
        """The row's column values as COPY writes them; a related object assigned before it
        was saved (a report this chunk created) gives its id now, as bulk_create does."""
        row = list(self.getter(obj))
        for index, field in self.related:
            if row[index] is None and field.name in obj._state.fields_cache:
                related = obj._state.fields_cache[field.name]
                row[index] = None if related is None else related.pk
                setattr(obj, field.attname, row[index])
        for index, field in self.prepared:
            row[index] = field.get_db_prep_save(row[index], self.connection)
        return row
