"""The fast exact CSV path for the indicators dataset on PostgreSQL.

One ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` whose SELECT writes every cell exactly as the
Python path (`exports.streams` + csv.writer) would, with the cells compiled in `exports.sql`
from the rules they apply. The filters (years, departments, statuses, staff scoping, funding
sources, admin lookups) arrive as the export's own querysets, compiled by Django into
subqueries. The output bytes go to the caller untouched; a differential test keeps
both paths byte-equal, order included.

Document order (year, department code, the report's own indicators, then each project by
position; within each, indicators by position) comes from nested loops, not a sort: Django
reads the exported reports in order, and the statement walks them, then each one's projects,
then each one's indicators through the unique (report or project, position) indexes. Sorting
the million formatted rows took more than half the statement's time (bench/RESULTS.md). A
project's indicators are found under the project's report; that this is the indicator's
report too is kept by every write path (the admin, copy-forward, imports), not by a database
constraint.

Byte equality rests on: records end with "\\n" on both paths; text cells that are empty are
NULL here (COPY writes NULL unquoted, an empty string as ""); COPY quotes a field holding a
delimiter, quote, CR or LF, which is what csv.writer with QUOTE_MINIMAL does.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import selectors
import tempfile
import threading
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import QuerySet
from django.db.models.sql import Query
from psycopg import errors as psycopg_errors
from psycopg import pq

from evaluations import datasets as ds
from evaluations.exports import stored
from evaluations.exports.sql import first_code_points, indicator_cells, slot_cells
from evaluations.models import Project, Report, StoredRows
from indicators.models import Indicator

logger = logging.getLogger(__name__)

COPY_CHUNK_BYTES = 256 * 1024  # COPY output gathered into pieces of about this size


def _tables(alias: str) -> dict[str, str]:
    quote = connections[alias].ops.quote_name
    return {"indicator": quote(Indicator._meta.db_table), "project": quote(Project._meta.db_table)}


def _ids(qs: QuerySet | None, column: str) -> tuple[str, list]:
    """`` AND column IN (the ids of qs)``, or nothing when qs is None (no filter)."""
    if qs is None:
        return "", []
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def report_order(reports: QuerySet) -> tuple[list[int], list[int], list[str]]:
    """The exported reports in document order: their ids, years and department codes."""
    return stored.report_plan(reports)[:3]


def _compiled(compiler, quote, cells: dict) -> tuple[str, list]:
    """The cells' SQL as ``, <expr> AS "csv_<key>"`` each, with their parameters in order."""
    sql, params = "", []
    for key, cell in cells.items():
        cell_sql, cell_params = compiler.compile(cell)
        sql += f", {cell_sql} AS {quote('csv_' + key)}"
        params.extend(cell_params)
    return sql, params


def _first_and_own(quote, project_keys, *, with_own: bool) -> tuple[str, str]:
    """The indicator's first-code-point columns (for the formula guard), and, unless the export
    is narrowed by projects, the row that stands for a report's own indicators before its
    projects (no project)."""
    first = "".join(
        f", ascii(i.{quote(c)}) AS {quote('csv_first_' + c)}" for c in first_code_points()
    )
    own_cells = "".join(f", NULL::text AS {quote('csv_' + key)}" for key in project_keys)
    own = f"SELECT NULL::bigint AS id{own_cells} UNION ALL " if with_own else ""
    return first, own


ID_WIDTH = 20  # digits of the report id before each record in report_records' statement
_REPORT_ID = f"lpad(rep.id::text, {ID_WIDTH}, '0'), "


