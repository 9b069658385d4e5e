"""Stored rows of published reports (exports/stored.py, storing.py): whole-report exports read
them when every report has valid ones, with the live path's bytes; anything that changes a
cell (a department code, a label, a republished revision, a write to the rows) sends the
export live until they are written again. On SQLite and PostgreSQL."""

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from bench import synthetic
from evaluations import datasets as ds
from evaluations import workflow
from evaluations.exports import stored, storing
from evaluations.exports.streams import ExportFilters, stream_csv_bytes
from evaluations.models import Department, Report, StoredRows
from indicators.models import Indicator
from tests.evaluations.workflow_setup import build_world
from tests.factories import IndicatorFactory, ReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]  # both databases

Status = Report.Status


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DOCUMENTS_AT_PUBLICATION = "off"  # the official files are not what this tests


def export(filters=None, **kwargs) -> tuple[bytes, str]:
    """The export's bytes, and the path it took: "stored" when no query read an indicator."""
    with CaptureQueriesContext(connection) as ctx:
        body = b"".join(stream_csv_bytes(ds.INDICATORS, filters or ExportFilters(), **kwargs))
    live = any("indicators_indicator" in query["sql"] for query in ctx.captured_queries)
    return body, "live" if live else "stored"


def python_path(filters=None, **kwargs) -> bytes:
    return b"".join(stream_csv_bytes(ds.INDICATORS, filters or ExportFilters(), fast=False, **kwargs))


def assert_stored_equal_live(filters=None, **kwargs) -> bytes:
    body, path = export(filters, **kwargs)
    assert path == "stored"
    assert body == python_path(filters, **kwargs)
    return body


@pytest.mark.parametrize("header", ["labels", "keys"])
@pytest.mark.parametrize("bom", [False, True])
def test_the_sample_read_from_its_stored_rows_is_the_live_bytes(sample_report, header, bom):
    _body, path = export(header=header, bom=bom)
    assert path == "live"  # the sample loader publishes directly: nothing stored yet
    assert storing.store([sample_report.pk]) == 1
    body = assert_stored_equal_live(header=header, bom=bom)
    assert body.count(b"\n") > 5
    rows = StoredRows.objects.get(report=sample_report, header=header)
    assert (rows.revision, rows.year, rows.department_code) == (
        sample_report.revision, sample_report.fiscal_year.year, sample_report.department.code
    )
    assert rows.rows == Indicator.objects.filter(report=sample_report).count()


def test_generated_reports_are_stored_in_bulk_and_read_back_as_the_live_path_writes_them():
    plan = synthetic.Plan(departments=3, years=2, projects=2, indicators=4, seed=5)
    counts = synthetic.generate(plan)
    assert counts["stored_reports"] == 6
    assert StoredRows.objects.count() == 6 * len(stored.HEADERS)
    for header in stored.HEADERS:
        assert_stored_equal_live(header=header)
        assert_stored_equal_live(ExportFilters(years=[plan.year_list[0]]), header=header)
        assert_stored_equal_live(
            ExportFilters(departments=[synthetic.department_code(1)], published_only=True),
            header=header,
        )
    # PostgreSQL: the stored bytes are also those of the live COPY statement.
    StoredRows.objects.all().delete()
    for header in stored.HEADERS:
        body, path = export(header=header)
        assert path == "live" and body == python_path(header=header)


