"""/api/v1/: the API's documentation page, readable without JavaScript.

Above Swagger UI (the sidecar's files from static/, no CDN) the server writes a short
introduction in the visitor's language and the list of endpoints, each with its query
parameters and a link that answers; the paths and parameters are read from the URL conf and
the OpenAPI schema served at /api/v1/schema/ (built once per process), so the list cannot
drift from the API. Swagger UI's icons are data: images: this view alone allows them
(img-src 'self' data:), every other page keeps the site's policy (config/settings.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from csp.decorators import csp_update
from django.urls import get_resolver, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

from evaluations.public.summaries import published

# What each endpoint answers, in the visitor's language (keyed by the URL's name).
SUMMARIES = {
    "years": gettext_lazy("有已公开报告的年度，最近的在前。"),
    "departments": gettext_lazy("有已公开报告的部门，按代码排序；可按年度筛选。"),
    "reports": gettext_lazy("已公开报告的汇总行：各类预算支出、执行率、总分、等级；可按年度、部门、资金来源、等级筛选。"),
    "report": gettext_lazy("一份已公开报告的全部内容：文字、预算、项目及其资金、指标与得分、发现的问题。"),
}
HIDDEN = ("schema", "docs")


@dataclass(frozen=True)
class Endpoint:
    path: str  # as the schema writes it: /api/v1/reports/{year}/{department_code}/
    summary: str
    parameters: tuple[str, ...]
    link: str | None  # a URL that answers, None when there is nothing to show yet


@cache
def _schema_paths() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


def endpoints() -> list[Endpoint]:
    """The API's endpoints in the URL conf's order (evaluations/api/urls.py)."""
    prefix, api = get_resolver().namespace_dict["api"]
    paths = _schema_paths()
    found = []
    for pattern in api.url_patterns:
        if pattern.name in HIDDEN:
            continue
        path = "/" + prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        operation = paths.get(path, {}).get("get", {})
        summary = SUMMARIES.get(pattern.name) or operation.get("description", "")
        parameters = tuple(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
        found.append(Endpoint(path, str(summary), parameters, _link(pattern)))
    return found


def _link(pattern) -> str | None:
    if not pattern.pattern.converters:
        return reverse(f"api:{pattern.name}")
    # A path with parts (one report): the latest published report's, as an example.
    example = published().order_by("-fiscal_year__year", "department__code").values_list(
        "fiscal_year__year", "department__code").first()
    return reverse(f"api:{pattern.name}", args=example) if example else None


@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI below a server-rendered introduction (templates/drf_spectacular/swagger_ui.html)."""

    template_name = "drf_spectacular/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is None:
            response.data["endpoints"] = endpoints()
            response.data["schema_url"] = reverse("api:schema")
        return response