def copy_statement(
    header: str,
    *,
    projects: QuerySet | None = None,
    indicators: QuerySet | None = None,
    alias: str = "default",
    report_ids: bool = False,
) -> tuple[str, list, int]:
    """The COPY statement of the indicators export, and where its report arrays go in params.

    The statement reads three arrays (the ids, years and department codes of report_order) at
    the returned index of its parameters. ``projects`` and ``indicators`` narrow it to their
    rows (None: no filter); an export narrowed by projects leaves out the report-level
    indicators, as the Python path's ``project__…`` filter does.

    The order of the rows is that of the loops, not of a sort: for each report in the arrays'
    order, its own indicators, then each project by position, each through the unique index
    on (report or project, position); positions are unique there, so no ``id`` is needed to
    break ties. _copy runs it without sorts or parallel workers, so the plan is those nested
    loops (the differential tests check the order with ids that run against it).
    With ``report_ids`` each row starts with its report's id, an extra cell (report_records).
    """
    tables = _tables(alias)
    quote = connections[alias].ops.quote_name
    compiler = Query(Indicator).get_compiler(using=alias)

    def compiled(cells: dict) -> tuple[str, list]:
        return _compiled(compiler, quote, cells)

    # In the order of the text: the row's cells, the report slot's, then (after the report
    # arrays) the project slot's and the filters'.
    row_sql, params = compiled(indicator_cells(header))
    slots = slot_cells(header)
    rep_sql, rep_params = compiled(slots["rep"])
    prj_sql, prj_params = compiled(slots["prj"])
    params += rep_params
    reports_at = len(params)

    project_where, project_params = _ids(projects, "p.id")
    indicator_where, indicator_params = _ids(indicators, "i.id")
    first, own = _first_and_own(quote, slots["prj"], with_own=projects is None)
    position = quote("position")
    statement = (  # identifiers from model metadata; every value is a parameter
        f"COPY (SELECT {_REPORT_ID if report_ids else ''}{row_sql[2:]}"  # noqa: S608
        # OFFSET 0 keeps the report slot a subquery: pulled up, its cells would be computed
        # again for every indicator row.
        f" FROM (SELECT r.*{rep_sql}"
        " FROM unnest(%s::bigint[], %s::integer[], %s::text[]) AS r(id, year, code) OFFSET 0) rep"
        f" CROSS JOIN LATERAL ({own}(SELECT p.id{prj_sql} FROM {tables['project']} p"
        f" WHERE p.report_id = rep.id{project_where} ORDER BY p.{position})) prj"
        f" CROSS JOIN LATERAL ((SELECT i.*{first} FROM {tables['indicator']} i"
        f" WHERE prj.id IS NULL AND i.report_id = rep.id AND i.project_id IS NULL{indicator_where}"
        f" ORDER BY i.{position})"
        f" UNION ALL (SELECT i.*{first} FROM {tables['indicator']} i"
        f" WHERE i.project_id = prj.id{indicator_where} ORDER BY i.{position})) i"
        ") TO STDOUT (FORMAT csv)"
    )
    params += prj_params + project_params + indicator_params + indicator_params
    return statement, params, reports_at


def copy_bytes(header: str, *, reports: QuerySet | None = None, **filters) -> Iterator[bytes]:
    """The CSV records of the export as COPY writes them, in pieces of about 256 kB.

    ``reports`` narrows the export to those reports (None: all); the other ``filters`` are
    copy_statement's. The statement (labels included) is built now, in the caller's language;
    the reports and rows are read lazily. An export of whole reports (no ``projects`` or
    ``indicators``) whose every report has its stored rows reads them instead of running the
    statement (exports/stored.py): the same bytes.
    """
    alias = filters.setdefault("alias", Indicator.objects.db)
    statement, params, reports_at = copy_statement(header, **filters)
    kept = None
    if filters.get("projects") is None and filters.get("indicators") is None:
        kept = stored.kept_rows(ds.INDICATORS.name, header, stored.digest(statement, params))
    reports = Report.objects.using(alias).all() if reports is None else reports.using(alias)
    return _copy(alias, statement, params, reports_at, reports, kept)


# The planner settings of the export statement: its order comes from its loops (copy_statement),
# so no sort and no parallel workers; and no JIT: a million rows cost enough to trigger JIT
# compilation of the formatting expressions, which took longer (about 4 s) than running them.
_SETTINGS = {"jit": "off", "enable_sort": "off", "max_parallel_workers_per_gather": "0"}


