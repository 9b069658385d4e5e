"""Public pages that read across years: a department's indicators over the years, and a
year's ranking of departments by total score or execution rate, each with its flags.

Both read published reports only (``summaries.published()``) in a fixed number of queries,
and are public_page views: revalidated by the version stamp and cached under it.
"""

from __future__ import annotations

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext

from evaluations.public import charts
from evaluations.public.comparisons import (
    RANK_BY,
    department_flags,
    flags_by_department,
    indicator_histories,
    ranking,
)
from evaluations.public.stamp import Stamp, public_page
from evaluations.public.summaries import published, summaries, with_summary
from evaluations.public.views import _page_links
from evaluations.public.year_index import MAX_PAGE_DIGITS, NARRATIVE_FIELDS, PAGE_SIZE
from evaluations.templatetags.public import plain_value


@public_page(lambda department_code: Q(department__code=department_code))
def department_indicators(request: HttpRequest, department_code: str) -> HttpResponse:
    """`/departments/<code>/indicators/`: each department-level indicator over the years."""
    reports = list(
        with_summary(published().filter(department__code=department_code).defer(*NARRATIVE_FIELDS))
        .order_by("fiscal_year__year")
    )
    if not reports:
        raise Http404
    department = reports[0].department
    _columns, rows = summaries(reports)
    years = [r.report.fiscal_year.year for r in rows]
    histories = indicator_histories(rows)
    entries = []
    for i, history in enumerate(histories):
        by_year = {y.year: y for y in history.years}
        chart = None
        if history.numeric:
            chart = charts.line_chart(
                f"indicator-{i}",
                title=gettext("“%(name)s”历年实际完成值") % {"name": history.name},
                description=gettext("各年度实际完成值（%(unit)s），数据见下方表格。") % {
                    "unit": history.unit or "—"},
                points=[charts.Point(str(y), by_year[y].indicator.actual_value if y in by_year else None)
                        for y in years],
                value_format=plain_value,
            )
        entries.append({"history": history, "chart": chart, "anchor": f"indicator-{i}"})
    return render(request, "evaluations/department_indicators.html", {
        "department": department, "entries": entries, "years": years,
        "flags": department_flags(rows),
    })


def clean_ranking_query(get: QueryDict, stamp: Stamp) -> dict[str, str]:
    """``by`` (score, the default, or execution_rate) and ``page``; a bad page is a 404."""
    query = {}
    if get.get("by") in RANK_BY and get.get("by") != RANK_BY[0]:
        query["by"] = get["by"]
    page = get.get("page", "1")
    if not (page.isascii() and page.isdigit() and 0 < len(page) <= MAX_PAGE_DIGITS and int(page)):
        raise Http404("page")
    if int(page) != 1:
        query["page"] = str(int(page))
    return query


def _year_and_before(year: int) -> Q:
    # Two exact lookups, not __in: Django answers an exact lookup beyond the column's range
    # with nothing, where __in overflows (a 500 for /rankings/<25 digits>/).
    return Q(fiscal_year__year=year) | Q(fiscal_year__year=year - 1)


@public_page(_year_and_before, query=clean_ranking_query)
def year_ranking(request: HttpRequest, year: int) -> HttpResponse:
    """`/rankings/<year>/`: the year's departments ranked, with flags against the year before."""
    reports = list(with_summary(
        published().filter(_year_and_before(year)).defer(*NARRATIVE_FIELDS)
    ))
    _columns, rows = summaries(reports)
    this_year = [r for r in rows if r.report.fiscal_year.year == year]
    if not this_year:
        raise Http404
    by = request.public_query.get("by", RANK_BY[0])
    flags = flags_by_department(rows, year)
    ranked = ranking(this_year, by, flags)
    paginator = Paginator(ranked, PAGE_SIZE)
    try:
        page = paginator.page(int(request.public_query.get("page", "1")))
    except EmptyPage:
        raise Http404("page") from None
    return render(request, "evaluations/ranking.html", {
        "year": year, "by": by, "page": page, "rows": page.object_list, "count": len(ranked),
        "page_links": _page_links(page, {"by": by} if by != RANK_BY[0] else {}),
        "flagged": sum(1 for r in ranked if r.flags),
        "has_previous_year": any(r.report.fiscal_year.year == year - 1 for r in rows),
    })
