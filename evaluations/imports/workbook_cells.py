"""The 自评表 workbook's cells as the import reads them (imports/self_evaluation.py): which
hold something, a number shown as a percentage as shown, and when a cell's value is the stored
one — a text cut to what a cell holds included."""

from __future__ import annotations

import re
from decimal import Decimal

from evaluations.documents import workbook as layout
from evaluations.imports.reading import cell_text


def read_cells(sheet) -> dict[tuple[int, int], object]:
    """The sheet's cells that hold something, by (row, column). A cell of spaces is empty (a
    space typed to clear a cell). A number shown as a percentage is read as it is shown:
    Excel keeps "5.2%" typed in a cell as 0.052, and read as a number it was a hundredth of
    what the staff member saw (the 实际完成值 of a "%" indicator); as the text "5.2%" it is
    read as every typed text is (a "%" indicator's number, refused in an amount)."""
    cells = {}
    for row in sheet.iter_rows():
        for cell in row:
            value = getattr(cell, "value", None)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if shown_as_percent(cell, value):
                value = format((Decimal(cell_text(value)) * 100).normalize(), "f") + "%"
            cells[(cell.row, cell.column)] = value
    return cells


def shown_as_percent(cell, value) -> bool:
    """A number whose format shows it times 100 with %: not a % written as text in the format
    (0.00"%" or 0.00\\% show 95 as 95.00%)."""
    shown = re.sub(r'"[^"]*"|\\.', "", getattr(cell, "number_format", "") or "")
    return isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in shown


def same(old, new) -> bool:
    if isinstance(old, Decimal) and isinstance(new, Decimal):
        return old == new  # 392.6900 and 392.69 alike
    if cut(old, new):
        return True
    return (old if old is not None else "") == (new if new is not None else "") if (
        isinstance(old, str) or isinstance(new, str)) else old == new


def cut(whole, cell) -> bool:
    """A cell holding what fits of a longer stored text: a spreadsheet cell keeps 32,767
    characters (openpyxl cuts there on writing), so the text stays as stored, whole; read as
    a change, a workbook downloaded and imported unchanged cut it (the trust review)."""
    return (isinstance(whole, str) and isinstance(cell, str) and len(cell) == layout.CELL_MAX_CHARS
            and len(whole) > len(cell) and whole.startswith(cell))
