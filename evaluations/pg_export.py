"""The fast exact CSV path for the indicators dataset on PostgreSQL.

One ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` whose SELECT writes every cell exactly as the
Python path (`exports.formatted_rows` + csv.writer) would: codes or labels from the registry in
`datasets.py`, `make_inert` on text, the number forms of `format_decimal`, and `final_score`
computed with the rules of `indicators.scoring`. The filters (years, departments, statuses,
staff scoping, funding sources, admin lookups) arrive as the export's own querysets, compiled by
Django into subqueries. The output bytes go to the caller untouched; a differential test keeps
both paths byte-equal, order included.

Document order (year, department code, the report's own indicators, then each project by
position; within each, indicators by position) is sorted as one bigint per row. Two small
windowed subqueries number every report and project in that order (a "slot"), and the key is
slot × 2³¹ + position, unique because positions are int4 ≥ 0 and unique within a slot. A sort
on that one key rarely touches the wide formatted rows; the six keys of the Python path's
ORDER BY took longer to sort than everything else in the statement together (bench/RESULTS.md).
A project's slot is numbered under its own report; that this is the indicator's report too is
kept by every write path (the admin, copy-forward, imports), not by a database constraint.

Byte equality rests on: records end with "\\n" on both paths; text cells that are empty are
NULL here (COPY writes NULL unquoted, an empty string as ""); COPY quotes a field holding a
delimiter, quote, CR or LF, which is what csv.writer with QUOTE_MINIMAL does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.db import connections
from django.db.models import Expression, F, QuerySet, TextField, Value
from django.db.models.sql import Query

from indicators import scoring
from indicators.models import Indicator

from . import datasets as ds
from .models import Department, FiscalYear, Project, Report

COPY_CHUNK_BYTES = 256 * 1024  # COPY output gathered into pieces of about this size


# datasets._INERT_START and looks_like_number, as SQL over the cell {v}. Every character that
# can start a formula is below code point 65, so most text (Chinese, letters) is settled by one
# comparison of ascii() (0 for '': PostgreSQL text holds no NUL). Over a million rows with a
# dozen text cells each, comparing left(v, 1) with seven texts took a visible share of the time.
_INERT_FIRST = ", ".join(str(ord(c)) for c in ds._INERT_START)
_NUMBER_RE = r"^[+-]([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_INERT_ABOVE = max(ord(c) for c in ds._INERT_START)
_INERT_SQL = (
    f"CASE WHEN ascii({{v}}) > {_INERT_ABOVE} THEN {{v}}"
    f" WHEN ascii({{v}}) IN ({_INERT_FIRST}) AND {{v}} !~ '{_NUMBER_RE}'"
    " THEN '''' || {v} ELSE nullif({v}, '') END"
)


class SqlTemplate(Expression):
    """SQL text with ``{name}`` placeholders, each replaced by a compiled expression.

    A part may appear several times; its parameters are repeated in order with it.
    """

    def __init__(self, template: str, **parts) -> None:
        super().__init__(output_field=TextField())
        if "%" in template:
            raise ValueError("a template cannot hold %, the parameter marker")
        self.template = template
        self.names = list(parts)
        self.parts = [p if hasattr(p, "resolve_expression") else Value(p) for p in parts.values()]

    def get_source_expressions(self):
        return self.parts

    def set_source_expressions(self, exprs):
        self.parts = list(exprs)

    def as_sql(self, compiler, connection):
        compiled = {n: compiler.compile(p) for n, p in zip(self.names, self.parts, strict=True)}
        params: list = []

        def part(match: re.Match) -> str:
            sql, part_params = compiled[match.group(1)]
            params.extend(part_params)
            return sql

        return "(" + re.sub(r"\{(\w+)\}", part, self.template) + ")", params


class Column(Expression):
    """``table.column`` of a table the statement names itself (a column, quoted; no values)."""

    def __init__(self, table: str, column: str) -> None:
        super().__init__(output_field=TextField())
        self.table, self.column = table, column

    def as_sql(self, compiler, connection):
        return f"{self.table}.{connection.ops.quote_name(self.column)}", []


def inert(expr) -> SqlTemplate:
    """make_inert() of a text cell; an empty text becomes NULL (an unquoted empty cell)."""
    return SqlTemplate(_INERT_SQL, v=expr)


def choice(expr, column: ds.Column, header: str) -> SqlTemplate:
    """A coded cell: its label (or code) made inert; an unknown code as inert text."""
    labels = header != "keys"
    parts: dict = {"v": expr}
    whens = []
    for i, (code, label) in enumerate(column.choices):
        cell = ds.make_inert(str(label) if labels else code)
        if code == "" or cell == code:
            # '' is an empty cell whatever its label, as the Python path writes it; a code
            # written as itself is what the ELSE (the cell made inert) writes anyway.
            continue
        parts[f"c{i}"] = Value(code)
        parts[f"l{i}"] = Value(cell)
        whens.append(f"WHEN {{v}} = {{c{i}}} THEN {{l{i}}}")
    template = f"CASE {' '.join(whens)} ELSE {_INERT_SQL} END" if whens else _INERT_SQL
    return SqlTemplate(template, **parts)


def boolean(expr, column: ds.Column, header: str) -> SqlTemplate:
    yes, no = (str(label) for _, label in column.choices) if header != "keys" else ("true", "false")
    return SqlTemplate("CASE WHEN {v} THEN {yes} WHEN NOT {v} THEN {no} END", v=expr, yes=yes, no=no)


def number(expr, column_type: str, places: int | None = None) -> Expression:
    """format_decimal(): VALUE without trailing zeros, RATE with 2 places, others ≥ 2 places.

    ``places`` is the column's declared scale when known: a numeric(p, 2) column already
    prints with exactly two places, which is what every type but VALUE writes of it.
    """
    if places == 2 and column_type != ds.VALUE:
        return expr
    if column_type == ds.VALUE:
        return SqlTemplate("trim_scale({v})", v=expr)
    if column_type == ds.RATE:
        return SqlTemplate("round({v}, 2)", v=expr)
    return SqlTemplate(
        "CASE WHEN scale(trim_scale({v})) > 2 THEN trim_scale({v}) ELSE round({v}, 2) END", v=expr
    )


def _band(low, high) -> str:
    # qualitative_band(): weight × the band's fractions, rounded half up (round() rounds half
    # away from zero, the same for the non-negative weights that reach here).
    lo = f"round({{w}} * {float(low)!r}, 2)" if low else "0"
    hi = f"round({{w}} * {float(high)!r}, 2)"
    return f"round({{s}}, 2) BETWEEN {lo} AND {hi}"


def _cents(numerator: str, denominator: str) -> str:
    # round2(weight × n ÷ d) exactly, for n, d > 0: floor(100·w·n/d + ½) with div(), which
    # truncates an exact quotient, so no digits of a repeating quotient are lost.
    return f"div(200 * {{w}} * {numerator} + {denominator}, 2 * {denominator}) * 0.01"


def final_score(columns: dict | None = None) -> SqlTemplate:
    """indicators.scoring.indicator_score() as the export writes it (None → NULL).

    ``columns`` maps the indicator's field names to expressions (model paths by default).
    """
    col = (lambda name: columns[name]) if columns is not None else F
    bands = scoring._BANDS  # the fractions the Python rules use, so both stay one rule
    qualitative = (
        "CASE WHEN {s} IS NULL THEN (CASE WHEN {tier} = 'achieved' THEN round({w}, 2) END)"
        + "".join(
            f" WHEN {{tier}} = '{tier}' THEN (CASE WHEN {_band(*bands[tier])} THEN round({{s}}, 2) END)"
            for tier in scoring.TIERS
        )
        + " END"
    )
    full = "round({w}, 2)"
    template = (
        "CASE WHEN NOT {applicable} OR {w} IS NULL OR {w} < 0 THEN NULL"
        f" WHEN {{nature}} = 'qualitative' THEN ({qualitative})"
        " WHEN {nature} NOT IN ('gte', 'lte', 'eq') OR {t} IS NULL OR {a} IS NULL THEN NULL"
        # gte: all or nothing when the target is ≤ 0, else actual ÷ target capped to [0, 1].
        f" WHEN {{nature}} = 'gte' THEN (CASE WHEN {{a}} >= {{t}} THEN {full}"
        f" WHEN {{t}} <= 0 OR {{a}} <= 0 THEN 0.00 ELSE {_cents('{a}', '{t}')} END)"
        # lte: met when actual ≤ target; else target ÷ actual, 0 when either is ≤ 0.
        f" WHEN {{nature}} = 'lte' THEN (CASE WHEN {{a}} <= {{t}} THEN {full}"
        f" WHEN {{a}} <= 0 OR {{t}} <= 0 THEN 0.00 ELSE {_cents('{t}', '{a}')} END)"
        # eq: met when equal; else min ÷ max, 0 when the smaller is ≤ 0.
        f" WHEN {{nature}} = 'eq' THEN (CASE WHEN {{a}} = {{t}} THEN {full}"
        " WHEN least({a}, {t}) <= 0 THEN 0.00"
        f" ELSE {_cents('least({a}, {t})', 'greatest({a}, {t})')} END)"
        " END"
    )
    return SqlTemplate(
        template, applicable=col("applicable"), w=col("weight"), nature=col("nature"),
        tier=col("tier"), s=col("score"), t=col("target_value"), a=col("actual_value"),
    )


# Where each column of the indicators dataset comes from in the statement: the report slots
# (rep), the project slots (prj), or else the indicator row (i).
INDICATOR_SOURCES = {
    "year": Column("rep", "year"), "department_code": Column("rep", "code"),
    "project_code": Column("prj", "code"),
}


def indicator_cells(header: str) -> dict[str, Expression]:
    """One formatted SQL expression per column of the indicators dataset, in order."""
    columns = {f.name: Column("i", f.column) for f in Indicator._meta.concrete_fields}
    cells = {}
    for column in ds.INDICATORS.columns:
        kind = column.type
        if column.key == "final_score":
            cells[column.key] = final_score(columns)
            continue
        expr = INDICATOR_SOURCES.get(column.key) or columns[column.key]
        if kind == ds.YEAR or kind == ds.INTEGER:
            cells[column.key] = expr
        elif kind in (ds.VALUE, ds.AMOUNT, ds.POINTS, ds.RATE):
            places = Indicator._meta.get_field(column.key).decimal_places
            cells[column.key] = number(expr, kind, places)
        elif kind == ds.BOOLEAN:
            cells[column.key] = boolean(expr, column, header)
        elif kind == ds.CHOICE:
            cells[column.key] = choice(expr, column, header)
        else:
            cells[column.key] = inert(expr)
    return cells


def _tables(alias: str) -> dict[str, str]:
    quote = connections[alias].ops.quote_name
    return {
        "indicator": quote(Indicator._meta.db_table), "report": quote(Report._meta.db_table),
        "project": quote(Project._meta.db_table), "year": quote(FiscalYear._meta.db_table),
        "department": quote(Department._meta.db_table),
    }


def _ids(qs: QuerySet | None, column: str) -> tuple[str, list]:
    """`` AND column IN (the ids of qs)``, or nothing when qs is None (no filter)."""
    if qs is None:
        return "", []
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def _report_slots(tables: dict, reports: QuerySet | None) -> tuple[str, list]:
    """The exported reports in document order with their year, department code and slot.

    A report's slot leaves room before the next report for its projects' slots: it is the
    report's rank plus the number of projects of the reports before it.
    """
    where, params = _ids(reports, "r.id")
    counts_where, counts_params = _ids(reports, "report_id")
    # Identifiers come from model metadata, quoted; every value is a bound parameter.
    sql = (
        "SELECT r.id, y.year, d.code, (row_number() OVER w + coalesce(sum(pc.n) OVER"  # noqa: S608
        " (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::bigint AS slot"
        f" FROM {tables['report']} r"
        f" JOIN {tables['year']} y ON y.id = r.fiscal_year_id"
        f" JOIN {tables['department']} d ON d.id = r.department_id"
        f" LEFT JOIN (SELECT report_id, count(*)::int AS n FROM {tables['project']}"
        f" WHERE TRUE{counts_where} GROUP BY report_id) pc ON pc.report_id = r.id"
        f" WHERE TRUE{where}"
        # The order of the Python path's ORDER BY year, department code: same columns, same
        # collation. A department has one report a year, so there are no ties.
        " WINDOW w AS (ORDER BY y.year, d.code)"
    )
    return sql, counts_params + params


def copy_statement(
    header: str,
    *,
    reports: QuerySet | None = None,
    projects: QuerySet | None = None,
    indicators: QuerySet | None = None,
    alias: str = "default",
) -> tuple[str, list]:
    """The COPY statement of the indicators export.

    ``reports``, ``projects`` and ``indicators`` narrow it to their rows (None: no filter);
    an export narrowed by projects leaves out the report-level indicators, as the Python
    path's ``project__…`` filter does.
    """
    tables = _tables(alias)
    compiler = Query(Indicator).get_compiler(using=alias)
    cell_sql, params = [], []
    for key, cell in indicator_cells(header).items():
        sql, cell_params = compiler.compile(cell)
        cell_sql.append(f"{sql} AS {connections[alias].ops.quote_name('csv_' + key)}")
        params.extend(cell_params)

    # The report slots are joined twice (to the indicator, and to number the projects). As
    # two subqueries, not one CTE: the planner then estimates them well and hashes them,
    # not the million indicators (measured: a CTE or a grouped count cost 1.5 s more).
    rep_sql, rep_params = _report_slots(tables, reports)
    project_where, project_params = _ids(projects, "p.id")
    prj_sql = (  # identifiers from model metadata; values are parameters
        "SELECT p.id, p.code, rs.slot + row_number() OVER"  # noqa: S608
        " (PARTITION BY p.report_id ORDER BY p.\"position\", p.id) AS slot"
        f" FROM {tables['project']} p JOIN ({rep_sql}) rs ON rs.id = p.report_id"
        f" WHERE TRUE{project_where}"
    )
    indicator_where, indicator_params = _ids(indicators, "i.id")
    statement = (  # identifiers from model metadata; values are parameters
        f"COPY (SELECT {', '.join(cell_sql)}"  # noqa: S608
        f" FROM {tables['indicator']} i"
        f" JOIN ({rep_sql}) rep ON rep.id = i.report_id"
        f" {'JOIN' if projects is not None else 'LEFT JOIN'} ({prj_sql}) prj"
        " ON prj.id = i.project_id"
        f" WHERE TRUE{indicator_where}"
        # Unique: a position is an int4 ≥ 0, unique among the report-level indicators of a
        # report and among the indicators of a project. i.id only states the tie-break.
        " ORDER BY coalesce(prj.slot, rep.slot) * 2147483648 + i.\"position\", i.id"
        ") TO STDOUT (FORMAT csv)"
    )
    return statement, params + rep_params + rep_params + project_params + indicator_params


def copy_bytes(header: str, **filters) -> Iterator[bytes]:
    """The CSV records of the export as COPY writes them, in pieces of about 256 kB.

    ``filters`` are copy_statement's. The statement (labels included) is built now, in the
    caller's language; rows are read lazily.
    """
    alias = filters.setdefault("alias", Indicator.objects.db)
    statement, params = copy_statement(header, **filters)
    return _copy(alias, statement, params)


def _copy(alias: str, statement: str, params: list) -> Iterator[bytes]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        # A million rows cost enough to trigger JIT compilation of the formatting expressions,
        # which took longer (about 4 s) than running them; this query is better off without.
        cursor.execute("SET jit = off")
        if connection.queries_logged:
            # COPY bypasses Django's cursor wrapper; record it so query counts stay honest.
            connection.queries_log.append({"sql": statement, "time": "0.000"})
        try:
            with cursor.cursor.copy(statement, params) as copy:
                pieces: list = []
                size = 0
                for data in copy:
                    pieces.append(bytes(data))
                    size += len(data)
                    if size >= COPY_CHUNK_BYTES:
                        yield b"".join(pieces)
                        pieces, size = [], 0
                if pieces:
                    yield b"".join(pieces)
        finally:
            cursor.execute("RESET jit")
