"""The API's query parameters: each endpoint names what it reads, and each value is checked.

An unknown parameter, a malformed year, a code that names nothing, a page size over the
maximum or a page past the last is a 400 that names the parameter (errors.BadParameter),
never an empty answer that looks like "no data" nor a 500. Lists are given the way the CSV
exports take them: ``?year=2022,2023`` or ``?year=2022&year=2023``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _

from evaluations.api.errors import BadParameter

PAGE = "page"
PAGE_SIZE = "page_size"
PAGING = (PAGE, PAGE_SIZE)
MAX_VALUES = 50  # values one list parameter may hold
MAX_DIGITS = 6  # of a page number or size: anything longer is past any real page


def check_known(get: QueryDict, allowed: tuple[str, ...]) -> None:
    """Refuse a parameter the endpoint does not read: a typo must not widen the answer."""
    for name in get:
        if name not in allowed:
            raise BadParameter(name, _("不支持的参数；可用参数：%(allowed)s。") % {
                "allowed": ", ".join(allowed) or "—"})


def values(get: QueryDict, name: str) -> list[str]:
    """A repeatable, comma-separated parameter's values, as the exports read them."""
    found = [v.strip() for raw in get.getlist(name) for v in raw.split(",") if v.strip()]
    if len(found) > MAX_VALUES:
        raise BadParameter(name, _("最多 %(n)s 个值。") % {"n": MAX_VALUES})
    if get.getlist(name) and not found:
        raise BadParameter(name, _("参数为空。"))
    return found


def years(get: QueryDict, name: str = "year") -> list[int]:
    """Fiscal years: four digits each."""
    out = []
    for value in values(get, name):
        if not (value.isascii() and value.isdigit() and len(value) == 4):
            raise BadParameter(name, _("“%(value)s”不是四位数的年度。") % {"value": value[:20]})
        out.append(int(value))
    return out


def codes(get: QueryDict, name: str, known: set[str] | None = None) -> list[str]:
    """Codes; with ``known``, each must be one of them (a misspelt grade is an error)."""
    out = values(get, name)
    for value in out:
        if known is not None and value not in known:
            raise BadParameter(name, _("未知代码“%(value)s”；可用代码：%(known)s。") % {
                "value": value[:40], "known": ", ".join(sorted(known))})
        if known is None and (len(value) > 64 or not value.replace("-", "").replace("_", "").isalnum()):
            raise BadParameter(name, _("“%(value)s”不是有效的编码。") % {"value": value[:40]})
    return out


def _positive(get: QueryDict, name: str, default: int) -> int:
    raw = get.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= MAX_DIGITS and int(raw) > 0):
        raise BadParameter(name, _("须为正整数。"))
    return int(raw)


def page_size(get: QueryDict) -> int:
    size = _positive(get, PAGE_SIZE, settings.API_PAGE_SIZE)
    if size > settings.API_MAX_PAGE_SIZE:
        raise BadParameter(PAGE_SIZE, _("每页最多 %(n)s 条。") % {"n": settings.API_MAX_PAGE_SIZE})
    return size


def page_number(get: QueryDict) -> int:
    return _positive(get, PAGE, 1)
