"""Public views: only published reports exist here.

Every page fetches what it shows in a fixed number of queries (prefetches, no per-row
lookups); how pages are stamped, revalidated and cached is stamp.py's and page_cache.py's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Paginator
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.utils import Error as DatabaseError  # also InterfaceError: a dead connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language, gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language as django_set_language

from common.formatting import amount, score
from evaluations import access, monitoring
from evaluations import datasets as ds
from evaluations.documents.storage import stored_documents
from evaluations.models import (
    BudgetExecution,
    FundingSource,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from evaluations.public import charts
from evaluations.public.followup import followup
from evaluations.public.search import matching, with_snippets
from evaluations.public.stamp import Stamp, current_stamp, public_page
from evaluations.public.summaries import ZERO, published, summaries, with_summary
from evaluations.public.targets import approved_adjustments
from evaluations.public.year_index import DEFAULT_SORT, PAGE_SIZE, with_recommendations, year_table
from evaluations.public.year_index import clean_query as clean_year_query
from evaluations.revisions import published_revisions
from indicators.models import Indicator
from indicators.tables import SelfEvaluationTable, department_table, project_table

SEARCH_LIMIT = 50
HOME_REPORTS = 30  # the latest year's most recently published reports on the home page
SEARCH_LENGTH = 100  # the search box's maxlength
# The open datasets a report's page offers filtered to its department, labelled as on /data/.
DATASETS = tuple(
    dataset for dataset in ds.OPEN_DATA if dataset.name in
    ("reports", "budget_executions", "projects", "project_funds", "narratives", "indicators")
)


# The language switcher posts here. Django's own view, without the CSRF token, because a
# token in every page would set a per-visitor cookie and stop proxies caching the public
# pages; forcing someone's display language is the worst a forged request can do.
set_language = csrf_exempt(django_set_language)


# --- Pages -------------------------------------------------------------------------


def _search(query: str) -> QuerySet[Report]:
    """Published reports that mention every word of ``query`` (public/search.py)."""
    return matching(published(), query).order_by("-fiscal_year__year", "department__code")


def _total_expenditure():
    return Sum(BudgetExecution.expenditure_of(
        F("budget_executions__personnel"), F("budget_executions__public"),
        F("budget_executions__project"),
    ))


def clean_home_query(get: QueryDict, stamp: Stamp) -> dict[str, str] | None:
    """A search is answered afresh and not kept: each one would be a cache row (issue 15.8)."""
    query = get.get("q", "").strip()[:SEARCH_LENGTH]
    return None if query else {}


@public_page(lambda: Q(), query=clean_home_query)
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:SEARCH_LENGTH]
    years = list(
        Report.objects.published().order_by("-fiscal_year__year")
        .values_list("fiscal_year__year").annotate(count=Count("pk"))
    )
    latest, latest_count = years[0] if years else (None, 0)
    reports = []
    if latest is not None:
        # The latest published first: a phone need not load every department of a large
        # year here; the year's index pages and sorts them all.
        reports = list(
            published().filter(fiscal_year__year=latest).annotate(total=_total_expenditure())
            .order_by(F("published_at").desc(nulls_last=True), "department__code")[:HOME_REPORTS]
        )
    results = with_snippets(list(_search(query)[:SEARCH_LIMIT]), query) if query else None
    return render(request, "evaluations/home.html", {
        "years": years, "latest": latest, "latest_count": latest_count, "reports": reports,
        "query": query, "results": results, "search_limit": SEARCH_LIMIT,
    })


def _sees_recommendations(request: HttpRequest) -> bool:
    return access.sees_recommendations(request.user)


@public_page(lambda year: Q(fiscal_year__year=year), query=clean_year_query,
             private=_sees_recommendations)
def year_index(request: HttpRequest, year: int) -> HttpResponse:
    """`/reports/<year>/`: the year's reports a page at a time, sorted on the server; for
    reviewers, a private variant with the budget recommendations (public_page's ``private``)."""
    table = year_table(year, current_stamp(request))
    if table is None:
        raise Http404
    query = request.public_query
    descending = query.get("order") == "desc"
    sort, rows = table.sorted_rows(query.get("sort", DEFAULT_SORT), descending)
    paginator = Paginator(rows, PAGE_SIZE)
    try:
        page = paginator.page(int(query.get("page", "1")))
    except EmptyPage:
        raise Http404("page") from None
    columns, totals = table.columns, table.totals
    chart = charts.bar_chart(
        "spending-by-budget",
        title=gettext("%(year)s年度各类预算支出（万元）") % {"year": year},
        description=gettext("按预算类别汇总的已公开报告财政拨款支出，数据见旁边的表格。"),
        points=[charts.Point(gettext(s.name), t) for s, t in zip(columns, totals, strict=True)],
    )
    headers = [("department", gettext("部门"))]
    headers += [(f"budget-{s.code}", gettext(s.name)) for s in columns]
    headers += [("total", gettext("合计")), ("score", gettext("自评得分"))]
    order = {"sort": sort, "order": "desc"} if descending else {"sort": sort}
    private = getattr(request, "private_page", False)
    shown = with_recommendations(year, page.object_list) if private else page.object_list
    return render(request, "evaluations/year.html", {
        "year": year, "columns": columns, "rows": shown, "count": len(rows),
        "show_recommendations": private,
        "page": page, "page_links": _page_links(page, order),
        "totals": totals, "grand_total": sum(totals, ZERO), "chart": chart,
        "chart_rows": list(zip(columns, totals, strict=True)),
        "headers": headers, "sort": sort, "descending": descending,
        "any_scored": table.any_scored,
    })


def _page_links(page, order: dict[str, str]) -> dict:
    """Hrefs for the pagination: each page (None marks a gap), the previous and the next."""

    def href(number: int) -> str:
        params = {k: v for k, v in order.items() if (k, v) != ("sort", DEFAULT_SORT)}
        if number != 1:
            params["page"] = str(number)
        return "?" + urlencode(params)

    paginator = page.paginator
    numbers = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return {
        "pages": [(None, "") if n == paginator.ELLIPSIS else (n, href(n)) for n in numbers],
        "previous": href(page.number - 1) if page.has_previous() else None,
        "next": href(page.number + 1) if page.has_next() else None,
    }


@dataclass
class BudgetSection:
    """Sections 二–五: one per budget, "无" when the report has no row for it."""

    number: int
    anchor: str
    title: str
    source: FundingSource
    execution: BudgetExecution | None
    projects: list[Project]
    year: int

    @property
    def structured(self) -> bool:
        """The seed's layout (（一）基本支出情况 / （二）项目支出情况) or one sentence."""
        return self.execution is not None and (
            self.source.code == "general" or bool(self.projects)
            or self.execution.initial_budget is not None
        )

    @property
    def projects_have_budgets(self) -> bool:
        """Whether the project table needs its budget and rate columns at all."""
        return any(p.adjusted_budget is not None or p.initial_budget is not None
                   for p in self.projects)

    @property
    def projects_total(self) -> Decimal:
        return sum((p.expenditure for p in self.projects), ZERO)

    @property
    def sentences(self) -> list[str]:
        """The seed's generated sentences: budget, income, then spending broken down."""
        e, year = self.execution, self.year
        if e is None:
            return []
        budget = gettext(self.source.name)
        out = []
        if e.initial_budget is not None:
            out.append(gettext("%(year)s年预算资金%(amount)s万元。") % {
                "year": year, "amount": amount(e.initial_budget)})
        if e.income is not None:
            out.append(gettext("%(year)s年度单位%(budget)s财政拨款收入%(amount)s万元。") % {
                "year": year, "budget": budget, "amount": amount(e.income)})
        figures = {
            "year": year, "budget": budget, "expenditure": amount(e.expenditure),
            "project": amount(e.project), "basic": amount(e.basic),
            "personnel": amount(e.personnel), "public": amount(e.public),
        }
        if e.basic > 0:
            out.append(gettext(
                "%(year)s年度单位%(budget)s财政拨款支出%(expenditure)s万元，其中：项目支出"
                "%(project)s万元，基本支出%(basic)s万元，其中：人员经费%(personnel)s万元，"
                "公用经费%(public)s万元。") % figures)
        else:
            out.append(gettext(
                "%(year)s年度单位%(budget)s财政拨款支出%(expenditure)s万元，其中：项目支出"
                "%(project)s万元。") % figures)
        return out

    @property
    def paragraph(self) -> str:
        """The sentences as one paragraph, as the seed writes a budget without projects."""
        sentences = self.sentences
        if (get_language() or "").startswith("zh"):
            return "；".join(s.rstrip("。") for s in sentences) + "。"
        return " ".join(sentences)


@dataclass
class ProjectTable:
    project: Project
    indicators: list[Indicator]
    table: SelfEvaluationTable


@public_page(lambda year, department_code: Q(
    fiscal_year__year=year, department__code=department_code
))
def report_detail(request: HttpRequest, year: int, department_code: str) -> HttpResponse:
    report = get_object_or_404(
        with_report_rows(published()), fiscal_year__year=year, department__code=department_code,
    )
    return render(request, "evaluations/report.html", {
        **report_context(report),
        # Without the query string: the page is cached for every query string (page_cache.py).
        "page_url": request.build_absolute_uri(request.path),
    })


def with_report_rows(reports: QuerySet[Report]) -> QuerySet[Report]:
    """Everything the report page shows, prefetched (the official documents read the same)."""
    # The rule set comes along: the page names it, and a table's "missed" reads its rules.
    return reports.select_related("department", "fiscal_year", "rule_set").prefetch_related(
        "budget_executions",
        Prefetch("projects", queryset=Project.objects.order_by("position", "id")),
        Prefetch(
            "projects__funds",
            queryset=ProjectFund.objects.select_related("funding_source"),
        ),
        # Re-check scores come with their indicators (public/followup.py).
        Prefetch(
            "indicators",
            queryset=Indicator.objects.select_related("recheck").order_by("position", "id"),
        ),
        Prefetch("narratives", queryset=OutcomeNarrative.objects.order_by("position")),
    )


def report_context(report: Report) -> dict:
    """The report page's content, from a report fetched through ``with_report_rows``.

    The one view-model of a report: the page renders it, and so do its Word, PDF and 自评表
    files (evaluations/documents/, docs/design.md "Official documents").
    """
    year = report.fiscal_year.year
    sources = list(FundingSource.objects.filter(kind=FundingSource.Kind.BUDGET))
    executions = list(report.budget_executions.all())
    projects = list(report.projects.all())

    department_indicators: list[Indicator] = []
    project_indicators: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in report.indicators.all():
        if indicator.project_id is None:
            department_indicators.append(indicator)
        else:
            project_indicators[indicator.project_id].append(indicator)

    # Once targets are approved: each indicator's last monitoring progress beside target
    # and actual (one query; none for a year without targets).
    show_progress = report.targets_status == Report.TargetsStatus.APPROVED
    if show_progress:
        progress = monitoring.last_progress(report)
        for indicator in report.indicators.all():
            indicator.last_progress = monitoring.progress_text(progress.get(indicator.pk), indicator.unit)

    rules = report.rules  # the rule set came with the report (with_report_rows)
    budget_sections = _budget_sections(sources, executions, projects, year)
    numbers, toc = _outline(budget_sections)
    project_tables = [
        ProjectTable(p, project_indicators[p.id], project_table(p, project_indicators[p.id], rules))
        for p in projects
        if project_indicators[p.id] or p.funds.all()
    ]
    whole_table = department_table(report, executions, department_indicators, rules)
    return {
        "report": report,
        "revisions": published_revisions(report),
        "year": year,
        "budget_sections": budget_sections,
        "numbers": numbers,
        "toc": toc,
        "projects": projects,
        "project_indicators": project_indicators,
        "narratives": list(report.narratives.all()),
        "department_indicators": department_indicators,
        "department_table": whole_table,
        "project_tables": project_tables,
        "datasets": DATASETS,
        "documents": stored_documents(report),
        # 整改情况, re-check, attachments (templates/evaluations/_followup.html)
        **followup(report, whole_table, [(t.project.name, t.table) for t in project_tables]),
        "show_progress": show_progress,
        # Approved targets' adjustments (public/targets.py); no query for a year without targets.
        "adjustments": approved_adjustments(report) if report.targets_status == "approved" else [],
    }


def _budget_sections(sources, executions, projects, year: int) -> list[BudgetSection]:
    """One numbered section per budget funding source, from section 2 on."""
    by_source = {e.funding_source_id: e for e in executions}
    return [
        BudgetSection(
            number=i, anchor=f"budget-{source.code}",
            title=gettext("%(budget)s支出情况") % {"budget": gettext(source.name)},
            source=source, execution=by_source.get(source.id),
            projects=[p for p in projects if p.funding_source_id == source.id], year=year,
        )
        for i, source in enumerate(sources, start=2)
    ]


def _outline(budget_sections: list[BudgetSection]) -> tuple[dict, list]:
    """The sections' numbers after the budget ones, and the table of contents."""
    after = 2 + len(budget_sections)
    numbers = {
        "performance": after, "problems": after + 1, "improvements": after + 2,
        "application": after + 3, "other": after + 4,
    }
    toc = [("basic", 1, gettext("基本情况"))]
    toc += [(s.anchor, s.number, s.title) for s in budget_sections]
    toc += [
        ("performance", numbers["performance"], gettext("资金使用及绩效情况")),
        ("problems", numbers["problems"], gettext("存在的问题及原因分析")),
        ("improvements", numbers["improvements"], gettext("下一步改进措施")),
        ("application", numbers["application"], gettext("绩效自评结果拟应用和公开情况")),
        ("other", numbers["other"], gettext("其他需要说明的情况")),
    ]
    return numbers, toc


@public_page(lambda department_code: Q(department__code=department_code))
def department_detail(request: HttpRequest, department_code: str) -> HttpResponse:
    reports = list(
        with_summary(published().filter(department__code=department_code))
        .order_by("fiscal_year__year")
    )
    if not reports:
        raise Http404
    department = reports[0].department
    columns, rows = summaries(reports)
    spending_chart = charts.bar_chart(
        "spending-by-year",
        title=gettext("%(department)s历年财政拨款支出（万元）") % {"department": department.name},
        description=gettext("各年度已公开报告的财政拨款支出合计，数据见旁边的表格。"),
        points=[charts.Point(str(r.report.fiscal_year.year), r.total) for r in rows],
    )
    scored = [r for r in rows if r.table.is_scored]
    score_chart = None
    if scored:
        score_chart = charts.line_chart(
            "score-by-year",
            title=gettext("%(department)s历年自评得分") % {"department": department.name},
            description=gettext("各年度部门整体支出绩效自评得分（满分100），数据见旁边的表格。"),
            points=[charts.Point(str(r.report.fiscal_year.year), r.table.total) for r in rows],
            maximum=Decimal("100"),
            value_format=score,
        )
    return render(request, "evaluations/department.html", {
        "department": department, "columns": columns, "rows": rows,
        "latest_first": list(reversed(rows)),
        "spending_chart": spending_chart, "score_chart": score_chart,
        "any_scored": bool(scored),
    })


def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})

