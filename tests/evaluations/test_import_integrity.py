"""Imports against races and bad files (issue 15): written under a lock only into writable
reports, published reports refused by every path, files refused whole when unreadable."""

import io
import time
import zipfile
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from openpyxl import Workbook

from evaluations import datasets as ds
from evaluations.imports import import_file, read_table
from evaluations.imports import importer as importer_module
from evaluations.models import OutcomeNarrative, Project, Report, ReportEvent
from tests.factories import DepartmentFactory, ReportFactory

pytestmark = pytest.mark.django_db

NARRATIVES = "year,department_code,position,headline,body\n"


def narratives(count: int, start: int = 1) -> bytes:
    rows = "".join(f"2024,d1,{n},标题{n},正文\n" for n in range(start, start + count))
    return (NARRATIVES + rows).encode()


@pytest.fixture
def draft(data_entry_user):
    report = ReportFactory(department=DepartmentFactory(code="d1", name="部门一"),
                           fiscal_year__year=2024)
    report.department.staff.add(data_entry_user)
    return report


def submit_before_writing(report, *, after_chunks: int = 0):
    """Patch the writer so the report is submitted right before chunk ``after_chunks + 1``
    is written: what a reviewer's click between planning and writing does."""
    original = importer_module.Writer.write_chunk
    calls = {"n": 0}

    def write_chunk(self, **kwargs):
        if calls["n"] == after_chunks:
            Report.objects.filter(pk=report.pk).update(status=Report.Status.SUBMITTED)
        calls["n"] += 1
        return original(self, **kwargs)

    return mock.patch.object(importer_module.Writer, "write_chunk", write_chunk)


def test_a_report_submitted_between_planning_and_writing_fails_the_import(draft, data_entry_user):
    with submit_before_writing(draft):
        result = import_file(ds.NARRATIVES, narratives(3), user=data_entry_user)
    assert not result.ok
    message = str(result.errors[0])
    assert "部门一 2024 年度" in message and "已提交" in message and "未导入任何数据" in message
    assert not OutcomeNarrative.objects.exists()


def test_a_report_submitted_after_the_first_chunk_undoes_that_chunk(draft, data_entry_user):
    """The second chunk's report, not held by the first, is submitted before it is written:
    the import fails whole. (A report the first chunk held cannot be submitted meanwhile: the
    submission waits for the import's commit, test_an_import_racing_a_submission_….)"""
    other = ReportFactory(department=DepartmentFactory(code="d2", name="部门二"),
                          fiscal_year=draft.fiscal_year)
    other.department.staff.add(data_entry_user)
    rows = importer_module.CHUNK_ROWS
    data = narratives(rows) + "".join(f"2024,d2,{n},标题{n},正文\n" for n in range(1, 11)).encode()
    with submit_before_writing(other, after_chunks=1):
        result = import_file(ds.NARRATIVES, data, user=data_entry_user)
    assert not result.ok and "部门二" in str(result.errors[0]) and "已提交" in str(result.errors[0])
    assert not OutcomeNarrative.objects.exists()  # the first chunk was written, then undone


def test_a_report_is_locked_once_an_import_however_many_chunks_it_spans(draft, data_entry_user):
    """Held from its first chunk to the commit, a report's row is not locked and rechecked
    again chunk after chunk."""
    from evaluations import workflow

    with mock.patch.object(workflow, "lock_rows", wraps=workflow.lock_rows) as held:
        result = import_file(ds.NARRATIVES, narratives(importer_module.CHUNK_ROWS * 2 + 10),
                             user=data_entry_user)
    assert result.ok and result.count("new") == importer_module.CHUNK_ROWS * 2 + 10
    assert [sorted(call.args[0]) for call in held.call_args_list] == [[draft.pk]]
    draft.refresh_from_db()
    assert draft.updated_at > draft.created_at  # marked edited, once, as the import ended


