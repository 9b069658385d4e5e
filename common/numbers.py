"""The one reading of a typed or imported number, shared by the admin's forms and the importer.

What a cell or a form field may hold (docs/data-dictionary.md, "Amounts"): plain decimals
with an optional sign and thousands separators grouped by three (``1,234.50``), a trailing
point (``5.`` is 5) or a leading one (``.5``). Refused everywhere alike: exponents (``1e5``),
full-width or other non-ASCII digits (``１２３``), ``_`` and stray separators (``1,8,2``).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# Significant digits a SQLite REAL (a double) keeps exactly: Django stores decimals there as
# REAL, so more would be rounded silently. PostgreSQL's numeric holds max_digits in full.
SQLITE_EXACT_DIGITS = 15
# (?=\.?[0-9]): a digit, right after the sign or after a leading point ("", "-" and "." are
# no number).
NUMBER_RE = re.compile(
    r"^[+-]?(?=\.?[0-9])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]*)?$", re.ASCII
)


class NumberError(ValueError):
    """A number that cannot be read, with the message to show next to the field or cell."""


def exact_digits_for(vendor: str) -> int | None:
    """The significant digits a database stores exactly, None when it keeps max_digits."""
    return SQLITE_EXACT_DIGITS if vendor == "sqlite" else None


def read_number(text: str) -> Decimal:
    """The Decimal written in ``text``; NumberError when it is not a plain decimal."""
    text = text.strip()
    if not NUMBER_RE.match(text):
        if any("\uff01" <= c <= "\uff5e" for c in text):  # full-width forms (a Chinese IME's)
            raise NumberError(_("“%(value)s”含全角字符：请用半角数字和标点输入（如 1,234.50）。") % {"value": text})
        raise NumberError(_("“%(value)s”不是有效的数字。") % {"value": text})
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise NumberError(_("“%(value)s”不是有效的数字。") % {"value": text}) from None
    return abs(value) if value == 0 else value  # -0 is 0


def parse_decimal(
    text: str, *, places: int, digits: int, negative: bool = False,
    exact_digits: int | None = None,
) -> Decimal:
    """A decimal for a field of ``digits`` digits with ``places`` decimals, quantized to them."""
    value = read_number(text)
    if value < 0 and not negative:
        raise NumberError(_("不能为负数（%(value)s）。") % {"value": text.strip()})
    # Its whole part's digits, asked before quantizing: a 30-digit number would not fit the
    # decimal context's 28 digits once given its places.
    if value and value.adjusted() + 1 > digits - places:
        raise NumberError(_("数值过大（%(value)s）。") % {"value": text.strip()})
    quantized = value.quantize(_step(places))
    if quantized != value:
        raise NumberError(
            _("最多 %(places)s 位小数（%(value)s）。") % {"places": places, "value": text.strip()}
        )
    if exact_digits and len(quantized.normalize().as_tuple().digits) > exact_digits:
        raise NumberError(
            _("SQLite 数据库只能精确保存 %(digits)s 位有效数字（%(value)s）。")
            % {"digits": exact_digits, "value": text.strip()}
        )
    return quantized


@functools.cache
def _step(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def parse_integer(text: str) -> int:
    """A whole number (a year, a position): ``2,024`` reads, ``2024.5`` and ``2.024e3`` do not."""
    try:
        value = read_number(text)
    except NumberError:
        raise NumberError(_("“%(value)s”不是有效的整数。") % {"value": text.strip()}) from None
    if value != value.to_integral_value():
        raise NumberError(_("“%(value)s”不是有效的整数。") % {"value": text.strip()})
    return int(value)
