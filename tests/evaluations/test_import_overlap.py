"""The indicators import's quicker paths keep its results: a chunk's COPYs run beside the next
chunk's planning (imports/background.py) and fail the import as before; reports that had no
indicators are totalled from the scores planned for their rows, not scored twice (scores.py); the
garbage collector runs less often while importing."""

import gc

import pytest
from django.db import DataError

from evaluations import datasets as ds
from evaluations import scores
from evaluations.imports import import_file, importer
from evaluations.imports.pg_writer import CopyWriter
from evaluations.models import Project
from indicators import scoring
from indicators.models import Indicator
from tests.evaluations.test_import_streaming import bench_report, indicator_csv  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted_scores(monkeypatch):
    """How many times the engine scored an indicator."""
    calls = []
    original = scoring.indicator_score

    def counted(**kwargs):
        calls.append(kwargs["nature"])
        return original(**kwargs)

    monkeypatch.setattr(scoring, "indicator_score", counted)
    return calls


def test_rows_into_a_report_without_indicators_are_scored_once(bench_report, counted_scores):  # noqa: F811
    """Each row is scored as planned; the closing recompute totals the tables from those
    scores, and they are what a full recompute finds."""
    result = import_file(ds.INDICATORS, indicator_csv(30), filename="i.csv")
    assert result.ok, result.errors[:3]
    assert len(counted_scores) == 30
    bench_report.refresh_from_db()
    project = Project.objects.get(code="b03")
    assert bench_report.total_score is not None and project.total_score is not None
    assert scores.stale(bench_report) == []
    # A report that already has indicators is scored in full at the end: a row not in the
    # file may be stale.
    counted_scores.clear()
    changed = indicator_csv(30).replace("指标3,gte,个,4,3,".encode(), "指标3,gte,个,4,4,".encode())
    result = import_file(ds.INDICATORS, changed, filename="i.csv")
    assert result.count("update") == 1
    assert len(counted_scores) == 1 + Indicator.objects.count()
    assert scores.stale(bench_report) == []


@pytest.mark.postgresql_only
def test_a_write_that_fails_in_the_background_fails_the_import_whole(bench_report, monkeypatch):  # noqa: F811
    """The second chunk's COPY fails while the third is planned: the import reports the
    database's refusal and nothing of the first chunk stays."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    original, calls = CopyWriter.copy, []

    def failing(self, cursor, table, columns, rows):
        calls.append(table)
        if len(calls) == 3:  # the second chunk's rows
            raise DataError("refused")
        return original(self, cursor, table, columns, rows)

    monkeypatch.setattr(CopyWriter, "copy", failing)
    result = import_file(ds.INDICATORS, indicator_csv(65), filename="i.csv")
    assert [(e.row, e.column) for e in result.errors] == [(None, "")]
    assert "refused" in result.errors[0].message
    assert not Indicator.objects.exists() and not Indicator.history.exists()


def test_the_collector_runs_less_often_while_importing_and_as_before_after(bench_report, monkeypatch):  # noqa: F811
    """The garbage collector's first threshold is raised for the import's length only, also
    when the import fails."""
    before = gc.get_threshold()
    seen = []
    original = importer.Importer.flush

    def flush(self, chunk, **kwargs):
        seen.append(gc.get_threshold())
        return original(self, chunk, **kwargs)

    monkeypatch.setattr(importer.Importer, "flush", flush)
    assert import_file(ds.INDICATORS, indicator_csv(30), filename="i.csv").ok
    bad = indicator_csv(3) + "2024,bench,,output,quantity,坏行,not-a-nature,个,1,1,1,\n".encode()
    assert not import_file(ds.INDICATORS, bad, filename="i.csv").ok
    assert seen == [(importer.COLLECT_EVERY, *before[1:])] * 2
    assert gc.get_threshold() == before


def indicator_reads(queries) -> list[str]:
    """The statements that looked up stored indicators by name (IndicatorsPlan.stored)."""
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT")
            and 'FROM "indicators_indicator"' in q["sql"] and '"name" IN' in q["sql"]]


def test_a_report_empty_before_the_import_is_not_searched_for_stored_rows(bench_report, monkeypatch):  # noqa: F811
    """Chunk after chunk into a report that had no indicators, no statement looks for its
    stored rows: they are the file's own. A report that had some is searched once a window of
    chunks (importer.WINDOW_CHUNKS), not once a chunk."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    monkeypatch.setattr(importer, "WINDOW_CHUNKS", 2)
    with CaptureQueriesContext(connection) as queries:
        assert import_file(ds.INDICATORS, indicator_csv(65), filename="i.csv").ok
    assert indicator_reads(queries.captured_queries) == []
    with CaptureQueriesContext(connection) as queries:
        result = import_file(ds.INDICATORS, indicator_csv(65), filename="i.csv")
    assert result.ok and result.count("skip") == 65
    assert len(indicator_reads(queries.captured_queries)) == 2  # one a window of 40 rows


