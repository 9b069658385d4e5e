"""The admin of result use and re-checks: budget recommendations per project (with the year's
overview for reviewers), the re-check sample and re-check scores, and the re-check beside
the self scores on the report's page (docs/design.md, "Result use and re-check")."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from evaluations import access, rechecks
from evaluations.admin.cycle import CycleAdminMixin
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.indicators import cached_report_tables
from evaluations.models import (
    Finding,
    FiscalYear,
    Project,
    Recheck,
    RecheckSample,
    Recommendation,
    Report,
)
from indicators.models import Indicator
from indicators.tables import project_table
from indicators.vocabulary import BudgetRecommendation, grade_label, suggested_recommendation

OVERVIEW_PAGE = 100


def _label(code: str | None) -> str:
    return str(BudgetRecommendation(code).label) if code else "—"


# --- Recommendations ------------------------------------------------------------------------


@admin.register(Recommendation)
class RecommendationAdmin(DataAdminMixin, CycleAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["recommendations"]
    export_filters = {"project__report__fiscal_year__id__exact": ("year", None)}
    list_display = ["project", "report", "recommendation", "recorded_by", "recorded_at"]
    list_filter = ["recommendation", "project__report__fiscal_year"]
    list_select_related = ["project__report__department", "project__report__fiscal_year", "recorded_by"]
    search_fields = ["project__name", "project__code", "project__report__department__name", "note"]
    autocomplete_fields = ["project"]
    fields = ["project", "suggested", "recommendation", "note", "recorded_by", "recorded_at"]
    readonly_fields = ["suggested", "recorded_by", "recorded_at"]
    change_list_template = "admin/evaluations/recommendation/change_list.html"

    @admin.display(description=_("报告"))
    def report(self, obj: Recommendation):
        return obj.project.report

    @admin.display(description=_("按等级建议"))
    def suggested(self, obj: Recommendation) -> str:
        if obj.pk is None:
            return gettext("保存后显示；也可在“结果应用一览”中查看。")
        rules = obj.project.report.rules
        table = project_table(obj.project, list(obj.project.indicators.all()), rules)
        suggestion = suggested_recommendation(table.grade, rules)
        return f"{grade_label(table.grade, '—')} → {_label(suggestion)}"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        project_id = request.GET.get("project", "")
        project = (access.restrict(Project.objects.select_related("report__rule_set"), request.user)
                   .filter(pk=project_id).first() if project_id.isdigit() else None)
        if project is not None:
            rules = project.report.rules
            table = project_table(project, list(project.indicators.all()), rules)
            initial["project"] = project.pk
            initial["recommendation"] = suggested_recommendation(table.grade, rules)
        return initial

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path("year/<int:year>/", self.admin_site.admin_view(self.overview_view),
                 name="evaluations_recommendation_year"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        years = FiscalYear.objects.order_by("-year").values_list("year", flat=True)
        extra_context = {**(extra_context or {}), "overview_years": list(years[:10])}
        return super().changelist_view(request, extra_context)

    def overview_view(self, request, year: int):
        """结果应用一览: every project of the year's approved and published reports with its
        grade, the suggestion and what was recorded — for reviewers (view permission)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        projects = access.restrict(Project.objects.all(), request.user).filter(
            report__fiscal_year__year=year, report__status__in=rechecks.SAMPLED_STATUSES,
        ).select_related("report__department", "report__rule_set", "recommendation").prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("position", "id"))
        ).order_by("report__department__code", "position", "id")
        page = Paginator(projects, OVERVIEW_PAGE).get_page(request.GET.get("page"))
        rows = []
        for project in page.object_list:
            rules = project.report.rules  # the report's rule set suggests (select_related)
            table = project_table(project, list(project.indicators.all()), rules)
            suggestion = suggested_recommendation(table.grade, rules)
            recorded = getattr(project, "recommendation", None) if _has_recommendation(project) else None
            rows.append({
                "project": project, "total": table.total, "grade": grade_label(table.grade, "—"),
                "suggested": _label(suggestion),
                "recorded": recorded, "recorded_label": _label(recorded.recommendation if recorded else None),
                "differs": recorded is not None and recorded.recommendation != suggestion,
            })
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "year": year,
            "rows": rows, "page": page, "title": gettext("%(year)s年度结果应用一览") % {"year": year},
            "may_record": self.has_add_permission(request),
        }
        return TemplateResponse(request, "admin/evaluations/recommendation/year.html", context)


