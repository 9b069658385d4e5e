"""The fast exact CSV path for the indicators dataset on PostgreSQL.

One ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` whose SELECT writes every cell exactly as the
Python path (`exports.formatted_rows` + csv.writer) would: codes or labels from the registry in
`datasets.py`, `make_inert` on text, the number forms of `format_decimal`, and `final_score`
computed with the rules of `indicators.scoring`. The SELECT is built from the export queryset,
so the filters (years, departments, funding sources, statuses, staff scoping) are the same.
The output bytes go to the caller untouched; a differential test keeps both paths byte-equal.

Byte equality rests on: records end with "\\n" on both paths; text cells that are empty are
NULL here (COPY writes NULL unquoted, an empty string as ""); COPY quotes a field holding a
delimiter, quote, CR or LF, which is what csv.writer with QUOTE_MINIMAL does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.db import connections
from django.db.models import Expression, F, TextField, Value

from indicators import scoring

from . import datasets as ds

COPY_CHUNK_BYTES = 256 * 1024  # COPY output gathered into pieces of about this size

def _sql_literal(text: str) -> str:
    """A PostgreSQL E'' literal of ``text``, tab and CR spelled as escapes."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return "E'" + escaped.replace("\t", "\\t").replace("\r", "\\r") + "'"


# datasets._INERT_START and looks_like_number, as SQL over the cell {v}.
_INERT_FIRST = ", ".join(_sql_literal(c) for c in ds._INERT_START)
_NUMBER_RE = r"^[+-]([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_INERT_SQL = (
    "CASE WHEN {v} = '' THEN NULL"
    f" WHEN left({{v}}, 1) IN ({_INERT_FIRST}) AND {{v}} !~ '{_NUMBER_RE}'"
    " THEN '''' || {v} ELSE {v} END"
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


def inert(expr) -> SqlTemplate:
    """make_inert() of a text cell; an empty text becomes NULL (an unquoted empty cell)."""
    return SqlTemplate(_INERT_SQL, v=expr)


def choice(expr, column: ds.Column, header: str) -> SqlTemplate:
    """A coded cell: its label (or code) made inert; an unknown code as inert text."""
    labels = header != "keys"
    parts: dict = {"v": expr}
    whens = []
    for i, (code, label) in enumerate(column.choices):
        parts[f"c{i}"] = Value(code)
        parts[f"l{i}"] = Value(ds.make_inert(str(label) if labels else code))
        whens.append(f"WHEN {{v}} = {{c{i}}} THEN {{l{i}}}")
    template = f"CASE WHEN {{v}} = '' THEN NULL {' '.join(whens)} ELSE {_INERT_SQL} END"
    return SqlTemplate(template, **parts)


def boolean(expr, column: ds.Column, header: str) -> SqlTemplate:
    yes, no = (str(label) for _, label in column.choices) if header != "keys" else ("true", "false")
    return SqlTemplate("CASE WHEN {v} THEN {yes} WHEN NOT {v} THEN {no} END", v=expr, yes=yes, no=no)


def number(expr, column_type: str) -> SqlTemplate:
    """format_decimal(): VALUE without trailing zeros, RATE with 2 places, others ≥ 2 places."""
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


def final_score() -> SqlTemplate:
    """indicators.scoring.indicator_score() as the export writes it (None → NULL)."""
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
        template, applicable=F("applicable"), w=F("weight"), nature=F("nature"), tier=F("tier"),
        s=F("score"), t=F("target_value"), a=F("actual_value"),
    )


# The indicators dataset's columns as model paths (None: computed).
INDICATOR_SOURCES = {
    "year": "report__fiscal_year__year", "department_code": "report__department__code",
    "project_code": "project__code", "final_score": None,
}


def indicator_cells(header: str) -> dict[str, Expression]:
    """One formatted SQL expression per column of the indicators dataset, in order."""
    cells = {}
    for column in ds.INDICATORS.columns:
        path = INDICATOR_SOURCES.get(column.key, column.key)
        kind = column.type
        if path is None:
            cells[column.key] = final_score()
            continue
        expr = F(path)
        if kind == ds.YEAR or kind == ds.INTEGER:
            cells[column.key] = expr
        elif kind in (ds.VALUE, ds.AMOUNT, ds.POINTS, ds.RATE):
            cells[column.key] = number(expr, kind)
        elif kind == ds.BOOLEAN:
            cells[column.key] = boolean(expr, column, header)
        elif kind == ds.CHOICE:
            cells[column.key] = choice(expr, column, header)
        else:
            cells[column.key] = inert(expr)
    return cells


def copy_statement(qs, header: str) -> tuple[str, list]:
    """The COPY statement for an indicators export queryset (before its values_list)."""
    cells = indicator_cells(header)
    names = {key: f"csv_{key}" for key in cells}
    formatted = qs.annotate(**{names[k]: v for k, v in cells.items()}).values_list(*names.values())
    sql, params = formatted.query.sql_with_params()
    return f"COPY ({sql}) TO STDOUT (FORMAT csv)", list(params)


def copy_bytes(qs, header: str) -> Iterator[bytes]:
    """The CSV records of the export as COPY writes them, in pieces of about 256 kB.

    The statement (labels included) is built now, in the caller's language; rows are read lazily.
    """
    statement, params = copy_statement(qs, header)
    return _copy(qs.db, statement, params)


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