def test_a_row_repeated_in_a_later_chunk_of_an_empty_report_is_refused(bench_report, monkeypatch):  # noqa: F811
    """Not looked up, the repeat is still found: the import names it and writes nothing."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    rows = indicator_csv(30).decode().splitlines(keepends=True)
    data = "".join([*rows, rows[3]]).encode()  # row 4 (file line 5) again as the last row
    result = import_file(ds.INDICATORS, data, filename="i.csv")
    assert [(e.row, e.message) for e in result.errors] == [(32, "与第 4 行重复。")]
    assert not Indicator.objects.exists()


def test_a_window_locks_its_reports_but_refuses_only_those_it_changes(bench_report, monkeypatch, superuser):  # noqa: F811
    """The indicators import locks a window's reports at once (locks.Holds.lock) and rechecks
    a report only when a row would change it: a published report's rows read back unchanged
    still import (all unchanged), one changed row is refused naming the report."""
    from evaluations import workflow
    from evaluations.models import Report, ReportEvent

    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    data = indicator_csv(65)
    assert import_file(ds.INDICATORS, data, filename="i.csv").ok
    Report.objects.filter(pk=bench_report.pk).update(status=Report.Status.PUBLISHED)
    ReportEvent.objects.create(report=bench_report, action="publish", from_status="approved",
                               to_status="published", actor=superuser, revision=1)
    with monkeypatch.context() as patched:
        locked = []
        original = workflow.lock_rows
        patched.setattr(workflow, "lock_rows", lambda ids, **kw: locked.append(sorted(ids)) or original(ids, **kw))
        result = import_file(ds.INDICATORS, data, filename="i.csv", user=superuser)
    assert result.ok and result.count("skip") == 65, result.errors[:3]
    assert locked == [[bench_report.pk]]  # held with the window, once
    changed = data.replace("指标3,gte,个,4,3,".encode(), "指标3,gte,个,4,4,".encode())
    result = import_file(ds.INDICATORS, changed, filename="i.csv", user=superuser)
    assert not result.ok and "报告已公开" in str(result.errors[0])
    assert Indicator.objects.get(name="指标3").actual_value == 3


def test_reports_filled_from_empty_are_totalled_once_the_import_moves_past_them(bench_report, monkeypatch):  # noqa: F811
    """Windows of 20 rows: A, then A and B, then B, then A again. B is totalled when the
    file moves past it, from its rows as written (scores.Totals); A, written into again
    after it was totalled, by the closing recompute, the only report whose rows are read
    back. Both come out as a full recompute finds them."""
    from evaluations.models import Department, FundingSource

    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    monkeypatch.setattr(importer, "WINDOW_CHUNKS", 1)
    department = Department.objects.create(code="bench2", name="基准部门二")
    second = type(bench_report).objects.create(department=department, fiscal_year=bench_report.fiscal_year)
    general = FundingSource.objects.get(code="general")
    Project.objects.bulk_create(
        Project(report=second, code=f"b{i:02d}", name=f"项目{i}", funding_source=general, position=i)
        for i in range(1, 11)
    )
    a, more_a = indicator_csv(30).decode(), indicator_csv(5, start=30).decode()
    b = a.replace("2024,bench,", "2024,bench2,")
    data = (a + b.split("\n", 1)[1] + more_a.split("\n", 1)[1]).encode()
    read = []
    original = scores._rows
    monkeypatch.setattr(scores, "_rows", lambda ids, scored: read.append(sorted(ids)) or original(ids, scored))
    result = import_file(ds.INDICATORS, data, filename="i.csv")
    assert result.ok and result.count("new") == 65, result.errors[:3]
    assert read == [[bench_report.pk]]
    for report in (bench_report, second):
        report.refresh_from_db()
        assert report.total_score is not None
        assert scores.stale(report) == []


@pytest.mark.postgresql_only
def test_a_windows_lookups_read_by_index_and_nothing_else_does(bench_report, monkeypatch):  # noqa: F811
    """importer.by_index: the window's lookups (the last positions' GROUP BY among them) run
    with sequential scans off, set back before the rows are written and the import ends."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    monkeypatch.setattr(importer, "WINDOW_CHUNKS", 2)
    with CaptureQueriesContext(connection) as queries:
        assert import_file(ds.INDICATORS, indicator_csv(65), filename="i.csv").ok
    statements = [q["sql"] for q in queries.captured_queries]
    off = [i for i, sql in enumerate(statements) if sql == "SET LOCAL enable_seqscan = off"]
    back = [i for i, sql in enumerate(statements) if sql == "RESET enable_seqscan"]
    assert len(off) == len(back) == 2  # one a window
    positions = [i for i, sql in enumerate(statements)
                 if 'FROM "indicators_indicator"' in sql and "MAX(" in sql]
    assert positions and all(any(a < i < b for a, b in zip(off, back, strict=True)) for i in positions)
    recompute = [i for i, sql in enumerate(statements)  # the closing recompute's read
                 if sql.startswith("DECLARE") and 'FROM "indicators_indicator"' in sql]
    assert recompute and all(not any(a < i < b for a, b in zip(off, back, strict=True)) for i in recompute)


