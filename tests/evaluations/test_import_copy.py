"""PostgreSQL's write path of the indicators import (evaluations/imports/pg_writer.py): COPY
and set-based SQL in a fixed number of statements a chunk, whatever the chunk's size; the
history trail, the stored scores and all or nothing kept."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations import datasets as ds
from evaluations.imports import import_file, importer
from evaluations.imports.pg_writer import CopyWriter
from evaluations.models import Project
from indicators.models import Indicator
from tests.evaluations.test_import_streaming import bench_report, indicator_csv  # noqa: F401

pytestmark = pytest.mark.django_db


def statements(data: bytes, monkeypatch, chunk: int) -> tuple[int, int, object]:
    """(SQL statements a chunk, COPY statements a chunk, the result) of importing ``data``
    in chunks of ``chunk`` rows."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", chunk)
    copies = []
    original = CopyWriter.copy

    def counted(self, cursor, table, columns, rows):
        copies.append(table)
        return original(self, cursor, table, columns, rows)

    monkeypatch.setattr(CopyWriter, "copy", counted)
    with CaptureQueriesContext(connection) as ctx:
        result = import_file(ds.INDICATORS, data, filename="i.csv")
    assert result.ok, result.errors[:3]
    return len(ctx.captured_queries), len(copies), result


@pytest.mark.postgresql_only
def test_a_chunk_is_written_in_the_same_statements_whatever_its_size(bench_report, monkeypatch):  # noqa: F811
    """Two chunks of 30 rows and two of 300 take the same statements: the rows go by COPY
    and their history records by one INSERT … SELECT a chunk, not one parameter or one
    INSERT per row."""
    small, _copies, _result = statements(indicator_csv(60), monkeypatch, 30)
    Indicator.objects.all().delete()
    Indicator.history.all().delete()
    large, copies, result = statements(indicator_csv(600), monkeypatch, 300)
    assert small == large
    assert copies == 2  # a chunk: the new rows (their history records: from the rows stored)
    assert result.count("new") == 600 and Indicator.objects.count() == 600
    # Changing every row: one COPY into the staging table a chunk, the same statements again.
    changed = indicator_csv(600).replace(b",1.5,", b",2.5,")
    first, copies, result = statements(changed, monkeypatch, 300)
    assert result.count("update") == 600 and copies == 2
    again = indicator_csv(60).replace(b",1.5,", b",3.5,")
    Indicator.objects.exclude(name__in=[f"指标{n}" for n in range(60)]).delete()
    second, copies, _result = statements(again, monkeypatch, 30)
    assert second == first and copies == 2


@pytest.mark.postgresql_only
def test_copied_rows_have_their_history_scores_and_report(bench_report, django_user_model):  # noqa: F811
    user = django_user_model.objects.create_superuser("importer", password="x")  # noqa: S106
    result = import_file(ds.INDICATORS, indicator_csv(30), filename="i.csv", user=user)
    assert result.ok, result.errors[:3]
    row = Indicator.objects.get(name="指标3")
    project = Project.objects.get(code="b03")
    assert (row.report_id, row.project_id) == (bench_report.pk, project.pk)
    # gte: actual 3 of target 4, weight 1.5 → 1.13, as the engine stores it.
    assert row.final_score == row.fresh_score() == Decimal("1.13")
    history = Indicator.history.filter(id=row.pk).get()
    assert (history.history_type, history.history_change_reason, history.history_user) == (
        "+", "数据导入", user,
    )
    assert (history.name, history.weight, history.final_score) == ("指标3", Decimal("1.50"), row.final_score)
    changed = indicator_csv(30).replace("指标3,gte,个,4,3,".encode(), "指标3,gte,个,4,4,".encode())
    assert import_file(ds.INDICATORS, changed, filename="i.csv", user=user).count("update") == 1
    latest = Indicator.history.filter(id=row.pk).latest("history_id")
    assert (latest.history_type, latest.actual_value, latest.final_score) == (
        "~", Decimal("4.0000"), Decimal("1.50"),
    )
    assert Indicator.objects.get(pk=row.pk).final_score == Decimal("1.50")


def test_a_bad_last_row_writes_nothing_of_the_earlier_chunks(bench_report, monkeypatch):  # noqa: F811
    """All or nothing across chunks, on either write path: the first chunks were written
    (by COPY on PostgreSQL) before the last row was read."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    data = indicator_csv(65) + "2024,bench,,output,quantity,坏行,not-a-nature,个,1,1,1,\n".encode()
    result = import_file(ds.INDICATORS, data, filename="i.csv")
    assert [(e.row, e.column) for e in result.errors] == [(67, "nature")]
    assert not Indicator.objects.exists() and not Indicator.history.exists()


@pytest.mark.postgresql_only
def test_new_rows_take_the_sequences_next_ids_named_once_an_import(bench_report, monkeypatch):  # noqa: F811
    """The sequence is looked up once, not inside each chunk's id statement (where the server
    ran the lookup once a row); the rows get the ids the sequence hands out, in file order."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('indicators_indicator', 'id'))")
        (before,) = cursor.fetchone()
    with CaptureQueriesContext(connection) as ctx:
        assert import_file(ds.INDICATORS, indicator_csv(65), filename="i.csv").ok
    lookups = [q["sql"] for q in ctx.captured_queries if "pg_get_serial_sequence" in q["sql"]]
    assert len(lookups) == 1 and "nextval" not in lookups[0]
    ids = list(Indicator.objects.order_by("pk").values_list("pk", "name"))
    assert [pk for pk, _name in ids] == list(range(before + 1, before + 66))
    assert [name for _pk, name in ids] == [f"指标{n}" for n in range(65)]
