"""Template filters for the public pages: amounts in 万元, rates, grades, section numbers."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import get_language, gettext, gettext_noop

from common import formatting
from indicators.vocabulary import grade_label

register = template.Library()
# The grade's label (优/良/中/差) in the reader's language, as the vocabulary gives it.
register.filter("grade_label", grade_label)

# Marked here so makemessages extracts them: the budget names live in a data migration,
# which does not use gettext.
TRANSLATABLE_DATA = (
    gettext_noop("一般公共预算"), gettext_noop("政府性基金预算"),
    gettext_noop("国有资本经营预算"), gettext_noop("社会保险基金预算"),
    gettext_noop("当年财政拨款"), gettext_noop("上年结转资金"), gettext_noop("其他资金"),
)

CHINESE_NUMERALS = "一二三四五六七八九十"
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def _chinese_numeral(n: int) -> str:
    if 1 <= n <= 10:
        return CHINESE_NUMERALS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMERALS[n - 11]
    return str(n)


def _is_chinese() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


@register.filter
def amount(value: Decimal | None) -> str:
    """1828.9 → "1,828.90"; empty for no value."""
    return formatting.amount(value)


@register.filter
def amount_or_dash(value: Decimal | None) -> str:
    """For table cells: a dash where there is no figure."""
    return formatting.amount(value) if value is not None else "—"


@register.filter
def percent(value: Decimal | None) -> str:
    return formatting.percent(value)


@register.filter
def score(value: Decimal | None) -> str:
    return formatting.score(value)


@register.filter
def plain_value(value: Decimal | None) -> str:
    """An indicator value as entered, without trailing zeros (275, 4.96), as the CSV writes it."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


@register.filter
def data_label(value: str) -> str:
    """Translate a name stored as data (a budget's name) when a translation exists."""
    return gettext(value) if value else ""


@register.filter
def section_number(n: int) -> str:
    """一、 in Chinese, "1. " in English: the numbering of the report's ten sections."""
    return f"{_chinese_numeral(n)}、" if _is_chinese() else f"{ROMAN[n - 1] if n <= 12 else n}. "


@register.filter
def subsection_number(n: int) -> str:
    """（一） in Chinese, "(1) " in English."""
    return f"（{_chinese_numeral(n)}）" if _is_chinese() else f"({n}) "


@register.filter
def paragraphs(text: str) -> list[str]:
    """Text split into its non-empty lines, each a paragraph."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