def test_totals_hold_a_bounded_number_of_rows_and_leave_the_rest_to_the_closing_recompute(bench_report, monkeypatch):  # noqa: F811
    """scores.Totals holds at most TOTALS_HELD rows: past it a report is left to the closing
    recompute (a file naming every report in every window would otherwise be held whole),
    and the scores come out the same."""
    monkeypatch.setattr(scores, "TOTALS_HELD", 10)
    held = []
    original = scores.Totals.written

    def written(self, indicators):
        original(self, indicators)
        held.append(self.held)

    monkeypatch.setattr(scores.Totals, "written", written)
    assert import_file(ds.INDICATORS, indicator_csv(30), filename="i.csv").ok
    assert held and max(held) <= 10
    bench_report.refresh_from_db()
    assert bench_report.total_score is not None and scores.stale(bench_report) == []


@pytest.mark.postgresql_only
def test_a_windows_last_write_waits_for_the_next_windows_lookups(bench_report, monkeypatch):  # noqa: F811
    """background.py: the last chunk of a window is written after the next window's lookups
    (which need not wait for it), the others as soon as they are planned; every row is stored
    as before, and a statement outside the lookups still finds the rows before it written."""
    from django.db import connection

    from evaluations.imports.background import BackgroundWrites

    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    monkeypatch.setattr(importer, "WINDOW_CHUNKS", 2)
    events = []
    copy = CopyWriter.copy

    def copied(self, cursor, table, columns, payload):
        if table == self.table:
            events.append(("copy", payload.count(b"\n")))
        return copy(self, cursor, table, columns, payload)

    original = BackgroundWrites.before_statement

    def seen(self, execute, sql, params, many, context):
        def executed(sql, params, many, context):  # once the writes it waits for are done
            if sql == "SET LOCAL enable_seqscan = off":
                events.append(("lookups", None))
            return execute(sql, params, many, context)
        return original(self, executed, sql, params, many, context)

    monkeypatch.setattr(CopyWriter, "copy", copied)
    monkeypatch.setattr(BackgroundWrites, "before_statement", seen)
    result = import_file(ds.INDICATORS, indicator_csv(100), filename="i.csv")
    assert result.ok and result.count("new") == 100, result.errors[:3]
    # Windows of 40 rows: chunks of 20, 20 | 20, 20 | 20; each window's second chunk is
    # copied after the next window's lookups begin; the last one at the end.
    assert events == [
        ("lookups", None), ("copy", 20),
        ("lookups", None), ("copy", 20), ("copy", 20),
        ("lookups", None), ("copy", 20), ("copy", 20),
    ]
    assert Indicator.objects.count() == Indicator.history.count() == 100
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM indicators_indicator WHERE final_score IS NULL")
        assert cursor.fetchone()[0] == 0
    bench_report.refresh_from_db()
    assert bench_report.total_score is not None and scores.stale(bench_report) == []


@pytest.mark.parametrize("window_chunks", [1, 2])
def test_a_report_the_import_creates_keeps_numbering_its_rows_chunk_after_chunk(db, monkeypatch, window_chunks):
    """A new report's rows span five chunks (and windows of one or two): each chunk goes on
    from the positions the chunk before took (PositionedPlan.report_stored), whether or not
    the chunk before is written yet (the last of a window is written after the next window's
    lookups, background.py); its rows are scored and its tables totalled as a full recompute
    finds them. Found by a review: positions restarted at 1 and the database refused the file."""
    from evaluations.models import Department, FiscalYear, Report

    FiscalYear.objects.create(year=2024)
    Report.objects.create(department=Department.objects.create(code="old", name="旧部门"),
                          fiscal_year=FiscalYear.objects.get(year=2024))
    Department.objects.create(code="fresh", name="新部门")
    monkeypatch.setattr(importer, "CHUNK_ROWS", 20)
    monkeypatch.setattr(importer, "WINDOW_CHUNKS", window_chunks)
    header = "year,department_code,project_code,level1,level2,name,nature,unit,target_value,actual_value,weight,deviation\n"
    rows = [f"2024,old,,output,quantity,甲{n},gte,个,5,3,1.5,x\n" for n in range(20)]
    rows += [f"2024,fresh,,output,quantity,乙{n},gte,个,{n % 50 + 1},{n % 37},1.5,x\n" for n in range(100)]
    result = import_file(ds.INDICATORS, (header + "".join(rows)).encode(), filename="i.csv")
    assert result.ok and result.count("new") == 120, result.errors[:3]
    fresh = Report.objects.get(department__code="fresh")
    assert sorted(fresh.indicators.values_list("position", flat=True)) == list(range(1, 101))
    assert not Indicator.objects.filter(final_score__isnull=True).exists()
    fresh.refresh_from_db()
    assert fresh.total_score is not None and scores.stale(fresh) == []