def _set_planner(cursor, *, local: bool) -> None:
    """Apply _SETTINGS for this transaction (``local``) or for the session."""
    cursor.execute(
        "SELECT " + ", ".join([f"set_config(%s, %s, {str(local).lower()})"] * len(_SETTINGS)),
        [v for item in _SETTINGS.items() for v in item],
    )


def _copy(
    alias: str, statement: str, params: list, reports_at: int, reports: QuerySet, kept=None
) -> Iterator[bytes]:
    connection = connections[alias]
    if not connection.in_atomic_block:
        yield from _copy_split(alias, statement, params, reports_at, reports, kept)
        return
    # Inside the caller's transaction: one statement, whose settings are undone after it (a
    # SET LOCAL would last to the end of the caller's transaction).
    ids, years, codes, stored_ids = stored.report_plan(reports, kept)
    if not ids:
        return
    if stored_ids is not None:
        with connection.cursor() as cursor:
            yield from _read_stored(connection, cursor, stored_ids)
        return
    params = [*params[:reports_at], ids, years, codes, *params[reports_at:]]
    with connection.cursor() as cursor, _planned(cursor):
        yield from _copy_on(connection, cursor, statement, params)


@contextlib.contextmanager
def _planned(cursor) -> Iterator[None]:
    """_SETTINGS for the block, inside the caller's transaction: set for the session and
    undone after it (a SET LOCAL would last to the end of the caller's transaction)."""
    _set_planner(cursor, local=False)
    try:
        yield
    finally:
        if cursor.cursor.connection.info.transaction_status != pq.TransactionStatus.INERROR:
            cursor.execute("; ".join(f"RESET {name}" for name in _SETTINGS))
        # else a cancel failed the enclosing transaction; its rollback undoes the SET.


def report_records(
    header: str, ids: list[int], years: list[int], codes: list[str], alias: str
) -> Iterator[tuple[int, int, bytes]]:
    """Each report's records as the export writes them (report_order's lists, in document
    order): its id, how many records, and their bytes. In the caller's transaction.

    The statement is the export's with the report id as an extra first cell of ID_WIDTH
    digits, taken off each record here; the server sends a record a message (_read_copy's
    ``records``), so records are cut where they end, never inside a quoted newline.
    """
    statement, params, at = copy_statement(header, alias=alias, report_ids=True)
    params = [*params[:at], ids, years, codes, *params[at:]]
    connection = connections[alias]
    current, parts = b"", []
    with connection.cursor() as cursor, _planned(cursor):
        for record in _copy_on(connection, cursor, statement, params, records=True):
            if record[:ID_WIDTH] != current:
                if parts:
                    yield int(current), len(parts), b"".join(parts)
                current, parts = record[:ID_WIDTH], []
            parts.append(record[ID_WIDTH + 1:])
    if parts:
        yield int(current), len(parts), b"".join(parts)


def _copy_on(
    connection, cursor, statement: str, params: list, *, records: bool = False
) -> Iterator[bytes]:
    if connection.queries_logged:
        # COPY bypasses Django's cursor wrapper; record it so query counts stay honest.
        connection.queries_log.append({"sql": statement, "time": "0.000"})
    with cursor.cursor.copy(statement, params):  # psycopg starts it, and cancels it on exit
        yield from _read_copy(cursor.cursor.connection, records=records)


# Outside a transaction the export is one repeatable-read transaction of its own: the report
# order and the rows come from one snapshot, and its planner settings are SET LOCAL (also
# right behind PgBouncer's transaction pooling). A large export runs there as
# settings.EXPORT_SPLIT_PARTS statements at once, each over a run of the reports on its own
# connection, all reading that snapshot (pg_export_snapshot): the same rows, in the same
# order, as one statement would give, on as many cores. The first run streams to the caller;
# the later ones are spooled to temporary files (in memory up to SPOOL_BYTES), streamed once
# the transaction has ended.
SPLIT_MIN_REPORTS = 100  # below this the helper connection costs more than it saves
SPOOL_BYTES = 8 * 1024 * 1024
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?")


class _Stopped(Exception):
    """The caller stopped reading: a helper leaves its COPY (which cancels it)."""


