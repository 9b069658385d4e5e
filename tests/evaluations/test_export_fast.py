"""The PostgreSQL fast path (one COPY formatting every cell in SQL) writes the same bytes as
the Python path, for every kind of indicator, both header modes, with and without BOM."""

import csv
import io
import itertools
import random
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from psycopg import pq
from psycopg.errors import DivisionByZero

from evaluations import datasets as ds
from evaluations.exports import pg as pg_export
from evaluations.exports.streams import ExportFilters, stream_csv_bytes
from evaluations.models import Department, FundingSource
from indicators import scoring
from indicators.models import Indicator
from tests.factories import DepartmentFactory, ProjectFactory, ReportFactory, UserFactory, source

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql_only]  # the COPY fast path

NATURES = ("gte", "lte", "eq", "qualitative", "", "=odd")
TIERS = ("", "achieved", "partial", "not_achieved")
WEIGHTS = (None, "0", "0.01", "0.05", "1", "7.33", "10", "20", "33.33", "9999.99")
NUMBERS = (
    None, "0", "-3.5", "-0.0001", "0.0001", "1", "2", "3", "8", "2.5", "4.9999", "7", "275",
    "100.0000", "16.16", "99999999999999.9999", "-99999999999999.9999", "1234.5678",
)
SCORES = (None, "0", "0.01", "4", "5.86", "6", "7.99", "8", "10", "16", "20", "9999.99")
TEXTS = (
    "", "普通文字", "=SUM(A1)", "+1", "-3.50", "-3.5.1", "-", "+", "-.5", "+5.", "@x", "'q", "''",
    "\t制表", "\r回车", "a\nb", "a\r\nb", 'q"uote', '"', "a,b", ",", "-１２", " 前空格", "\\.",
    "-0", "+-1", "=", "@", "1e3", "-1e3", "-,5", "x\ty",
)
LEVEL1 = ("output", "outcome", "satisfaction", "=unknown")
LEVEL2 = ("quantity", "quality", "timeliness", "cost", "economic", "-odd")


def _d(text):
    return None if text is None else Decimal(text)


def _indicators(count: int, seed: int = 7, reports: int = 3) -> None:
    rng = random.Random(seed)
    named = (("d-one", 2023), ("=d2", 2024), ("d-three", 2024))
    reports = [
        ReportFactory(department=DepartmentFactory(code=code), fiscal_year__year=year)
        for code, year in named
    ] + [ReportFactory(fiscal_year__year=2024) for _ in range(reports - len(named))]
    projects = [
        ProjectFactory(report=reports[0], code="p-1"),
        ProjectFactory(report=reports[1], code="-p2", funding_source=source("fund")),
        ProjectFactory(report=reports[2], code="p,3"),
    ]
    # Every nature × tier × applicable once, then random rows over every value list, then the
    # half-cent cases (exact rounding of repeating quotients, .xx5 exactly).
    combos = list(itertools.product(NATURES, TIERS, (True, False)))
    exact = [
        ("gte", "1", "8", "1"), ("gte", "0.05", "2", "1"), ("gte", "10", "3", "2"),
        ("lte", "10", "2", "3"), ("eq", "10", "3", "2"), ("gte", "0.01", "2", "1"),
        ("gte", "33.33", "7", "3"), ("lte", "7.33", "4.9999", "7"), ("eq", "9999.99", "7", "3"),
    ]
    rows = []
    for i in range(count):
        if i < len(combos):
            nature, tier, applicable = combos[i]
        else:
            nature, tier = rng.choice(NATURES), rng.choice(TIERS)
            applicable = rng.random() > 0.15
        weight, target, actual = rng.choice(WEIGHTS), rng.choice(NUMBERS), rng.choice(NUMBERS)
        if i < len(exact):
            nature, weight, target, actual = exact[i]
            tier, applicable = "", True
        rows.append(Indicator(
            report=projects[i % 3].report if i % 2 else reports[i % len(reports)],
            project=projects[i % 3] if i % 2 else None,
            level1=rng.choice(LEVEL1), level2=rng.choice(LEVEL2),
            name=rng.choice(TEXTS) + str(i) if i % 5 else rng.choice(TEXTS),
            nature=nature, unit=rng.choice(TEXTS), target_value=_d(target),
            target_text=rng.choice(TEXTS), actual_value=_d(actual), actual_text=rng.choice(TEXTS),
            weight=_d(weight), tier=tier, applicable=applicable, score=_d(rng.choice(SCORES)),
            deviation=rng.choice(TEXTS), position=i,
        ))
    Indicator.objects.bulk_create(rows)


