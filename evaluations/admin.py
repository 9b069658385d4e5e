"""The admin is the data-entry product: a report page with its figures in document order."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import Indicator

from .formatting import amount, percent
from .models import (
    BudgetExecution,
    Department,
    FiscalYear,
    FundingSource,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from .resources import (
    BudgetExecutionsResource,
    DataAdminMixin,
    DepartmentsResource,
    IndicatorsResource,
    NarrativesResource,
    ProjectFundsResource,
    ProjectsResource,
    ReportsResource,
)


@admin.register(Department)
class DepartmentAdmin(DataAdminMixin, ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [DepartmentsResource]
    list_display = ["code", "name", "short_name", "parent"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["staff"]


@admin.register(FiscalYear)
class FiscalYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "is_open"]
    list_editable = ["is_open"]
    search_fields = ["year"]


@admin.register(FundingSource)
class FundingSourceAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


class BudgetExecutionInline(admin.TabularInline):
    model = BudgetExecution
    extra = 0
    fields = [
        "funding_source", "initial_budget", "adjusted_budget", "income",
        "personnel", "public", "basic_display", "project", "expenditure_display",
        "execution_rate_display",
    ]
    readonly_fields = ["basic_display", "expenditure_display", "execution_rate_display"]

    @admin.display(description=_("基本支出"))
    def basic_display(self, obj: BudgetExecution) -> str:
        return amount(obj.basic) if obj.pk else "—"

    @admin.display(description=_("财政拨款支出"))
    def expenditure_display(self, obj: BudgetExecution) -> str:
        return amount(obj.expenditure) if obj.pk else "—"

    @admin.display(description=_("执行率"))
    def execution_rate_display(self, obj: BudgetExecution) -> str:
        return percent(obj.execution_rate) if obj.pk else "—"


class ProjectInline(admin.StackedInline):
    model = Project
    extra = 0
    show_change_link = True
    fields = [
        ("position", "code", "name", "funding_source"),
        ("initial_budget", "adjusted_budget", "expenditure"),
        "goal",
        "outcome",
    ]


class OutcomeNarrativeInline(admin.StackedInline):
    model = OutcomeNarrative
    extra = 0
    fields = [("position", "headline"), "body"]


class ReportIndicatorInline(admin.TabularInline):
    """Department-level indicators (部门整体): those with no project."""

    model = Indicator
    extra = 0
    verbose_name = _("部门整体绩效指标")
    verbose_name_plural = _("部门整体绩效指标")
    fields = [
        "position", "level1", "level2", "name", "nature", "unit", "target_value",
        "target_text", "actual_value", "actual_text", "weight", "tier", "score",
        "applicable", "deviation",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(project__isnull=True)


@admin.register(Report)
class ReportAdmin(DataAdminMixin, ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [
        ReportsResource, BudgetExecutionsResource, ProjectsResource, ProjectFundsResource,
        NarrativesResource, IndicatorsResource,
    ]
    list_display = [
        "department", "fiscal_year", "status", "revision", "project_count", "published_at",
    ]
    list_filter = ["fiscal_year", "status", "department"]
    list_select_related = ["department", "fiscal_year"]
    search_fields = ["department__name", "department__code", "title", "projects__name"]
    autocomplete_fields = ["department"]
    date_hierarchy = "published_at"
    readonly_fields = ["status", "revision", "published_at", "totals"]
    fieldsets = [
        (None, {"fields": [("department", "fiscal_year"), "title", ("status", "revision", "published_at")]}),
        (_("发布信息"), {"fields": [("publisher", "index_number", "document_number")]}),
        (_("一、基本情况"), {"fields": ["profile", "goals"]}),
        (_("二至五、预算支出情况（合计）"), {"fields": ["totals"]}),
        (_("六、资金使用及绩效情况"), {"fields": ["overall_summary", "execution_weight", "execution_explanation"]}),
        (_("七至十"), {"fields": ["problems", "improvements", "result_application", "other_matters"]}),
    ]
    inlines = [BudgetExecutionInline, ProjectInline, OutcomeNarrativeInline, ReportIndicatorInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(project_total=Count("projects", distinct=True))

    @admin.display(description=_("项目数"), ordering="project_total")
    def project_count(self, obj: Report) -> int:
        return getattr(obj, "project_total", 0)

    @admin.display(description=_("合计"))
    def totals(self, obj: Report) -> str:
        if not obj.pk:
            return "—"
        rows = obj.budget_executions.select_related("funding_source")
        project_sum = sum((p.expenditure for p in obj.projects.all()), Decimal("0"))
        lines = [
            (
                row.funding_source.name,
                _("基本支出 %(basic)s ＋ 项目支出 %(project)s ＝ 支出 %(total)s 万元")
                % {"basic": amount(row.basic), "project": amount(row.project), "total": amount(row.expenditure)},
            )
            for row in rows
        ]
        lines.append((_("项目合计"), _("%(total)s 万元") % {"total": amount(project_sum)}))
        return format_html_join("", "<div><strong>{}</strong>：{}</div>", lines)


class ProjectFundInline(admin.TabularInline):
    model = ProjectFund
    extra = 0
    fields = ["funding_source", "initial_budget", "adjusted_budget", "expenditure"]


class ProjectIndicatorInline(admin.TabularInline):
    model = Indicator
    fk_name = "project"
    extra = 0
    fields = ReportIndicatorInline.fields


@admin.register(Project)
class ProjectAdmin(DataAdminMixin, ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [ProjectsResource, ProjectFundsResource, IndicatorsResource]
    list_display = ["name", "code", "report", "funding_source", "expenditure", "execution_rate_display"]
    list_filter = ["report__fiscal_year", "funding_source", "report__department"]
    list_select_related = ["report__department", "report__fiscal_year", "funding_source"]
    search_fields = ["name", "code", "report__department__name"]
    autocomplete_fields = ["report"]
    fields = [
        "report", ("position", "code", "name", "funding_source"),
        ("initial_budget", "adjusted_budget", "expenditure"),
        ("execution_weight", "execution_explanation"),
        "goal", "outcome",
    ]
    inlines = [ProjectFundInline, ProjectIndicatorInline]

    @admin.display(description=_("执行率"))
    def execution_rate_display(self, obj: Project) -> str:
        return percent(obj.execution_rate)

    def save_formset(self, request, form, formset, change):
        # Project indicators belong to the project's report as well.
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Indicator):
                instance.report_id = form.instance.report_id
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(OutcomeNarrative)
class OutcomeNarrativeAdmin(DataAdminMixin, ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [NarrativesResource]
    list_display = ["headline", "position", "report"]
    list_select_related = ["report__department", "report__fiscal_year"]
    search_fields = ["headline", "body"]
    autocomplete_fields = ["report"]
