"""The API's endpoints: years, departments, reports (filtered, paginated) and one report whole.

Published reports only, whoever asks: every query starts from ``Report.objects.published()``
(the public pages' own rule) and nobody signs in here (base.PublicAPIView). Scores are read
through the functions the public pages use (``year_index.year_table``, ``indicators.tables``),
never computed here. Each answer reads a fixed number of queries however many reports,
projects or indicators it covers (tests/evaluations/test_api.py).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from evaluations import datasets as ds
from evaluations.api import params
from evaluations.api import serializers as s
from evaluations.api.base import PublicAPIView, combined, paginate, stamps, version
from evaluations.models import (
    BudgetExecution,
    Department,
    Finding,
    FundingSource,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from evaluations.public.summaries import published
from evaluations.public.year_index import year_table
from indicators import scoring
from indicators.models import Indicator
from indicators.tables import department_table, project_table
from indicators.vocabulary import Grade


class ErrorSerializer(s.serializers.Serializer):
    parameter = s.serializers.CharField(required=False, help_text="the query parameter at fault")
    detail = s.serializers.CharField()


ERRORS = {
    304: OpenApiResponse(description="Not modified (If-None-Match / If-Modified-Since)"),
    400: OpenApiResponse(ErrorSerializer, description="A parameter is unknown or malformed"),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After"),
}


def _list_param(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, description=description + " (comma-separated or repeated)")


PAGE_PARAMS = [
    OpenApiParameter(params.PAGE, int, description="page number, from 1"),
    OpenApiParameter(params.PAGE_SIZE, int, description="rows a page (see API_MAX_PAGE_SIZE)"),
]


def _absolute(request: Request, path: str) -> str:
    return request.build_absolute_uri(path)


# --- Years and departments ----------------------------------------------------------------


class YearList(PublicAPIView):
    """The years with published reports, latest first."""

    allowed_params = params.PAGING

    @extend_schema(operation_id="years_list", parameters=PAGE_PARAMS, responses={200: s.YearPage, **ERRORS})
    def get(self, request: Request) -> Response:
        def build() -> dict:
            counts = list(
                Report.objects.published().values("fiscal_year__year")
                .annotate(reports=Count("pk")).order_by("-fiscal_year__year")
            )
            page = paginate(request, counts)
            rows = [{
                "year": row["fiscal_year__year"], "reports": row["reports"],
                "reports_url": _absolute(request, f"{reverse('api:reports')}?year={row['fiscal_year__year']}"),
                "datapackage_url": _absolute(
                    request, reverse("evaluations:datapackage", args=[row["fiscal_year__year"]])),
            } for row in page.rows]
            return s.YearPage(page.as_dict(rows)).data

        return self.answer(request, version(Q()), build)


class DepartmentList(PublicAPIView):
    """Departments with at least one published report (in ``year``, when given), by code."""

    allowed_params = ("year", *params.PAGING)

    @extend_schema(
        operation_id="departments_list",
        parameters=[_list_param("year", "fiscal years"), *PAGE_PARAMS],
        responses={200: s.DepartmentPage, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        years = params.years(request.query_params)
        reports = Report.objects.published()
        if years:
            reports = reports.filter(fiscal_year__year__in=years)

        def build() -> dict:
            departments = (
                Department.objects.filter(Exists(reports.filter(department=OuterRef("pk"))))
                .select_related("parent").order_by("code")
            )
            page = paginate(request, departments, count=departments.count())
            published_years = defaultdict(list)
            for department_id, year in (
                Report.objects.published().filter(department__in=[d.pk for d in page.rows])
                .order_by("fiscal_year__year").values_list("department_id", "fiscal_year__year")
            ):
                published_years[department_id].append(year)
            rows = [{
                "code": d.code, "name": d.name, "short_name": d.short_name,
                "parent_code": d.parent.code if d.parent else None,
                "years": published_years[d.pk], "html_url": _absolute(request, d.get_absolute_url()),
            } for d in page.rows]
            return s.DepartmentPage(page.as_dict(rows)).data

        scope = Q(fiscal_year__year__in=years) if years else Q()
        return self.answer(request, version(scope), build)


# --- Reports ------------------------------------------------------------------------------


def _budget_codes() -> set[str]:
    return set(
        FundingSource.objects.filter(kind=FundingSource.Kind.BUDGET).values_list("code", flat=True)
    )


def _published_years() -> list[int]:
    return list(
        Report.objects.published().order_by("-fiscal_year__year")
        .values_list("fiscal_year__year", flat=True).distinct()
    )


class ReportList(PublicAPIView):
    """Published reports as summary rows (spending by budget, execution rate, total score,
    grade), latest year first, then by department code. The rows are the year index's
    (year_index.year_table), kept per version stamp, so a page costs a stamp and a slice;
    a plain listing's page is rendered once per stamp and shared by every app server."""

    allowed_params = ("year", "department", "funding_source", "grade", *params.PAGING)

    @extend_schema(
        operation_id="reports_list",
        parameters=[
            _list_param("year", "fiscal years"),
            _list_param("department", "department codes"),
            _list_param("funding_source", "budget codes (general, fund, …): reports spending from it"),
            _list_param("grade", "grades: excellent, good, fair, poor"),
            *PAGE_PARAMS,
        ],
        responses={200: s.ReportPage, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        years = params.years(query)
        departments = set(params.codes(query, "department"))
        sources = params.codes(query, "funding_source", known=_budget_codes()) \
            if "funding_source" in query else []
        grades = set(params.codes(query, "grade", known=set(Grade.values)))
        params.page_size(query)  # checked before any work
        years = sorted(set(years), reverse=True) if years else _published_years()
        year_stamps = stamps(*(Q(fiscal_year__year=year) for year in years))

        def build() -> dict:
            rows = []
            for year, stamp in zip(years, year_stamps, strict=True):
                table = year_table(year, stamp) if stamp is not None else None
                if table is None:
                    continue
                source_ids = {c.id for c in table.columns if c.code in sources}
                rows += [
                    (year, table, row) for row in table.sorted_rows("department", False)[1]
                    if (not departments or row.code in departments)
                    and (not sources or source_ids & row.by_source.keys())
                    and (not grades or row.grade in grades)
                ]
            page = paginate(request, rows)
            return s.ReportPage(page.as_dict([_summary(request, *r) for r in page.rows])).data

        return self.answer(request, combined(year_stamps), build, shared=_shared_listing(query))


def _shared_listing(query) -> dict[str, str] | None:
    """The cleaned query of a plain listing (one year or all, a page at the default size),
    which the shared cache keeps (base.PublicAPIView.answer); None for a filtered one,
    answered from this process's year tables instead: a department code or a page size
    can take any value, and each would be a cache row (issue 15.8)."""
    if set(query) - {"year", params.PAGE} or len(params.years(query)) > 1:
        return None
    shared = {}
    if params.years(query):
        shared["year"] = str(params.years(query)[0])
    if params.page_number(query) != 1:
        shared[params.PAGE] = str(params.page_number(query))
    return shared


def _summary(request: Request, year: int, table, row) -> dict:
    return {
        "year": year, "department_code": row.code, "department_name": row.name,
        "budgets": [
            {"funding_source": c.code, "expenditure": row.by_source[c.id]}
            for c in table.columns if c.id in row.by_source
        ],
        "total_expenditure": row.total, "execution_rate": row.execution_rate,
        "total_score": row.score, "grade": row.grade,
        "links": {
            "api": _absolute(request, reverse("api:report", args=[year, row.code])),
            "html": _absolute(request, row.url),
        },
    }


class ReportDetail(PublicAPIView):
    """One published report whole: texts, budgets, projects with their funds, indicators and
    scores, the department's indicators, the numbered narratives, findings, and its scores."""

    @extend_schema(operation_id="report_detail", responses={200: s.ReportDetail, 404: OpenApiResponse(ErrorSerializer), **ERRORS})
    def get(self, request: Request, year: int, department_code: str) -> Response:
        stamp = version(Q(fiscal_year__year=year, department__code=department_code))
        if stamp.etag is None:
            raise Http404
        return self.answer(request, stamp, lambda: s.ReportDetail(
            report_document(request, year, department_code)).data,
            shared=None if request.query_params else {})


def report_document(request: Request, year: int, department_code: str) -> dict:
    report = (
        published().prefetch_related(
            Prefetch("budget_executions",
                     queryset=BudgetExecution.objects.select_related("funding_source")),
            Prefetch("projects", queryset=Project.objects.select_related("funding_source")
                     .order_by("position", "id")),
            Prefetch("projects__funds", queryset=ProjectFund.objects.select_related("funding_source")),
            Prefetch("indicators", queryset=Indicator.objects.order_by("position", "id")),
            Prefetch("narratives", queryset=OutcomeNarrative.objects.order_by("position")),
            Prefetch("findings", queryset=Finding.objects.order_by("position", "id")),
        ).filter(fiscal_year__year=year, department__code=department_code).first()
    )
    if report is None:  # withdrawn between the stamp and now
        raise Http404
    executions = list(report.budget_executions.all())
    own, by_project = [], defaultdict(list)
    for indicator in report.indicators.all():
        (by_project[indicator.project_id] if indicator.project_id else own).append(indicator)
    return {
        "year": year, "department_code": report.department.code,
        "department_name": report.department.name, "title": str(report.display_title),
        "revision": report.revision, "published_at": report.published_at,
        "texts": {c.key: getattr(report, c.key) for c in ds.REPORTS.columns if c.field},
        "scores": _scores(department_table(report, executions, own, report.rules)),
        "budgets": [_budget(e) for e in executions],
        "projects": [_project(p, by_project[p.id], report.rules) for p in report.projects.all()],
        "indicators": _indicators(department_table(report, executions, own, report.rules)),
        "narratives": [
            {"position": n.position, "headline": n.headline, "body": n.body}
            for n in report.narratives.all()
        ],
        "findings": findings_of(report),
        "links": {
            "api": _absolute(request, reverse("api:report", args=[year, department_code])),
            "html": _absolute(request, report.get_absolute_url()),
        },
    }


def findings_of(report: Report) -> list[dict]:
    """整改 findings of a published report (prefetched), as the `findings` dataset's columns:
    position, source, description, measure, owner, due_date, status (codes, as the CSV)."""
    return [
        {
            "position": f.position, "source": f.source, "description": f.description,
            "measure": f.measure, "owner": f.owner, "due_date": f.due_date, "status": f.status,
        }
        for f in report.findings.all()
    ]


def _scores(table) -> dict:
    return {
        "execution_rate": table.execution_rate, "execution_score": table.execution_score,
        "total_score": table.total, "grade": table.grade,
    }


def _budget(e: BudgetExecution) -> dict:
    return {
        "funding_source": e.funding_source.code, "funding_source_name": e.funding_source.name,
        **{name: getattr(e, name) for name in (
            "initial_budget", "adjusted_budget", "income", "personnel", "public", "project",
            "basic", "expenditure", "execution_rate")},
    }


def _project(project: Project, indicators: list[Indicator], rules: scoring.Rules) -> dict:
    table = project_table(project, indicators, rules)
    return {
        **{name: getattr(project, name) for name in (
            "code", "name", "initial_budget", "adjusted_budget", "expenditure", "goal", "outcome")},
        "funding_source": project.funding_source.code,
        "funds": [{
            "funding_source": f.funding_source.code, "initial_budget": f.initial_budget,
            "adjusted_budget": f.adjusted_budget, "expenditure": f.expenditure,
        } for f in project.funds.all()],
        "indicators": _indicators(table),
        "scores": _scores(table),
    }


INDICATOR_FIELDS = (
    "level1", "level2", "name", "nature", "unit", "target_value", "target_text", "actual_value",
    "actual_text", "weight", "tier", "applicable", "score", "deviation",
)


def _indicators(table) -> list[dict]:
    return [
        {**{name: getattr(row.indicator, name) for name in INDICATOR_FIELDS},
         "final_score": row.score}
        for row in table.indicators
    ]