def _both(filters=None, **kwargs) -> tuple[bytes, bytes]:
    fast = b"".join(stream_csv_bytes(ds.INDICATORS, filters, fast=True, **kwargs))
    slow = b"".join(stream_csv_bytes(ds.INDICATORS, filters, fast=False, **kwargs))
    return fast, slow


@pytest.mark.parametrize("header", ["labels", "keys"])
@pytest.mark.parametrize("bom", [False, True])
def test_fast_path_bytes_equal_python_path(header, bom):
    _indicators(2500)
    fast, slow = _both(header=header, bom=bom)
    assert slow.count(b"\n") > 2500
    assert fast.startswith(b"\xef\xbb\xbf") == bom
    if fast != slow:  # show the first differing line, not two megabytes
        for a, b in zip(fast.split(b"\n"), slow.split(b"\n"), strict=False):
            assert a == b
    assert fast == slow


def test_fast_path_scores_every_branch():
    """The grid reaches every scoring branch: scores, blanks, zeros, full weights, bands."""
    _indicators(2500)
    scores = Indicator.objects.values_list("final_score", flat=True)
    values = [Decimal(s) if s is not None else None for s in scores]
    assert None in values and Decimal("0.00") in values
    assert Decimal("0.13") in values  # 1 × 1/8 = 0.125, half up
    assert Decimal("6.67") in values  # 10 × 2/3
    assert len({v for v in values if v is not None}) > 50
    qualitative_out_of_band = Indicator.objects.filter(
        nature="qualitative", tier="achieved", applicable=True, weight=Decimal("20"),
        score=Decimal("4"),
    )
    for indicator in qualitative_out_of_band:
        with pytest.raises(scoring.ScoreOutOfBand):
            scoring.indicator_score(
                nature="qualitative", weight=indicator.weight, target=None, actual=None,
                tier="achieved", entered=indicator.score,
            )


def test_fast_path_keeps_filters_and_staff_scope():
    _indicators(300)
    for filters in (
        ExportFilters(years=[2024]),
        ExportFilters(departments=["=d2", "d-one"]),
        ExportFilters(funding_sources=["fund"]),
        ExportFilters(statuses=["draft"]),
        ExportFilters(statuses=["published"]),
        ExportFilters(years=[2023], departments=["=d2"]),
    ):
        fast, slow = _both(filters, header="keys")
        assert fast == slow, filters
    staff = UserFactory()
    DepartmentFactory(code="d-three").staff.add(staff)
    fast, slow = _both(ExportFilters(user=staff), header="keys")
    assert fast == slow
    assert b"d-three" in fast and b"d-one" not in fast
    only_fund = b"".join(stream_csv_bytes(ds.INDICATORS, ExportFilters(funding_sources=["fund"])))
    assert len(list(csv.reader(io.StringIO(only_fund.decode())))) == 1 + Indicator.objects.filter(
        project__funding_source__code="fund"
    ).count()


def _export_queries() -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        pieces = stream_csv_bytes(ds.INDICATORS, ExportFilters(), header="labels")
    assert len(ctx.captured_queries) == 0  # the statement is built, nothing read yet
    with CaptureQueriesContext(connection) as ctx:
        body = b"".join(pieces)
    assert body.startswith("年度,部门编码".encode())
    assert len(list(csv.reader(io.StringIO(body.decode())))) == Indicator.objects.count() + 1
    return [q["sql"][:13] for q in ctx.captured_queries]