def published_by_workflow(report, user):
    Report.objects.filter(pk=report.pk).update(status=Report.Status.PUBLISHED)
    ReportEvent.objects.create(report=report, action="publish", from_status="approved",
                               to_status="published", actor=user, revision=1)


def test_the_command_line_may_not_change_a_report_published_through_the_workflow(
    draft, superuser, tmp_path
):
    published_by_workflow(draft, superuser)
    path = tmp_path / "n.csv"
    path.write_bytes(narratives(1))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_data", "narratives", str(path), stderr=err)
    assert "报告已公开" in err.getvalue() and "撤回修订" in err.getvalue()
    result = import_file(ds.NARRATIVES, narratives(1), user=superuser)
    assert not result.ok and "报告已公开" in str(result.errors[0])
    assert not OutcomeNarrative.objects.exists()


def test_the_command_line_may_not_change_a_report_a_reviewer_is_checking(
    draft, data_entry_user, tmp_path
):
    """Submitted (or approved) through the workflow: what the reviewer sees stays as they see
    it, whoever imports; the command line too (review of issue 15.4)."""
    Report.objects.filter(pk=draft.pk).update(status=Report.Status.SUBMITTED)
    ReportEvent.objects.create(report=draft, action="submit", from_status="draft",
                               to_status="submitted", actor=data_entry_user, revision=1)
    path = tmp_path / "n.csv"
    path.write_bytes(narratives(1))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_data", "narratives", str(path), stderr=err)
    assert "已提交" in err.getvalue()
    assert not OutcomeNarrative.objects.exists()


def test_a_report_published_meanwhile_fails_a_superusers_import(draft, superuser):
    original = importer_module.Writer.write_chunk

    def write_chunk(self, **kwargs):
        published_by_workflow(draft, superuser)
        return original(self, **kwargs)

    with mock.patch.object(importer_module.Writer, "write_chunk", write_chunk):
        result = import_file(ds.NARRATIVES, narratives(2), user=superuser)
    assert not result.ok and "报告已公开" in str(result.errors[0])
    assert not OutcomeNarrative.objects.exists()


def test_a_database_error_is_one_line_and_exit_status_1(draft, tmp_path):
    path = tmp_path / "n.csv"
    path.write_bytes(narratives(1))
    with mock.patch.object(importer_module.ImportRun, "load_reports",
                           side_effect=OperationalError("server closed the connection\nDETAIL: x")):
        with pytest.raises(CommandError) as excinfo:
            call_command("import_data", "narratives", str(path))
    assert excinfo.value.returncode == 1
    assert str(excinfo.value) == "Database error, nothing was written: server closed the connection"


# --- Files -------------------------------------------------------------------------------


