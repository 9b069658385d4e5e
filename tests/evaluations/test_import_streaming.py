"""The importer streams: its memory stays flat as files grow, and it writes chunk by chunk
inside one transaction, still all or nothing."""

import tracemalloc

import pytest

from evaluations import datasets as ds
from evaluations.imports import import_file
from evaluations.models import Department, FiscalYear, FundingSource, Project, Report
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

HEADER = "year,department_code,project_code,level1,level2,name,nature,unit,target_value,actual_value,weight,deviation\n"


@pytest.fixture
def bench_report(db):
    department = Department.objects.create(code="bench", name="基准部门")
    report = Report.objects.create(department=department, fiscal_year=FiscalYear.objects.create(year=2024))
    general = FundingSource.objects.get(code="general")
    Project.objects.bulk_create(
        Project(report=report, code=f"b{i:02d}", name=f"项目{i}", funding_source=general, position=i)
        for i in range(1, 11)
    )
    return report


def indicator_csv(rows: int, *, start: int = 0) -> bytes:
    lines = [HEADER]
    for n in range(start, start + rows):
        project = "" if n % 11 == 0 else f"b{n % 11:02d}"
        lines.append(f"2024,bench,{project},output,quantity,指标{n},gte,个,{n % 50 + 1},{n % 37},1.5,偏差说明{n}\n")
    return "".join(lines).encode()


def peak_bytes(data: bytes) -> int:
    tracemalloc.start()
    try:
        result = import_file(ds.INDICATORS, data, filename="i.csv")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok, result.errors[:3]
    return peak


def test_memory_per_row_stays_flat_as_the_file_grows(bench_report, monkeypatch):
    """Growing the file tenfold adds a few bytes a row (its key's hash, to find repeats), not
    the row: the importer before streaming held every row planned, ~3.5 kB each. The small
    file is one window of rows read ahead (importer.WINDOW_CHUNKS chunks), the most it holds."""
    from evaluations.imports import importer

    monkeypatch.setattr(importer, "CHUNK_ROWS", 2_000 // importer.WINDOW_CHUNKS)
    small, large = indicator_csv(2_000), indicator_csv(20_000, start=2_000)
    small_peak = peak_bytes(small)
    large_peak = peak_bytes(large)
    assert Indicator.objects.count() == 22_000
    per_row = (large_peak - small_peak) / 18_000
    # Issue 17: the import ends by rescoring its reports (evaluations/scores.py), one table
    # at a time: this file's tables are a tenth of it each, so the largest table (about 1 kB
    # an indicator while scored) grows with the file. Measured 240–250 bytes a row with it.
    assert per_row < 300, per_row


def recurring_names_csv(rows: int) -> bytes:
    """One report's indicators laid out project by project, the same names in every project
    ("完成率" recurs everywhere): the shape of bench/admin_import.py's file."""
    per_project = rows // 11 + 1
    lines = [HEADER]
    for n in range(rows):
        table, name = divmod(n, per_project)
        project = f"b{table:02d}" if table else ""
        lines.append(f"2024,bench,{project},output,quantity,指标{name},gte,个,{name % 50 + 1},"
                     f"{name % 37},1.5,偏差说明\n")
    return "".join(lines).encode()


def test_preview_memory_stays_flat_when_names_recur_across_projects(bench_report, monkeypatch):
    """The admin's preview (a dry run) of a one-report file whose names recur in every project.
    Matching stored rows by report and name alone loaded each earlier chunk's rows again
    (~2 kB each, written in the same transaction): 508 MB for 200,000 rows in the admin. The
    small file is one window of rows read ahead, as in the test above."""
    from evaluations.imports import importer

    monkeypatch.setattr(importer, "CHUNK_ROWS", 2_000 // importer.WINDOW_CHUNKS)
    peaks = []
    for rows in (2_000, 20_000):
        data = recurring_names_csv(rows)
        tracemalloc.start()
        try:
            result = import_file(ds.INDICATORS, data, filename="i.csv",
                                 dry_run=True, changes_kept=100)
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert result.ok and result.count("new") == rows, result.errors[:3]
        peaks.append(peak)
    assert Indicator.objects.count() == 0
    per_row = (peaks[1] - peaks[0]) / 18_000
    # ~1,350 bytes a row before the fix; 120-160 after (the keys' hashes, the bytes read).
    assert per_row < 400, per_row


def test_a_run_keeps_its_reports_without_their_texts_and_rule_snapshot(bench_report, monkeypatch):
    """A run keeps every report it loads (10,000 for a million rows): the long texts and the
    rule snapshot (about 4.6 kB a published report: +40 MB at a million rows) stay unread."""
    from evaluations.imports.context import ImportRun

    kept = []
    load = ImportRun.load_reports

    def watched(self, records):
        found = load(self, records)
        kept.extend(self.reports.values())
        return found

    monkeypatch.setattr(ImportRun, "load_reports", watched)
    assert import_file(ds.INDICATORS, indicator_csv(50), filename="i.csv").ok
    assert kept and all(
        {"rule_snapshot", "profile", "problems"} <= report.get_deferred_fields() for report in kept
    )


def test_a_column_reads_a_recurring_cell_once_and_long_text_each_time(monkeypatch):
    """Cells seen before in a column are not read again (names and units recur down a long
    file); text longer than REMEMBERED_CHARS is read each time and never kept, so what a
    column remembers stays small whatever the file's cells; an error is raised every time."""
    from evaluations.imports.cells import REMEMBERED_CHARS, SEEN_CELLS, CellError, CellParser

    parser = CellParser(ds.INDICATORS, ds.INDICATORS.column("deviation"), {})
    read = []
    original = parser.read
    monkeypatch.setattr(parser, "read", lambda text: read.append(text) or original(text))
    short, long = "受客观因素影响", "说" * (REMEMBERED_CHARS + 1)
    assert [parser.parse(short), parser.parse(short)] == [short, short]
    assert [parser.parse(long), parser.parse(long)] == [long, long]
    assert read == [short, long, long] and list(parser.seen) == [short]
    for cell in ("bad\x00", "bad\x00"):
        with pytest.raises(CellError):
            parser.parse(cell)
    assert "bad\x00" not in parser.seen
    for n in range(SEEN_CELLS + 10):
        parser.parse(f"说明{n}")
    assert len(parser.seen) <= SEEN_CELLS


def test_the_same_bad_cell_on_two_rows_is_named_on_both(bench_report):
    rows = "".join(
        f"2024,bench,,output,quantity,指标{n},gte,个,十,5,1.5,\n" for n in range(3)
    )
    result = import_file(ds.INDICATORS, (HEADER + rows).encode(), filename="i.csv")
    assert [(e.row, e.column) for e in result.errors] == [(2, "target_value"), (3, "target_value"), (4, "target_value")]
    assert not Indicator.objects.exists()