def _has_recommendation(project: Project) -> bool:
    try:
        project.recommendation  # noqa: B018  (fetched with select_related: no query)
    except Recommendation.DoesNotExist:
        return False
    return True


# --- Re-checks ------------------------------------------------------------------------------


@admin.register(RecheckSample)
class RecheckSampleAdmin(CycleAdminMixin, SimpleHistoryAdmin):
    """The re-check sample: drawn by ``manage.py sample_recheck``, or reports added by hand."""

    list_display = ["report", "method", "seed", "added_by", "created_at"]
    list_filter = ["method", "report__fiscal_year"]
    list_select_related = ["report__department", "report__fiscal_year", "added_by"]
    search_fields = ["report__department__name", "report__department__code"]
    autocomplete_fields = ["report"]
    fields = ["report", "method", "seed", "added_by", "created_at"]
    readonly_fields = ["method", "seed", "added_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.method, obj.added_by = RecheckSample.Method.MANUAL, request.user
        super().save_model(request, obj, form, change)


class RecheckForm(forms.ModelForm):
    class Meta:
        model = Recheck
        fields = ["indicator", "recheck_score", "note"]

    def clean(self):
        cleaned = super().clean()
        indicator = cleaned.get("indicator")
        if indicator is not None:
            problem = access.why_not_recheck(indicator.report)
            if problem:
                self.add_error("indicator", problem)
        return cleaned


@admin.register(Recheck)
class RecheckAdmin(DataAdminMixin, CycleAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["rechecks"]
    export_filters = {"indicator__report__fiscal_year__id__exact": ("year", None)}
    form = RecheckForm
    list_display = ["indicator", "report", "self_score", "recheck_score", "recorded_by", "recorded_at"]
    list_filter = ["indicator__report__fiscal_year"]
    list_select_related = [
        "indicator__report__department", "indicator__report__fiscal_year", "indicator__project",
        "recorded_by",
    ]
    search_fields = ["indicator__name", "indicator__report__department__name"]
    autocomplete_fields = ["indicator"]
    readonly_fields = ["recorded_by", "recorded_at"]

    @admin.display(description=_("报告"))
    def report(self, obj: Recheck):
        return obj.indicator.report

    @admin.display(description=_("自评得分"))
    def self_score(self, obj: Recheck) -> str:
        # The stored score, as scored under the report's rule set (evaluations/scores.py).
        score = obj.indicator.final_score
        return "—" if score is None else f"{score:.2f}"

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class ReportFollowupMixin:
    """The report page's findings (整改情况) and re-check, from the rows its checks loaded
    (checks.load: findings of this year and last, indicators with their re-checks): read
    there, entered on their own pages. Read-only fields, so the report's form posts nothing
    more."""

    @admin.display(description=_("整改情况"))
    def findings_summary(self, obj: Report) -> str:
        page = cached_report_tables(obj)
        if page is None:
            return "—"
        year = obj.fiscal_year.year
        own = [f for f in page.data.findings if f.report_id == obj.pk]
        carried = [f for f in page.data.findings
                   if f.report.fiscal_year.year == year - 1 and f.status != Finding.Status.VERIFIED]
        return render_to_string("admin/evaluations/report/_findings.html", {
            "findings": own, "carried": carried, "last_year": year - 1, "report": obj,
        })

    @admin.display(description=_("抽查复核"))
    def recheck_summary(self, obj: Report) -> str:
        page = cached_report_tables(obj)
        if page is None:
            return "—"
        found = rechecks.summaries(
            [(gettext("部门整体支出"), page.department)] + [(p.name, t) for p, t in page.projects],
            rechecks.rechecks_of(page.data.indicators),  # loaded with the page's tables
        )
        if not found:
            return gettext("未复核。")
        return render_to_string("evaluations/_recheck.html", {
            "rechecks": found, "recheck_flag_points": rechecks.FLAG_POINTS,
        })
