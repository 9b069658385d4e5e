"""PostgreSQL's write path of one import chunk: COPY, and set-based SQL for changed rows.

A chunk's creates and updates of one model go in a fixed number of statements whatever its
size (docs/design.md, "Imports"):
- new rows: their ids reserved from the table's sequence, one ``COPY`` into the table and
  one ``COPY`` of their simple-history records (who, when, why and the row's values, as
  writer.record_history writes them elsewhere), so the server stores while Python formats;
- changed rows: one ``COPY`` into a temporary staging table, one ``UPDATE … FROM`` of the
  changed columns, one ``INSERT … SELECT`` of their history records from the rows as now
  stored, and a ``TRUNCATE`` of the staging table.
Django's bulk_create spent most of a large import building one parameter per cell.

It runs inside the importer's one transaction: the staging table is dropped at its end, and
an error in a later chunk undoes every chunk. Other databases, and the datasets that do not
ask for it (DatasetPlan.copies), keep writer.py's bulk_create and bulk_update.
"""

from __future__ import annotations

from operator import attrgetter

from django.db import models
from django.utils import timezone

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

    def write(self, creates: list, updates: list[tuple[object, set]], user, reason: str) -> None:
        """Store ``creates`` (new instances: given their ids) and the ``updates``' fields."""
        if not creates and not updates:
            return
        if self.model is Indicator:  # the rule Indicator.save keeps (docs/design.md, "Domain model")
            Indicator.take_reports_from_projects(creates)
        stamp = [timezone.now(), str(reason)[:100], None, getattr(user, "pk", None)]
        with self.connection.cursor() as cursor:
            if creates:
                self.create_rows(cursor, creates, stamp)
            if updates:
                self.update_rows(cursor, updates, stamp)
        if self.model is Indicator:
            report_ids = {obj.report_id for obj in creates} | {obj.report_id for obj, _n in updates}
            indicators_written.send(sender=Indicator, report_ids=report_ids - {None},
                                    using=self.connection.alias)

    def create_rows(self, cursor, creates: list, stamp: list) -> None:
        """New rows: ids reserved, then COPY into the table and COPY of their history records
        (the rows as stored: the same values), so the server stores while Python formats."""
        self.reserve_ids(cursor, creates)
        rows = []
        for obj in creates:
            for field in self.stamped:
                field.pre_save(obj, add=True)
            rows.append(self.values(obj))
        self.copy(cursor, self.table, self.columns, rows)
        stamp[2] = NEW_ROW
        self.copy(cursor, self.history_table, [*self.columns, *HISTORY_EXTRA],
                  (row + stamp for row in rows))

    def update_rows(self, cursor, updates: list[tuple[object, set]], stamp: list) -> None:
        """Changed rows: COPY into the staging table, one UPDATE of the changed columns, their
        history records copied from the rows as now stored, the staging table emptied."""
        if not self.ready:
            self.create_stage(cursor)
        self.copy(cursor, self.stage, self.columns, (self.values(obj) for obj, _n in updates))
        opts = self.model._meta
        names = {name for _obj, changed in updates for name in changed}
        columns = sorted({opts.get_field(name).column for name in names})
        sets = ", ".join(f"{self.qn(c)} = s.{self.qn(c)}" for c in columns)
        pk = self.qn(self.pk.column)
        cursor.execute(
            f"UPDATE {self.table} AS t SET {sets} FROM {self.stage} AS s "  # noqa: S608 (quoted model metadata)
            f"WHERE t.{pk} = s.{pk}",
        )
        own = ", ".join(self.qn(c) for c in self.columns)
        selected = ", ".join(f"t.{self.qn(c)}" for c in self.columns)
        extra = ", ".join(self.qn(c) for c in HISTORY_EXTRA)
        stamp[2] = CHANGED_ROW
        cursor.execute(
            f"INSERT INTO {self.history_table} ({own}, {extra}) "  # noqa: S608 (quoted model metadata)
            f"SELECT {selected}, %s, %s, %s, %s FROM {self.table} AS t "
            f"JOIN {self.stage} AS s ON s.{pk} = t.{pk} ORDER BY t.{pk}",
            stamp,
        )
        cursor.execute(f"TRUNCATE {self.stage}")

    def copy(self, cursor, table: str, columns: list[str], rows) -> None:
        quoted = ", ".join(self.qn(c) for c in columns)
        with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as pipe:
            for row in rows:
                pipe.write_row(row)

    def create_stage(self, cursor) -> None:
        """The staging table of changed rows: the model's columns (no constraint but NOT NULL),
        dropped when the import's transaction ends."""
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.stage} "
            f"(LIKE {self.table}) ON COMMIT DROP",
        )
        cursor.execute(f"TRUNCATE {self.stage}")
        self.ready = True

    def reserve_ids(self, cursor, creates: list) -> None:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [self.model._meta.db_table, self.pk.column, len(creates)],
        )
        for obj, (pk,) in zip(creates, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = self.connection.alias

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
