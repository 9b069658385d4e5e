"""The indicators dataset's cells as SQL expressions, compiled from the formats they apply.

Each cell is what the Python path (`exports.streams`) writes: codes or labels from the registry
in `datasets.py`, the formula guard of `common.formula_guard`, the number forms of
`format_decimal`. ``final_score`` is the stored score (evaluations/scores.py; docs/design.md,
"Scoring rule sets"), printed as stored: no scoring rule has a copy here. The differential and
property tests (tests/evaluations/test_export_fast.py, test_export_recorded.py) hold both
paths to the same bytes.
"""

from __future__ import annotations

import re

from django.db.models import Expression, TextField, Value

from common import formula_guard as guard
from evaluations import datasets as ds
from indicators.models import Indicator


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


def _literal(text: str) -> str:
    """A rule's constant as an SQL string literal (standard_conforming_strings, PostgreSQL's
    default that Django relies on: only ' is doubled, a backslash is itself)."""
    return "'" + text.replace("'", "''") + "'"


QUOTED = "'''' || {v}"  # the cell behind make_inert's apostrophe


def _guard_sql() -> str:
    """common.formula_guard.make_inert over the cell {v} whose first code point is {a}
    (ascii(): 0 for '', as PostgreSQL text holds no NUL); an empty text becomes NULL.

    Most cells are settled by {a} alone: a Chinese character or a Latin letter (the runs of
    code points around them that hold none of the guard's characters), an empty text, or any
    other code point that is none of the guard's characters. Only text starting with one of
    them reaches the trim and the regular expressions.
    """
    triggers = sorted(
        {ord(c) for c in guard.ALWAYS_GUARDED + guard.LEADING_BLANKS + guard.FORMULA_STARTS}
    )
    runs = " ".join(
        f"WHEN {{a}} BETWEEN {low} AND {high} THEN {{v}}"
        for low, high in (_run_around(ord(c), triggers) for c in ("中", "A"))
    )
    always = ", ".join(str(ord(c)) for c in guard.ALWAYS_GUARDED)
    starts = "".join(sorted(guard.FORMULA_STARTS, key=lambda c: c == "-"))  # "-" last: literal
    return (
        f"CASE {runs} WHEN {{a}} = 0 THEN NULL"
        f" WHEN {{a}} NOT IN ({', '.join(map(str, triggers))}) THEN {{v}}"
        f" WHEN {{a}} IN ({always}) THEN {QUOTED}"
        f" WHEN ltrim({{v}}, {_literal(guard.LEADING_BLANKS)}) ~ {_literal(f'^[{starts}]')}"
        f" AND {{v}} !~ {_literal(f'^({guard.NUMBER_PATTERN})$')} THEN {QUOTED}"
        " ELSE {v} END"
    )


def _run_around(point: int, triggers: list[int]) -> tuple[int, int]:
    """The widest run of code points around ``point`` that holds none of ``triggers``."""
    low = max((t for t in triggers if t < point), default=-1) + 1
    high = min((t for t in triggers if t > point), default=0x110000) - 1
    return low, high


_INERT_SQL = _guard_sql()


def inert(expr, first=None) -> SqlTemplate:
    """make_inert() of a text cell; an empty text becomes NULL (an unquoted empty cell).

    ``first`` is the cell's first code point when the statement computes it once per row
    (first_of); otherwise each test calls ascii() again, and a million rows with a dozen text
    cells each show the cost.
    """
    return SqlTemplate(_INERT_SQL, v=expr, a=first or SqlTemplate("ascii({v})", v=expr))


def first_of(column: Column) -> Column:
    """Where the statement keeps the first code point of ``column`` (see first_code_points)."""
    return Column(column.table, f"csv_first_{column.column}")


def choice(expr, column: ds.Column, header: str, first=None) -> SqlTemplate:
    """A coded cell: its label (or code) made inert; an unknown code as inert text."""
    labels = header != "keys"
    parts: dict = {"v": expr, "a": first or SqlTemplate("ascii({v})", v=expr)}
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


# Where each column of the indicators dataset comes from in the statement: the report slots
# (rep), the project slots (prj), or else the indicator row (i). A slot formats its own cells
# (slot_cells) once per report or project, over the table it reads (SLOTS: its alias there),
# not once per indicator row (bench/RESULTS.md: 5 % of the statement's time).
INDICATOR_SOURCES = {
    "year": Column("rep", "year"), "department_code": Column("rep", "code"),
    "project_code": Column("prj", "code"),
}
SLOTS = {"rep": "r", "prj": "p"}


def _source(column: ds.Column) -> Column:
    return INDICATOR_SOURCES.get(column.key) or Column(
        "i", Indicator._meta.get_field(column.key).column
    )


def _in_slot(column: ds.Column) -> bool:
    """Whether a slot formats this cell (a year or an integer is written as it is)."""
    return _source(column).table in SLOTS and column.type not in (ds.YEAR, ds.INTEGER)


def _cell(column: ds.Column, expr: Column, header: str, first=None) -> Expression:
    """The cell of ``column`` as the Python path writes it, over ``expr``."""
    kind = column.type
    if kind == ds.YEAR or kind == ds.INTEGER:
        return expr
    if kind in (ds.VALUE, ds.AMOUNT, ds.POINTS, ds.RATE):
        places = Indicator._meta.get_field(column.key).decimal_places
        return number(expr, kind, places)
    if kind == ds.BOOLEAN:
        return boolean(expr, column, header)
    if kind == ds.CHOICE:
        return choice(expr, column, header, first)
    return inert(expr, first)


def indicator_cells(header: str) -> dict[str, Expression]:
    """One formatted SQL expression per column of the indicators dataset, in order; a cell a
    slot formats is read from the slot, as ``csv_<key>``."""
    cells = {}
    for column in ds.INDICATORS.columns:
        expr = _source(column)
        if _in_slot(column):
            cells[column.key] = Column(expr.table, f"csv_{column.key}")
        else:
            texty = column.type in (ds.TEXT, ds.CODE, ds.CHOICE)
            cells[column.key] = _cell(column, expr, header, first_of(expr) if texty else None)
    return cells


def slot_cells(header: str) -> dict[str, dict[str, Expression]]:
    """For each slot (rep, prj), the cells it formats, by key, over its own table's alias."""
    slots: dict[str, dict[str, Expression]] = {table: {} for table in SLOTS}
    for column in ds.INDICATORS.columns:
        if _in_slot(column):
            source = _source(column)
            inner = Column(SLOTS[source.table], source.column)
            slots[source.table][column.key] = _cell(column, inner, header)
    return slots


def first_code_points() -> list[str]:
    """The indicator columns whose cells read first_of: the statement selects
    ``ascii(column) AS csv_first_<column>`` for each, once per row."""
    return [
        _source(column).column for column in ds.INDICATORS.columns
        if column.type in (ds.TEXT, ds.CODE, ds.CHOICE) and not _in_slot(column)
    ]
