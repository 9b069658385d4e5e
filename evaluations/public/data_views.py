"""Data out: auditors' streamed exports, the public open-data pages, import templates."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.db_router import public_reads
from evaluations import access
from evaluations import datasets as ds
from evaluations.exports.delivery import attachment, failing_loudly
from evaluations.exports.streams import ExportFilters, csv_text, stream_csv_bytes, template_csv
from evaluations.models import Department, FundingSource, Report
from evaluations.public.datapackage import data_package
from evaluations.public.stamp import current_stamp, public_page
from evaluations.public.year_index import year_table
from indicators.models import RuleSet
from indicators.vocabulary import grade_label

CSV_TYPE = "text/csv; charset=utf-8"


def _dataset(name: str) -> ds.Dataset:
    try:
        return ds.get_dataset(name)
    except KeyError:
        raise Http404(name) from None


def _values(request: HttpRequest, name: str) -> list[str]:
    """A repeatable query parameter; ``?year=2022,2023`` and ``?year=2022&year=2023`` both work."""
    return [v.strip() for raw in request.GET.getlist(name) for v in raw.split(",") if v.strip()]


def _header(request: HttpRequest) -> str:
    return "keys" if request.GET.get("header") == "keys" else "labels"


BOM_YES, BOM_NO = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


def _bom(request: HttpRequest, default: bool = False) -> bool:
    value = request.GET.get("bom")
    if value is None:
        return default
    return value.lower() in BOM_YES


def refused_parameters(request: HttpRequest, *names: str) -> HttpResponse | None:
    """A 400 naming the first query parameter of ``names`` (and header, bom) that no row could
    match: ``?department=nosuch`` or ``?year=abc`` gave a file of headers alone, which an
    auditor reads as "no such rows" (the trust review). None when all may be answered."""
    problem = None
    for value in _values(request, "year") if "year" in names else ():
        if not (value.isascii() and value.isdigit() and 0 < int(value) < 10_000):
            problem = gettext("参数 year 应为年份，如 2022；读到“%(value)s”。") % {"value": value[:40]}
            break
    known = {
        "department": lambda codes: set(Department.objects.filter(code__in=codes).values_list("code", flat=True)),
        "funding_source": lambda codes: set(FundingSource.objects.filter(code__in=codes).values_list("code", flat=True)),
        "status": lambda codes: set(codes) & set(Report.Status.values),
    }
    for name, found in known.items():
        wanted = _values(request, name) if name in names and problem is None else []
        unknown = sorted(set(wanted) - found(wanted)) if wanted else []
        if unknown:
            problem = gettext("参数 %(name)s：没有“%(value)s”。") % {"name": name, "value": unknown[0][:40]}
    if problem is None and request.GET.get("header", "labels") not in ("labels", "keys"):
        problem = gettext("参数 header 应为 labels 或 keys。")
    if problem is None and request.GET.get("bom", "0").lower() not in BOM_YES | BOM_NO:
        problem = gettext("参数 bom 应为 1 或 0。")
    if problem is None:
        return None
    return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")


def download_name(data: ds.Dataset, years: list[int], what: str = "") -> str:
    """"2022年度绩效指标.csv": the year(s) and the dataset, as a person would name the file."""
    label = str(data.label) + what
    if not years:
        return gettext("%(dataset)s（全部年度）.csv") % {"dataset": label}
    return gettext("%(years)s年度%(dataset)s.csv") % {
        "years": "、".join(str(y) for y in years), "dataset": label,
    }


def _csv_response(request: HttpRequest, pieces, filename: str, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(failing_loudly(pieces, request.META), content_type=CSV_TYPE)
    response["Content-Disposition"] = attachment(filename, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Auditors' files hold drafts: no browser or proxy may keep a copy (issue 15.16).
@never_cache
@require_GET
@login_required
def export_csv(request: HttpRequest, dataset: str) -> StreamingHttpResponse:
    """`/exports/<dataset>.csv`: every matching row, for users with evaluations.export_data."""
    if not access.has_permission(request.user, access.EXPORT_DATA):
        raise PermissionDenied
    data = _dataset(dataset)
    refused = refused_parameters(request, "year", "department", "funding_source", "status")
    if refused is not None:
        return refused
    years = [int(y) for y in _values(request, "year")]
    filters = ExportFilters(
        years=years,
        departments=_values(request, "department"),
        funding_sources=_values(request, "funding_source"),
        statuses=_values(request, "status"),
        user=request.user,
    )
    suffix = "-".join(str(y) for y in years) if years else ""
    filename = f"{data.name}{'-' + suffix if suffix else ''}.csv"
    return _csv_response(
        request, stream_csv_bytes(data, filters, header=_header(request), bom=_bom(request)),
        filename, download_name(data, [y for y in years if y > 0]),
    )


@never_cache
@require_GET
@login_required
def template(request: HttpRequest, dataset: str) -> HttpResponse:
    """An empty import file for a dataset: its header row (with a BOM, for Excel)."""
    user = request.user
    if not (access.has_permission(user, access.IMPORT_DATA)
            or access.has_permission(user, access.EXPORT_DATA)):
        raise PermissionDenied
    data = _dataset(dataset)
    response = HttpResponse(
        template_csv(data, header=_header(request), bom=_bom(request, default=True)).encode("utf-8"),
        content_type=CSV_TYPE,
    )
    response["Content-Disposition"] = attachment(
        f"{data.name}-template.csv", gettext("%(dataset)s导入模板.csv") % {"dataset": data.label}
    )
    return response


def _published_years() -> list[int]:
    return list(
        Report.objects.published()
        .order_by("-fiscal_year__year")
        .values_list("fiscal_year__year", flat=True)
        .distinct()
    )


@require_GET
@public_reads
def data_index(request: HttpRequest) -> HttpResponse:
    """`/data/`: the published datasets per year and the data dictionary."""
    return render(
        request, "evaluations/data_index.html",
        {
            "years": _published_years(), "dictionary": data_dictionary(),
            "open_data": ds.OPEN_DATA,  # the files offered; the dictionary describes every dataset
            # Each rule set's parameters: what the score columns were computed under.
            "rule_sets": list(RuleSet.objects.order_by("code")),
        },
    )


def data_dictionary() -> list[dict]:
    """Every dataset with its columns and their codes, for `/data/` (one query, for sources)."""
    sources = list(FundingSource.objects.values_list("kind", "code", "name"))
    dictionary = []
    for dataset in ds.DATASETS.values():
        columns = []
        for column in dataset.columns:
            if column.type == ds.FUNDING_SOURCE:
                codes = [(code, name) for kind, code, name in sources if kind == column.source_kind]
            else:
                codes = list(column.choices)
            columns.append({"column": column, "type": ds.TYPE_LABELS[column.type], "codes": codes})
        dictionary.append({"dataset": dataset, "columns": columns})
    return dictionary


def _year_scope(year: int) -> Q:
    return Q(fiscal_year__year=year)


@require_GET
@public_page(_year_scope)
def datapackage(request: HttpRequest, year: int) -> HttpResponse:
    """`/data/<year>/datapackage.json`: the year's CSV files as a Frictionless data package."""
    if not Report.objects.published().filter(fiscal_year__year=year).exists():
        raise Http404(year)
    response = JsonResponse(data_package(year), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@public_reads
def data_csv(request: HttpRequest, year: int, dataset: str) -> StreamingHttpResponse:
    """`/data/<year>/<dataset>.csv`: one dataset of one year's published reports only."""
    data = _dataset(dataset)
    if not data.public:  # reviewers' notes (recommendations) are not open data
        raise Http404(dataset)
    if not Report.objects.published().filter(fiscal_year__year=year).exists():
        raise Http404(year)
    refused = refused_parameters(request, "department")
    if refused is not None:
        return refused
    filters = ExportFilters(
        years=[year], departments=_values(request, "department"), published_only=True
    )
    return _csv_response(
        request, stream_csv_bytes(data, filters, header=_header(request), bom=_bom(request)),
        f"{data.name}-{year}.csv", download_name(data, [year]),
    )


@require_GET
@public_page(_year_scope)
def year_table_csv(request: HttpRequest, year: int) -> HttpResponse:
    """`/reports/<year>/table.csv`: the year index's whole table in one file (the page shows
    it a page at a time): every published report by department code, spending by budget,
    total, score and grade, as the page prints them. From the year's rows kept per stamp,
    rendered once per stamp like the page. With a BOM: this is the page's table for people
    opening it in a spreadsheet (the datasets under /data/ are for programs)."""
    table = year_table(year, current_stamp(request))
    if table is None:
        raise Http404(year)
    with translation.override(settings.LANGUAGE_CODE):  # files in the site's language
        head = [gettext("部门编码"), gettext("部门"), *(gettext(s.name) for s in table.columns),
                gettext("合计"), gettext("自评得分"), gettext("评价等级")]
        rows = [[
            ds.make_inert(row.code), ds.make_inert(row.name),
            *("" if cell is None else ds.format_decimal(ds.AMOUNT, cell) for cell in row.cells),
            ds.format_decimal(ds.AMOUNT, row.total),
            "" if row.score is None else ds.format_decimal(ds.POINTS, row.score),
            grade_label(row.grade),
        ] for row in table.rows]
        name = gettext("%(year)s年度各部门支出和自评结果.csv") % {"year": year}
    response = HttpResponse(csv_text(head, rows, bom=True), content_type=CSV_TYPE)
    response["Content-Disposition"] = attachment(f"reports-{year}-table.csv", name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
