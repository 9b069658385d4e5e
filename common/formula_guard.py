"""The formula guard (公式防护): which text cells a spreadsheet could run as a formula, and how
every export makes them inert. The rule is data, so the PostgreSQL export compiles it to SQL.

A guarded cell gets one leading apostrophe, which Excel and LibreOffice read as "text" (a
CSV opened in them shows it: they hide it only in a cell typed by hand, the trust review);
the import side takes exactly one off again (docs/design.md, "Interfaces": an export
imported again reads back the same text).

What starts a formula. Measured with LibreOffice 7.4 (a CSV converted to xlsx headless, the
formulas looked for in the sheet): ``=`` at the very start; with its "trim spaces" import
option, spaces before ``=`` too; it ran none of + - @, the full-width ＝＋－＠ or =
behind NBSP, the ideographic space or a zero-width character. Excel and Google Sheets also
run + - @ (OWASP's list); Excel was not available to measure the full-width signs that
Chinese input methods type, nor other blanks, which some converters strip. Guarding what no
program runs costs one apostrophe that the import removes, so the guard errs on the side of
quoting: any run of LEADING_BLANKS followed by any of FORMULA_STARTS.
"""

from __future__ import annotations

import re

__all__ = [
    "ALWAYS_GUARDED",
    "FORMULA_STARTS",
    "LEADING_BLANKS",
    "NUMBER_PATTERN",
    "is_guarded",
    "looks_like_number",
    "make_inert",
    "strip_inert",
]

# Characters that start a formula, once any leading blanks are skipped.
FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"  # and full-width ＝＋－＠
# Characters a spreadsheet or converter may skip before it looks for a formula start.
LEADING_BLANKS = " \t\r\n\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff"
# Guarded whatever follows: tab and CR (OWASP's list), and the apostrophe itself, so that an
# import strips exactly one and reads back the text that was exported.
ALWAYS_GUARDED = "\t\r'"
# A plain decimal such as -3.50: a spreadsheet reads it as a number, never as a formula.
NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_NUMBER = re.compile(NUMBER_PATTERN)


def looks_like_number(text: str) -> bool:
    """Whether the whole text is a plain decimal (ASCII digits, one optional sign and point)."""
    return _NUMBER.fullmatch(text) is not None


def is_guarded(text: str) -> bool:
    """Whether make_inert quotes this text."""
    if text.startswith(tuple(ALWAYS_GUARDED)):
        return True
    return text.lstrip(LEADING_BLANKS).startswith(tuple(FORMULA_STARTS)) and not (
        looks_like_number(text)
    )


def make_inert(text: str) -> str:
    """The text as an export writes it: quoted when a spreadsheet could run it."""
    return "'" + text if is_guarded(text) else text


def strip_inert(text: str) -> str:
    """Undo make_inert on a cell read from a file."""
    return text[1:] if text.startswith("'") else text