def test_fast_path_is_four_queries_however_large_and_lazy():
    _indicators(50)
    small = _export_queries()
    for report in ReportFactory.create_batch(40, fiscal_year__year=2022):
        project = ProjectFactory(report=report)
        Indicator.objects.bulk_create(
            Indicator(report=report, project=project if n % 2 else None, name=f"n{n}", position=n)
            for n in range(20)
        )
    large = _export_queries()
    # The reports in order, the planner settings, the COPY, the settings back.
    assert small == large == ['SELECT "evalu', "SELECT set_co", "COPY (SELECT ", "RESET jit; RE"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_sort")
        assert cursor.fetchone() == ("on",)


def test_copy_reader_raises_an_error_met_midway_and_leaves_the_connection_usable():
    statement = "COPY (SELECT 10 / (g - 30000) FROM generate_series(1, 60000) g) TO STDOUT"
    pieces = []
    with pytest.raises(DivisionByZero), transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(statement):
            pieces.extend(pg_export._read_copy(cursor.cursor.connection))
    assert pieces == []  # the rows before it (≈ 100 kB) never make a whole piece
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def _many_indicators(report, count: int) -> None:
    """``count`` plain report-level indicators, written by the database itself (fast)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO indicators_indicator (report_id, level1, level2, name, nature, unit,"
            " target_text, actual_text, tier, applicable, deviation, position)"
            " SELECT %s, 'output', 'quantity', 'n' || g, 'gte', '', '', '', '', true, '', g"
            " FROM generate_series(1, %s) g",
            [report.pk, count],
        )


@pytest.mark.django_db(transaction=True)
def test_export_stopped_early_cancels_the_statement_and_restores_the_settings():
    _many_indicators(ReportFactory(), 300000)  # enough that the server is still sending
    pieces = stream_csv_bytes(ds.INDICATORS, ExportFilters(), header="keys")
    assert next(pieces).startswith(b"year,")
    assert next(pieces)  # a first piece of the COPY: the statement is under way
    with connection.cursor() as cursor:
        assert cursor.connection.info.transaction_status == pq.TransactionStatus.ACTIVE
    pieces.close()
    with connection.cursor() as cursor:
        assert cursor.connection.info.transaction_status == pq.TransactionStatus.IDLE
        cursor.execute("SHOW enable_sort")
        assert cursor.fetchone() == ("on",)


INT4_MAX = 2**31 - 1


def _scrambled_order() -> list[int]:
    """Reports, projects and indicators whose ids run against document order at every level,
    positions at both ends of int4 (the fast path packs slot × 2³¹ + position into one key).
    Returns the indicator ids in document order, worked out here from the rows themselves."""
    years = (2024, 2023)
    codes = ("z-last", "a-first", "m-middle")  # created in an order unlike their sort order
    positions = (INT4_MAX, 0, 7)
    for year in years:
        for code in codes:
            department = DepartmentFactory(code=code) if year == years[0] else None
            report = ReportFactory(
                department=department or Department.objects.get(code=code), fiscal_year__year=year
            )
            for n, position in enumerate(positions):  # report-level indicators first
                Indicator.objects.create(
                    report=report, level1="output", level2="quantity", name=f"{code}-r{n}",
                    position=position,
                )
            for p, project_position in enumerate((INT4_MAX, 3, 0)):
                project = ProjectFactory(
                    report=report, code=f"p{p}", position=project_position,
                    funding_source=source("fund" if p == 1 else "general"),
                )
                for n, position in enumerate(positions):
                    Indicator.objects.create(
                        report=report, project=project, level1="output", level2="quality",
                        name=f"{code}-p{p}-{n}", position=position,
                    )
    rows = Indicator.objects.select_related("report__fiscal_year", "report__department", "project")

    def key(i):
        project = (0, 0, 0) if i.project is None else (1, i.project.position, i.project.id)
        return (i.report.fiscal_year.year, i.report.department.code, *project, i.position, i.id)

    return [i.id for i in sorted(rows, key=key)]


def _names(body: bytes) -> list[str]:
    return [row[5] for row in csv.reader(io.StringIO(body.decode()))][1:]


def test_fast_path_keeps_document_order_when_ids_do_not():
    expected_ids = _scrambled_order()
    names = dict(Indicator.objects.values_list("id", "name"))
    expected = [names[i] for i in expected_ids]
    assert expected != [names[i] for i in sorted(expected_ids)]  # ids alone would be wrong
    for header in ("labels", "keys"):
        fast, slow = _both(header=header)
        assert _names(fast) == expected
        assert fast == slow
    # Narrowed exports keep the same order with gaps: one source, one department, one year.
    for filters, keep in (
        (ExportFilters(funding_sources=["fund"]), lambda n: "-p1-" in n),
        (ExportFilters(departments=["m-middle"]), lambda n: n.startswith("m-middle")),
        (ExportFilters(years=[2024]), None),
    ):
        fast, slow = _both(filters, header="keys")
        assert fast == slow, filters
        if keep is not None:
            assert _names(fast) == [n for n in expected if keep(n)]


# A large export is split over two connections reading one snapshot (pg_export._copy_split).
# These tests commit their rows (transaction=True): other connections see nothing uncommitted.


@pytest.fixture
def split_small_exports(monkeypatch):
    """Split every export of two or more reports, and count the helpers that ran."""
    for code in ("fund", "general"):  # a flushed database has lost the seeded sources
        FundingSource.objects.get_or_create(code=code, defaults={"name": code, "kind": "budget"})
    monkeypatch.setattr(pg_export, "SPLIT_MIN_REPORTS", 2)
    runs = []
    run = pg_export._Helper.run

    def counted(helper):
        runs.append(len(helper.params[len(helper.params) - 3]))
        run(helper)

    monkeypatch.setattr(pg_export._Helper, "run", counted)
    return runs


@pytest.mark.django_db(transaction=True)
def test_split_export_bytes_equal_python_path_in_document_order(split_small_exports):
    expected_ids = _scrambled_order()
    _indicators(400)
    for header in ("labels", "keys"):
        fast, slow = _both(header=header, bom=True)
        assert fast == slow
    assert len(split_small_exports) == 2  # one helper per export, each with its reports
    names = dict(Indicator.objects.values_list("id", "name"))
    scrambled = [n for n in _names(fast) if n in {names[i] for i in expected_ids}]
    assert scrambled == [names[i] for i in expected_ids]
    for filters in (ExportFilters(funding_sources=["fund"]), ExportFilters(years=[2024])):
        fast, slow = _both(filters, header="keys")
        assert fast == slow, filters


@pytest.mark.django_db(transaction=True)
def test_split_helper_reads_the_snapshot_it_is_given():
    report = ReportFactory()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()

        def late_row():  # committed by another connection after the snapshot was taken
            Indicator.objects.create(report=report, name="late", position=1)
            connection.close()

        writer = threading.Thread(target=late_row)
        writer.start()
        writer.join()
        count = "COPY (SELECT count(*) FROM indicators_indicator) TO STDOUT"
        helper = pg_export._Helper("default", snapshot, count, [], threading.Event())
        helper.start()
        helper.finish(connection, cursor)
        assert b"".join(helper.pieces()) == b"0\n"
        helper.close()
    assert Indicator.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_split_helper_error_reaches_the_caller():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        failing = "COPY (SELECT 1 / (g - 3) FROM generate_series(1, 5) g) TO STDOUT"
        helper = pg_export._Helper("default", snapshot, failing, [], threading.Event())
        helper.start()
        with pytest.raises(DivisionByZero):
            helper.finish(connection, cursor)
        helper.close()
    with pytest.raises(ValueError, match="snapshot"):
        pg_export._Helper("default", "x'; DROP TABLE y; --", failing, [], threading.Event())


@pytest.mark.django_db(transaction=True)
def test_split_export_stopped_early_cancels_both_runs(split_small_exports):
    reports = ReportFactory.create_batch(4)
    for report in reports:
        _many_indicators(report, 100000)
    pieces = stream_csv_bytes(ds.INDICATORS, ExportFilters(), header="keys")
    next(pieces)
    assert next(pieces)
    pieces.close()
    assert split_small_exports == [2]
    with connection.cursor() as cursor:
        assert cursor.connection.info.transaction_status == pq.TransactionStatus.IDLE
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active'"
        )
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_split_turned_off_by_setting(split_small_exports, settings):
    settings.EXPORT_SPLIT_PARTS = 1
    _indicators(60)
    fast, slow = _both(header="keys")
    assert fast == slow
    assert split_small_exports == []


@pytest.mark.django_db(transaction=True)
def test_split_export_runs_the_part_itself_when_the_helper_gets_no_connection(
    split_small_exports, monkeypatch
):
    connect = type(connections["default"]).ensure_connection

    def no_connection(wrapper):  # in the helper's thread: the pool has nothing to spare
        if threading.current_thread() is not threading.main_thread():
            raise OperationalError("pool timeout")
        return connect(wrapper)

    _indicators(300)
    monkeypatch.setattr(type(connections["default"]), "ensure_connection", no_connection)
    fast = b"".join(stream_csv_bytes(ds.INDICATORS, ExportFilters(), header="keys"))
    monkeypatch.undo()
    assert split_small_exports == [2]
    assert fast == b"".join(stream_csv_bytes(ds.INDICATORS, ExportFilters(), header="keys", fast=False))


@pytest.mark.django_db(transaction=True)
def test_export_outside_a_transaction_is_one_snapshot_and_flat_in_queries():
    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            body = b"".join(stream_csv_bytes(ds.INDICATORS, ExportFilters(), header="keys"))
        assert len(list(csv.reader(io.StringIO(body.decode())))) == Indicator.objects.count() + 1
        return [q["sql"][:13] for q in ctx.captured_queries]

    report = ReportFactory()
    Indicator.objects.create(report=report, name="one", position=0)
    small = queries()
    for report in ReportFactory.create_batch(30, fiscal_year__year=2022):
        Indicator.objects.bulk_create(
            Indicator(report=report, name=f"n{n}", position=n) for n in range(20)
        )
    assert queries() == small == [
        "BEGIN", "SET TRANSACTI", "SELECT set_co", "SELECT pg_exp", 'SELECT "evalu',
        "COPY (SELECT ", "COMMIT",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_sort")  # SET LOCAL: gone with the export's transaction
        assert cursor.fetchone() == ("on",)