def xlsx(rows, *, dimension: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    if dimension is None:
        return data
    # Rewrite the sheet's <dimension ref>, as a file of that many rows declares it.
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                start = content.index(b"<dimension ref=\"")
                end = content.index(b"\"", start + 16)
                content = content[:start + 16] + dimension.encode() + content[end:]
            copy.writestr(item, content)
    return target.getvalue()


def test_formula_cells_without_a_saved_result_are_named_by_sheet_row_and_column(draft):
    data = xlsx([["year", "department_code", "position", "headline", "body"],
                 [2024, "d1", "=1+1", "标题", "正文"]])  # openpyxl saves no cached value
    result = import_file(ds.NARRATIVES, data, filename="n.xlsx")
    assert not result.ok
    assert str(result.errors[0]).startswith("第 2 行，“position”列：工作表“数据”中此单元格是公式")
    assert not OutcomeNarrative.objects.exists()


def test_an_xlsx_declaring_a_million_rows_is_refused_before_it_is_read(draft):
    data = xlsx([["year", "department_code", "position", "headline"], [2024, "d1", 1, "标题"]],
                dimension="A1:D1000000")
    started = time.process_time()
    result = import_file(ds.NARRATIVES, data, filename="n.xlsx")
    assert time.process_time() - started < 2  # refused from the dimension, not by reading
    assert "超过 200,000 行" in str(result.errors[0])


def test_rows_beyond_the_limit_are_refused_while_read(draft, settings):
    settings.IMPORT_MAX_ROWS = 5
    result = import_file(ds.NARRATIVES, narratives(6))
    assert "超过 5 行" in str(result.errors[0]) and not OutcomeNarrative.objects.exists()
    assert import_file(ds.NARRATIVES, narratives(5)).ok
    data = xlsx([["year", "department_code", "position", "headline"]]
                + [[2024, "d1", n, "标题"] for n in range(10, 16)])
    assert "超过 5 行" in str(import_file(ds.NARRATIVES, data, filename="n.xlsx").errors[0])


def test_columns_and_xlsx_size_beyond_the_limits_are_refused(draft, settings):
    settings.IMPORT_MAX_COLUMNS = 10
    wide = ",".join(f"c{n}" for n in range(11)) + "\n" + ",".join("x" * 11) + "\n"
    assert "超过上限 10 列" in str(import_file(ds.NARRATIVES, wide.encode()).errors[0])
    settings.IMPORT_MAX_XLSX_BYTES = 1000
    data = xlsx([["year", "department_code", "position", "headline"], [2024, "d1", 1, "标题"]])
    assert "解压后" in str(import_file(ds.NARRATIVES, data, filename="n.xlsx").errors[0])


def test_unknown_columns_are_one_message_with_a_count(draft):
    headers = "year,department_code,position,headline," + ",".join(f"x{n}" for n in range(150))
    result = import_file(ds.NARRATIVES, (headers + "\n2024,d1,1,标题\n").encode())
    assert len(result.errors) == 1
    assert "有 150 个未知的列：“x0”、“x1”、“x2”、“x3”、“x4”等" in str(result.errors[0])


def test_a_too_long_cell_is_named_by_row_and_column(draft):
    content = NARRATIVES + "2024,d1,1,标题," + "长" * 140_000 + "\n"
    result = import_file(ds.NARRATIVES, content.encode())
    assert [str(e) for e in result.errors] == [
        "第 2 行，“body”列：单元格有 140,000 个字符，超过上限 131,072。"
    ]


def test_big5_read_as_gb18030_is_refused_and_reads_when_named(draft):
    content = NARRATIVES + "2024,d1,1,預算執行與績效目標,實際完成情況說明\n"
    data = content.encode("big5")
    assert data.decode("gb18030")  # it decodes, but garbled: what was stored before
    result = import_file(ds.NARRATIVES, data)
    assert "Big5" in str(result.errors[0]) and "--encoding big5" in str(result.errors[0])
    assert import_file(ds.NARRATIVES, data, encoding="big5").ok
    assert OutcomeNarrative.objects.get().headline == "預算執行與績效目標"


def test_gb18030_from_excel_still_reads(draft):
    content = NARRATIVES + "2024,d1,1,预算执行与绩效目标,实际完成情况说明\n"
    assert import_file(ds.NARRATIVES, content.encode("gb18030")).ok


def test_an_explicit_encoding_that_would_garble_is_refused(draft):
    data = (NARRATIVES + "2024,d1,1,标题,正文\n").encode()
    assert "UTF-8" in str(import_file(ds.NARRATIVES, data, encoding="latin-1").errors[0])
    replaced = (NARRATIVES + "2024,d1,1,标\ufffd题,正文\n").encode()
    assert "�" in str(import_file(ds.NARRATIVES, replaced, encoding="utf-8").errors[0])
    assert not OutcomeNarrative.objects.exists()


def test_control_characters_are_cleaned_from_imported_text(draft):
    content = NARRATIVES + "2024,d1,1,标题\x01,第一行\x0b第二行\x1f\tend\n"
    assert import_file(ds.NARRATIVES, content.encode()).ok
    narrative = OutcomeNarrative.objects.get()
    assert narrative.headline == "标题" and narrative.body == "第一行\n第二行\tend"


def test_a_preview_table_is_read_within_the_same_limits(settings):
    settings.IMPORT_MAX_ROWS = 1
    with pytest.raises(ValueError, match="超过 1 行"):
        read_table(narratives(2))


def test_dry_run_writes_nothing_and_shows_no_ids(draft):
    from evaluations.imports import import_table

    result = import_table(ds.NARRATIVES, read_table(narratives(2)), dry_run=True)
    assert result.ok and result.count("new") == 2
    assert all(outcome.instance.pk is None for outcome in result.rows)
    assert not OutcomeNarrative.objects.exists() and not Project.objects.exists()


def test_a_report_gone_or_out_of_reach_is_the_one_named(data_entry_user):
    """The refused report is named, not the first of the import's reports (review)."""
    from django.db import transaction

    from evaluations.imports.locks import Holds, ReportChanged

    mine = ReportFactory(department=DepartmentFactory(code="d1", name="部门一"),
                         fiscal_year__year=2024)
    mine.department.staff.add(data_entry_user)
    other = ReportFactory(department=DepartmentFactory(code="d2", name="部门二"),
                          fiscal_year__year=2024)
    assert mine.pk < other.pk
    with transaction.atomic(), pytest.raises(ReportChanged) as refused:
        Holds(data_entry_user).recheck([mine, other])
    assert refused.value.report == other and "部门二" in str(refused.value)

    other.department.staff.add(data_entry_user)
    Report.objects.filter(pk=other.pk).delete()
    with transaction.atomic(), pytest.raises(ReportChanged) as gone:
        Holds(data_entry_user).recheck([mine, other])
    assert gone.value.report == other and "部门二" in str(gone.value)


def test_a_utf8_file_that_really_holds_a_replacement_character_reads(draft):
    """Detected UTF-8 decodes strictly: a "�" in it is the file's own, not a lost byte."""
    data = (NARRATIVES + "2024,d1,1,标\ufffd题,正文\n").encode()
    assert import_file(ds.NARRATIVES, data).ok
    assert OutcomeNarrative.objects.get().headline == "标\ufffd题"
    # Named encodings and the GB18030 guess still refuse one (the test above).


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("submitted", ["while_the_import_holds_the_report", "before_it_writes"])
def test_an_import_racing_a_submission_completes_first_or_fails_whole(submitted):
    """A real import on one connection, a submission on another: the submission either waits
    for the import's transaction (its first chunk holds the report row) and follows it, or
    commits before the import's first write, which then refuses the whole file."""
    import threading

    from django.db import connection

    from evaluations import workflow
    from tests.evaluations.test_editing import _reseed_roles_and_sources
    from tests.evaluations.workflow_setup import build_world, user_in

    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes the write lock at BEGIN (IMMEDIATE): no interleaving")
    _reseed_roles_and_sources()
    clerk = user_in("data_entry", "clerk-import-race")
    report = build_world(clerk).report_a
    before = OutcomeNarrative.objects.filter(report=report).count()
    rows = importer_module.CHUNK_ROWS + 10
    year, code = report.fiscal_year.year, report.department.code
    data = (NARRATIVES + "".join(
        f"{year},{code},{n},标题{n},正文\n" for n in range(1000, 1000 + rows)
    )).encode()
    paused, release = threading.Event(), threading.Event()
    original = importer_module.Writer.write_chunk
    calls = {"n": 0}

    def pausing_write_chunk(self, **kwargs):
        calls["n"] += 1
        if submitted == "before_it_writes" and calls["n"] == 1:
            paused.set()
            release.wait(10)
        original(self, **kwargs)
        if submitted == "while_the_import_holds_the_report" and calls["n"] == 1:
            paused.set()
            release.wait(10)

    outcome = {}

    def run_import():
        try:
            outcome["import"] = import_file(ds.NARRATIVES, data, user=clerk)
        finally:
            connection.close()

    def submit():
        try:
            outcome["event"] = workflow.submit_report(Report.objects.get(pk=report.pk), clerk)
        finally:
            connection.close()

    with mock.patch.object(importer_module.Writer, "write_chunk", pausing_write_chunk):
        importing = threading.Thread(target=run_import, name="import")
        importing.start()
        assert paused.wait(10)
        submitter = threading.Thread(target=submit, name="submit")
        submitter.start()
        submitter.join(1)
        waited = submitter.is_alive()
        release.set()
        importing.join(20)
        submitter.join(20)

    result, stored = outcome["import"], Report.objects.get(pk=report.pk)
    assert outcome["event"].action == "submit" and stored.status == Report.Status.SUBMITTED
    narratives_now = OutcomeNarrative.objects.filter(report=report).count()
    if submitted == "while_the_import_holds_the_report":
        assert waited  # the submission queued behind the import's row lock
        assert result.ok and narratives_now == before + rows
    else:
        assert not waited
        assert not result.ok and "未导入任何数据" in str(result.errors[0])
        assert narratives_now == before  # nothing of the file was kept


def test_encoding_refusals_say_what_to_do_and_where(draft):
    """Excel's "Unicode 文本" (UTF-16) and a file mixing UTF-8 with GBK rows got one vague
    sentence; a short GBK file naming 董家塅镕钢项目 was refused as garbled (the trust review)."""
    content = NARRATIVES + "2024,d1,1,标题,正文\n"
    result = import_file(ds.NARRATIVES, content.encode("utf-16"))
    assert "UTF-16" in str(result.errors[0]) and "CSV UTF-8" in str(result.errors[0])
    # Windows' cp936 writes € as the byte 0x80, which neither UTF-8 nor GB18030 reads.
    mixed = (NARRATIVES + "2024,d1,1,标题,正文\n").encode() + "2024,d1,2,标题二,".encode("gbk") + b"\x80\n"
    result = import_file(ds.NARRATIVES, mixed)
    assert str(result.errors[0]).startswith("第 3 行起既不是 UTF-8 也不是 GB18030")
    declared = b"\xef\xbb\xbf" + mixed
    assert "第 3 行：文件声明为 UTF-8" in str(import_file(ds.NARRATIVES, declared).errors[0])
    short = "year,department_code,position,headline,body\n2024,d1,1,董家塅镕钢项目,正文\n"
    assert import_file(ds.NARRATIVES, short.encode("gbk")).ok
    # A short Big5 file is still told to be Big5 (the diff review: 績效 stored as 罿).
    for words in ("績效", "審計退役"):
        big5 = f"year,department_code,position,headline,body\n2024,d1,2,{words},x\n".encode("big5")
        assert "Big5" in str(import_file(ds.NARRATIVES, big5).errors[0]), words
    assert not OutcomeNarrative.objects.exclude(headline="董家塅镕钢项目").exists()


def test_an_import_keeps_only_its_windows_locked_rows_and_without_their_texts(draft):
    """locks.Holds: the locked rows are kept for the window being written and until rechecked,
    without the long texts and rule snapshot (a million rows lock 10,000 reports: ~5 kB each
    held to the end was +100 MB); the reports stay locked and are not locked twice."""
    from evaluations import workflow
    from evaluations.imports.locks import Holds

    one, two = (ReportFactory(department=DepartmentFactory(code=f"d{n}"), fiscal_year=draft.fiscal_year)
                for n in (7, 8))
    holds = Holds(None)
    with mock.patch.object(workflow, "lock_rows", wraps=workflow.lock_rows) as locking:
        holds.lock([draft, one])
        assert set(holds.rows) == {draft.pk, one.pk}
        assert {"rule_snapshot", "overall_summary"} <= holds.rows[draft.pk].get_deferred_fields()
        holds.lock([one, two])
        assert set(holds.rows) == {one.pk, two.pk} and holds.locked == {draft.pk, one.pk, two.pk}
        assert holds.recheck([one]) == [one.pk]
        assert set(holds.rows) == {two.pk} and holds.recheck([one]) == []
    assert [sorted(call.args[0]) for call in locking.call_args_list] == [
        sorted([draft.pk, one.pk]), [two.pk],
    ]