def test_queries_stay_the_same_few_however_many_reports_are_stored(sample_report):
    def queries() -> list[str]:
        storing.store(Report.objects.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as ctx:
            assert_stored_equal_live(header="keys")
        return [q["sql"][:30] for q in ctx.captured_queries]

    few = queries()
    for report in ReportFactory.create_batch(30, status=Status.PUBLISHED, fiscal_year__year=2022):
        IndicatorFactory.create_batch(3, report=report)
    assert queries() == few


def test_narrowed_exports_and_drafts_run_live(sample_report):
    storing.store([sample_report.pk])
    source = sample_report.projects.values_list("funding_source__code", flat=True).first()
    for filters in (
        ExportFilters(funding_sources=[source]),
        ExportFilters(lookups={"applicable": True}),
    ):
        body, path = export(filters, header="keys")
        assert path == "live" and body == python_path(filters, header="keys")
    draft = ReportFactory(fiscal_year=sample_report.fiscal_year)
    IndicatorFactory(report=draft, name="草稿指标")
    body, path = export(header="keys")  # one report without stored rows: all of it live
    assert path == "live" and "草稿指标".encode() in body and body == python_path(header="keys")
    assert_stored_equal_live(ExportFilters(published_only=True), header="keys")
    assert_stored_equal_live(ExportFilters(statuses=[Status.PUBLISHED]), header="keys")


def test_a_changed_department_code_sends_the_export_live_until_stored_again(sample_report):
    storing.store([sample_report.pk])
    department = sample_report.department
    department.code = "renamed-dept"
    department.save()
    body, path = export(header="keys")
    assert path == "live" and b"renamed-dept" in body and body == python_path(header="keys")
    call_command("store_rows", "--year", str(sample_report.fiscal_year.year), stdout=io.StringIO())
    assert b"renamed-dept" in assert_stored_equal_live(header="keys")


def test_a_changed_label_sends_the_export_live(sample_report):
    storing.store([sample_report.pk])
    chinese = assert_stored_equal_live(header="labels")
    with override_settings(LANGUAGE_CODE="en"):  # files in English: every label differs
        body, path = export(header="labels")
        assert path == "live" and body == python_path(header="labels") != chinese
        assert_stored_equal_live(header="keys")  # no label in these cells: still valid


def test_a_write_to_a_published_reports_rows_forgets_its_stored_rows(sample_report):
    storing.store([sample_report.pk])
    indicator = Indicator.objects.filter(report=sample_report).first()
    indicator.name = "命令行改写的指标"  # the command line may write a published report
    indicator.save()
    assert not StoredRows.objects.filter(report=sample_report).exists()
    body, path = export(header="keys")
    assert path == "live" and "命令行改写的指标".encode() in body and body == python_path(header="keys")


def test_rows_that_no_longer_match_the_report_are_not_read(sample_report):
    storing.store([sample_report.pk])
    for change in ({"revision": 9}, {"year": 1999}, {"department_code": "x"}, {"digest": "0" * 64}):
        kept = {f: getattr(StoredRows.objects.first(), f) for f in change}
        StoredRows.objects.update(**change)
        body, path = export(header="keys")
        assert path == "live" and body == python_path(header="keys"), change
        StoredRows.objects.update(**kept)
        assert_stored_equal_live(header="keys")


def test_publication_stores_the_rows_in_its_transaction_and_republication_replaces_them(
    data_entry_user, reviewer
):
    world = build_world(data_entry_user)
    report = world.report_a
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer)  # nothing waits for the commit
    assert set(StoredRows.objects.values_list("report_id", "revision", "header")) == {
        (report.pk, 1, header) for header in stored.HEADERS
    }
    published = ExportFilters(published_only=True)
    first = assert_stored_equal_live(published, header="labels")
    workflow.reopen_report(report, reviewer, "更正指标")
    assert not StoredRows.objects.exists()  # the status change is a write: they go
    IndicatorFactory(report=report, project=report.projects.get(), name="更正后的指标", position=9)
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer, "第二版")
    assert set(StoredRows.objects.values_list("revision", flat=True)) == {2}
    second = assert_stored_equal_live(published, header="labels")
    assert "更正后的指标".encode() in second and second != first


def test_stored_rows_gone_between_the_plan_and_the_read_fail_the_export(sample_report, monkeypatch):
    storing.store([sample_report.pk])
    plan = stored.report_plan

    def vanished(reports, kept=None):
        ids, years, codes, stored_ids = plan(reports, kept)
        StoredRows.objects.all().delete()  # a republication replacing them meanwhile
        return ids, years, codes, stored_ids

    monkeypatch.setattr(stored, "report_plan", vanished)
    with pytest.raises(DatabaseError):
        b"".join(stream_csv_bytes(ds.INDICATORS, ExportFilters(), header="keys"))


def test_storing_skips_drafts_and_drops_what_a_reopened_report_kept(sample_report):
    draft = ReportFactory()
    assert storing.store([sample_report.pk, draft.pk]) == 1
    Report.objects.filter(pk=sample_report.pk).update(status=Status.DRAFT)
    assert storing.store([sample_report.pk]) == 0
    assert not StoredRows.objects.exists()


def test_department_rename_keeps_other_departments_stored(sample_report):
    """A department code enters only its own reports' cells."""
    other = ReportFactory(status=Status.PUBLISHED, fiscal_year=sample_report.fiscal_year)
    IndicatorFactory(report=other)
    storing.store([sample_report.pk, other.pk])
    Department.objects.filter(pk=other.department_id).update(code="zz-renamed")
    assert_stored_equal_live(ExportFilters(departments=[sample_report.department.code]), header="keys")
    body, path = export(header="keys")
    assert path == "live" and b"zz-renamed" in body


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_stored_read_is_one_copy_in_the_exports_snapshot():
    for n, report in enumerate(ReportFactory.create_batch(3, status=Status.PUBLISHED)):
        IndicatorFactory.create_batch(n + 1, report=report, name=f'含"引号",与换行\n{n}')
    storing.store(Report.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        body = b"".join(stream_csv_bytes(ds.INDICATORS, ExportFilters(), header="keys"))
    assert [q["sql"][:22] for q in ctx.captured_queries] == [
        "BEGIN", "SET TRANSACTION ISOLAT", "SELECT set_config('jit", "SELECT pg_export_snaps",
        'SELECT "evaluations_re', 'COPY (SELECT s."data" ', "COMMIT",
    ]
    assert body == python_path(header="keys") and body.count("含".encode()) == 6


def test_a_failure_to_store_at_publication_leaves_the_publication_and_a_live_export(
    data_entry_user, reviewer, monkeypatch
):
    def failing(report_ids, **kwargs):
        with transaction.atomic():  # a statement fails inside store's savepoint
            StoredRows.objects.create(report_id=report.pk, revision=1, rows=0)  # no dataset
            raise DatabaseError("disk full")

    monkeypatch.setattr(storing, "store", failing)
    report = build_world(data_entry_user).report_a
    workflow.submit_report(report, data_entry_user)
    workflow.approve_report(report, reviewer)
    workflow.publish_report(report, reviewer)
    assert Report.objects.get(pk=report.pk).status == Status.PUBLISHED
    assert not StoredRows.objects.exists()
    body, path = export(ExportFilters(published_only=True), header="keys")
    assert path == "live" and body == python_path(ExportFilters(published_only=True), header="keys")