def _begin_snapshot(cursor, snapshot: str | None = None) -> None:
    """Start a repeatable-read transaction (in ``snapshot``, when given) set for the export."""
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    if snapshot is not None:  # before any query of the transaction; the id was checked
        cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
    _set_planner(cursor, local=True)


def _copy_split(
    alias: str, statement: str, params: list, reports_at: int, reports: QuerySet, kept=None
) -> Iterator[bytes]:
    connection = connections[alias]
    stop = threading.Event()
    helpers: list[_Helper] = []
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            _begin_snapshot(cursor)
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            # In the snapshot the helpers share.
            ids, years, codes, stored_ids = stored.report_plan(reports, kept)
            if not ids:
                return
            if stored_ids is not None:
                yield from _read_stored(connection, cursor, stored_ids)
                return
            parts = 1 if len(ids) < SPLIT_MIN_REPORTS else settings.EXPORT_SPLIT_PARTS
            parts = max(1, min(parts, len(ids)))
            cuts = [len(ids) * k // parts for k in range(parts + 1)]
            runs = [
                [*params[:reports_at], ids[lo:hi], years[lo:hi], codes[lo:hi],
                 *params[reports_at:]]
                for lo, hi in itertools.pairwise(cuts)
            ]
            for run in runs[1:]:
                helpers.append(_Helper(alias, snapshot, statement, run, stop))
                helpers[-1].start()
            yield from _copy_on(connection, cursor, statement, runs[0])
            for helper in helpers:  # all read before the snapshot's transaction ends
                helper.finish(connection, cursor)
        for helper in helpers:
            yield from helper.pieces()
    finally:
        stop.set()
        for helper in helpers:
            helper.close()


class _Helper(threading.Thread):
    """One later run of a split export, written to a temporary file on its own connection."""

    def __init__(self, alias: str, snapshot: str, statement: str, params: list, stop) -> None:
        super().__init__(name="export-helper", daemon=True)
        if not _SNAPSHOT_ID.fullmatch(snapshot):  # it goes into the SQL text: check its form
            raise ValueError(f"unexpected snapshot id {snapshot!r}")
        self.alias, self.snapshot, self.statement, self.params = alias, snapshot, statement, params
        self.stop = stop
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        self.error: BaseException | None = None
        self.unavailable: DatabaseError | None = None
        self.pg = None  # the psycopg connection while its COPY may run, for close() to cancel

    def run(self) -> None:
        connection = connections[self.alias]  # this thread's own connection (from the pool)
        try:
            connection.ensure_connection()
        except DatabaseError as error:  # no connection to spare: the caller runs this part
            self.unavailable = error
            return
        try:
            with transaction.atomic(using=self.alias), connection.cursor() as cursor:
                _begin_snapshot(cursor, self.snapshot)
                if self.stop.is_set():
                    raise _Stopped
                self.pg = connection.connection
                pieces = _copy_on(connection, cursor, self.statement, self.params)
                with contextlib.closing(pieces):  # leaving early cancels the COPY
                    for piece in pieces:
                        if self.stop.is_set():
                            raise _Stopped
                        self.file.write(piece)
        except _Stopped:
            pass
        except BaseException as error:  # handed to the caller's thread by finish()
            self.error = error
        finally:
            self.pg = None
            connection.close()

    def finish(self, connection, cursor) -> None:
        """Wait for this part; when the helper got no connection (a full pool), run it now on
        the caller's ``connection``, in the same snapshot, into the same file."""
        self.join()
        if self.error is not None:
            raise self.error
        if self.unavailable is not None:
            logger.warning(
                "export helper had no connection (%s); running its part in turn", self.unavailable
            )
            for piece in _copy_on(connection, cursor, self.statement, self.params):
                self.file.write(piece)

    def pieces(self) -> Iterator[bytes]:
        self.file.seek(0)
        while piece := self.file.read(COPY_CHUNK_BYTES):
            yield piece
        self.file.close()

    def close(self) -> None:
        if self.is_alive():
            pg = self.pg
            if pg is not None:  # stop a COPY that may be waiting on the server, not on us
                with contextlib.suppress(Exception):
                    pg.cancel_safe()
            self.join()
        self.file.close()


def _read_copy(conn, *, records: bool = False) -> Iterator[bytes]:
    """The rows of the COPY under way on psycopg connection ``conn``, in pieces of about 256 kB
    (with ``records``, one row a piece, as the server sent it).

    psycopg's Copy hands over one row per call through a generator and its wait loop: 1.3 s of
    client CPU a million rows, as much as the database spends on the whole COPY (RESULTS.md).
    This loop takes every row libpq already holds with one call each, and waits on the socket
    only when it holds none. At the end it reads the final result as psycopg's own copy_from
    does, so an error raised by the statement midway is raised here, not lost; if the caller
    stops early, leaving the Copy block cancels the statement (psycopg's own clean-up).
    """
    pgconn = conn.pgconn
    get = pgconn.get_copy_data
    buffer = bytearray()
    results = []
    with selectors.DefaultSelector() as selector:
        selector.register(pgconn.socket, selectors.EVENT_READ)
        while True:
            size, data = get(1)  # 1: do not block; 0 when no whole row has arrived yet
            if size > 0:
                if records:
                    yield bytes(data)
                    continue
                buffer += data
                if len(buffer) >= COPY_CHUNK_BYTES:
                    yield bytes(buffer)
                    buffer.clear()
            elif size == 0:
                selector.select()
                pgconn.consume_input()
            else:
                break
        while True:
            while pgconn.is_busy():  # get_result() would block, perhaps holding the GIL
                selector.select()
                pgconn.consume_input()
            if (result := pgconn.get_result()) is None:
                break
            results.append(result)
    for result in results:
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise psycopg_errors.error_from_result(result, encoding=conn.info.encoding)
    if buffer:
        yield bytes(buffer)


def _read_stored(connection, cursor, ids: list[int]) -> Iterator[bytes]:
    """The stored rows ``ids`` (exports/stored.py) in that order: one COPY of their bytes, in
    binary so they arrive as stored (a text COPY would escape them)."""
    quote = connection.ops.quote_name
    table, data = quote(StoredRows._meta.db_table), quote(StoredRows._meta.get_field("data").column)
    statement = (  # identifiers from model metadata; the ids are a parameter
        f"COPY (SELECT s.{data} FROM unnest(%s::bigint[]) WITH ORDINALITY AS o(id, n)"  # noqa: S608
        f" JOIN {table} s ON s.id = o.id ORDER BY o.n) TO STDOUT (FORMAT binary)"
    )
    yield from _binary_values(_copy_on(connection, cursor, statement, [ids]), len(ids))


_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"  # the binary COPY's file header starts so


def _binary_values(pieces: Iterator[bytes], expected: int) -> Iterator[bytes]:
    """The values of a one-column binary COPY joined, in pieces as they arrive: the file
    header (signature, flags, extension) and each row's field count and length taken out.

    Fewer rows than ``expected`` (stored rows replaced between the plan and the read, inside a
    caller's read-committed transaction) is an error, never a shorter file.
    """
    buffer, at, rows = bytearray(), None, 0
    for piece in pieces:
        buffer += piece
        if at is None:
            if len(buffer) < 19:
                continue
            if buffer[:11] != _SIGNATURE:
                raise DatabaseError("not a binary COPY")
            at = 19 + int.from_bytes(buffer[15:19], "big")
        parts = []
        with memoryview(buffer) as view:
            while len(buffer) - at >= 6 and buffer[at:at + 2] == b"\x00\x01":
                end = at + 6 + int.from_bytes(buffer[at + 2:at + 6], "big", signed=True)
                if end > len(buffer):
                    break
                parts.append(view[at + 6:end])
                at, rows = end, rows + 1
            joined = b"".join(parts)
            parts.clear()
        del buffer[:at]
        at = 0
        if joined:
            yield joined
    if rows != expected:
        raise DatabaseError("stored rows changed during the export")
