"""Indicator inlines and 自评表 summaries for the report and project admin pages.

Scores come from ``indicators.tables`` (never re-computed here). Each page loads its tables
once, with a fixed number of queries, and keeps them on the object being edited, which the
admin builds afresh for every request; the inline instances are per request as well.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.formatting import join_names, with_reason
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.mixins import ReadableUniqueFormSet, ScopedAdminMixin, ScopedInlineMixin
from indicators import scoring
from indicators.models import Grade, Indicator
from indicators.tables import SelfEvaluationTable, department_table, project_table

if TYPE_CHECKING:
    from evaluations.models import Project, Report

_CACHE_ATTR = "_self_evaluation_tables"


@dataclass
class ReportTables:
    """The department's table and every project's (in document order), of one report."""

    department: SelfEvaluationTable
    projects: list[tuple[Project, SelfEvaluationTable]]
    budget_executions: list  # the rows the department table added up, funding source loaded

    def for_project(self, pk: int) -> SelfEvaluationTable | None:
        if not hasattr(self, "_by_pk"):
            self._by_pk = {project.pk: table for project, table in self.projects}
        return self._by_pk.get(pk)


def load_report_tables(report: Report) -> ReportTables:
    """Every 自评表 of a saved report, in three queries whatever its size."""
    budget_executions = list(report.budget_executions.select_related("funding_source"))
    projects = list(report.projects.all())
    by_project: dict[int | None, list[Indicator]] = defaultdict(list)
    for indicator in Indicator.objects.filter(report=report).order_by("position", "id"):
        by_project[indicator.project_id].append(indicator)
    return ReportTables(
        department=department_table(report, budget_executions, by_project[None]),
        projects=[(p, project_table(p, by_project[p.pk])) for p in projects],
        budget_executions=budget_executions,
    )


def load_project_table(project: Project) -> SelfEvaluationTable:
    """A saved project's 自评表, in one query."""
    return project_table(project, list(project.indicators.order_by("position", "id")))


def cached_report_tables(report) -> ReportTables | None:
    if report is None or report.pk is None:
        return None
    if _CACHE_ATTR not in report.__dict__:
        report.__dict__[_CACHE_ATTR] = load_report_tables(report)
    return report.__dict__[_CACHE_ATTR]


def cached_project_table(project) -> SelfEvaluationTable | None:
    if project is None or project.pk is None:
        return None
    if _CACHE_ATTR not in project.__dict__:
        project.__dict__[_CACHE_ATTR] = load_project_table(project)
    return project.__dict__[_CACHE_ATTR]


# --- Checks shown after save -------------------------------------------------------------


def weights_difference(
    table: SelfEvaluationTable, expected: Decimal = scoring.HUNDRED
) -> tuple[Decimal, Decimal] | None:
    """(entered, expected) when a table's weights do not add up, else None.

    Only tables with weights are checked (unweighted targets are a list, not a score).
    Not-applicable rows count: the form allots 100 before the total is rescaled.
    """
    weighted = [s.indicator for s in table.indicators if s.indicator.weight is not None]
    if not weighted:
        return None
    by_level1: dict[str, Decimal] = defaultdict(Decimal)
    for indicator in weighted:
        if indicator.level1 in scoring.LEVEL1_CODES:
            by_level1[indicator.level1] += indicator.weight
    difference = scoring.weights_mismatch(by_level1, table.execution_weight, expected)
    if difference is None:
        return None
    return expected + difference, expected


def missing_deviation(table: SelfEvaluationTable) -> list[Indicator]:
    """Indicators that miss their target and give no deviation reason yet."""
    return [s.indicator for s in table.indicators if s.missed and not s.indicator.deviation.strip()]


def warn_about_tables(request, tables: Iterable[tuple[str, SelfEvaluationTable]]) -> None:
    """Flag, without blocking the save, what submission will later require."""
    for label, table in tables:
        difference = weights_difference(table)
        if difference is not None:
            messages.warning(
                request,
                gettext("%(table)s：分值合计为 %(entered)s，应为 %(expected)s。")
                % {"table": label, "entered": f"{difference[0]:.2f}", "expected": f"{difference[1]:.2f}"},
            )
        out_of_band = [s for s in table.indicators if s.error]
        if out_of_band:
            # Only data that bypassed the form (an import) can get here; the form rejects it.
            messages.warning(
                request,
                gettext("%(table)s：以下定性指标的得分超出其档次区间，未计分：%(names)s。")
                % {
                    "table": label,
                    "names": join_names(with_reason(s.indicator.name, s.error) for s in out_of_band),
                },
            )
        missed = missing_deviation(table)
        if missed:
            messages.warning(
                request,
                gettext("%(table)s：以下指标未完成目标，提交前须填写偏差原因分析及改进措施：%(names)s。")
                % {"table": label, "names": join_names(i.name for i in missed)},
            )


def department_table_label() -> str:
    return gettext("部门整体支出绩效自评表")


def project_table_label(project) -> str:
    return gettext("“%(project)s”项目支出绩效自评表") % {"project": project.name}


# --- Display -----------------------------------------------------------------------------


def _two(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def grade_label(code: str | None) -> str:
    return Grade(code).label if code else "—"


def total_display(table: SelfEvaluationTable | None) -> str:
    """"95.03（优）", or a dash while nothing is weighted."""
    if table is None or not table.is_scored:
        return "—"
    return format_html("<strong>{}</strong>（{}）", _two(table.total), grade_label(table.grade))


def table_summary(table: SelfEvaluationTable | None, *, explained: bool = False) -> str:
    """The summary lines of a 自评表 for a read-only admin field.

    ``explained``: a low execution rate has its explanation already.
    """
    if table is None:
        return gettext("保存后显示。")
    rate = "—" if table.execution_rate is None else f"{table.execution_rate:.2f}%"
    lines = [
        (gettext("全年预算数"), _two(table.adjusted_budget)),
        (gettext("全年执行数"), _two(table.expenditure)),
        (gettext("执行率"), rate),
        (gettext("执行率得分"), f"{_two(table.execution_score)} / {_two(table.execution_weight)}"),
    ]
    if table.is_scored:
        lines.append((gettext("总分"), _two(table.total)))
        lines.append((gettext("评价等级"), grade_label(table.grade)))
    else:
        lines.append((gettext("总分"), gettext("未设分值，不计分")))
    html = format_html_join("", "<div><strong>{}</strong>：{}</div>", lines)
    warnings = []
    difference = weights_difference(table)
    if difference is not None:
        warnings.append(
            gettext("分值合计为 %(entered)s，应为 %(expected)s。")
            % {"entered": f"{difference[0]:.2f}", "expected": f"{difference[1]:.2f}"}
        )
    if scoring.needs_execution_explanation(table.execution_rate) and not explained:
        warnings.append(gettext("执行率低于90%，须说明原因。"))
    missed = missing_deviation(table)
    if missed:
        warnings.append(
            gettext("%(count)s 项指标未完成目标且缺少偏差原因。") % {"count": len(missed)}
        )
    return html + format_html_join("", '<div class="errornote">⚠ {}</div>', ((w,) for w in warnings))


# --- Inlines -----------------------------------------------------------------------------

INDICATOR_FIELDS = [
    "position", "level1", "level2", "name", "nature", "unit", "target_value",
    "target_text", "actual_value", "actual_text", "weight", "tier", "score",
    "applicable", "deviation", "final_score_display", "check_display",
]


class IndicatorFormSet(ReadableUniqueFormSet):
    """Refuses two rows of one table at the same position, with the constraint's message.

    The position constraints are conditional (department rows: no project), which Django's
    formset uniqueness check skips; without this a duplicate reached the database as an
    IntegrityError. The formset holds every row of its table, so checking the positions the
    rows will have is enough; renumbering in one save works (see ReadableUniqueFormSet).
    """

    constraint_name = ""

    def clean(self):
        super().clean()
        constraint = next(c for c in Indicator._meta.constraints if c.name == self.constraint_name)
        seen: set = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or self._should_delete_form(form):
                continue
            position = form.cleaned_data.get("position")
            if position is None:
                continue
            if position in seen:
                form.add_error("position", constraint.violation_error_message)
            seen.add(position)


class ReportIndicatorFormSet(IndicatorFormSet):
    constraint_name = "indicator_unique_position_per_report"


class ProjectIndicatorFormSet(IndicatorFormSet):
    constraint_name = "indicator_unique_position_per_project"


class IndicatorInlineBase(ScopedInlineMixin, admin.TabularInline):
    """An indicator row with its computed score and what it still lacks, read-only."""

    model = Indicator
    extra = 0
    ordering = ["position", "id"]
    fields = INDICATOR_FIELDS
    readonly_fields = ["final_score_display", "check_display"]

    parent = None  # the report or project being edited; this instance lives for one request

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_formset(self, request, obj=None, **kwargs):
        self.parent = obj
        return super().get_formset(request, obj, **kwargs)

    def table(self) -> SelfEvaluationTable | None:
        raise NotImplementedError

    def _scored(self, obj: Indicator):
        table = self.table() if obj.pk else None
        if table is None:
            return None
        # Built once per page; each row only looks itself up.
        if not hasattr(self, "_by_pk"):
            self._by_pk = {s.indicator.pk: s for s in table.indicators}
        return self._by_pk.get(obj.pk)

    @admin.display(description=_("计算得分"))
    def final_score_display(self, obj: Indicator) -> str:
        scored = self._scored(obj)
        if scored is None:
            return "—"
        if scored.error:
            return format_html(
                '<strong class="indicator-flag">⚠ {}</strong>',
                gettext("超出区间 %(band)s") % {"band": scored.error},
            )
        if scored.score is None:
            if not obj.applicable:
                return gettext("不适用")
            return gettext("不计分") if obj.weight is None else "—"
        return _two(scored.score)

    @admin.display(description=_("提示"))
    def check_display(self, obj: Indicator) -> str:
        scored = self._scored(obj)
        if scored is not None and scored.missed and not obj.deviation.strip():
            return format_html(
                '<strong class="indicator-flag" title="{}">⚠ {}</strong>',
                gettext("提交前须填写偏差原因分析及改进措施。"),
                gettext("未完成目标，缺偏差原因"),
            )
        return ""


class ReportIndicatorInline(IndicatorInlineBase):
    """Department-level indicators (部门整体): those with no project."""

    verbose_name = _("部门整体绩效指标")
    verbose_name_plural = _("部门整体绩效指标")
    formset = ReportIndicatorFormSet

    def get_queryset(self, request):
        return super().get_queryset(request).filter(project__isnull=True)

    def table(self) -> SelfEvaluationTable | None:
        tables = cached_report_tables(self.parent)
        return tables.department if tables else None


class ProjectIndicatorInline(IndicatorInlineBase):
    """A project's own indicators; they belong to the project's report too (set on save)."""

    fk_name = "project"
    formset = ProjectIndicatorFormSet

    def table(self) -> SelfEvaluationTable | None:
        return cached_project_table(self.parent)


class ProjectScoreInlineMixin:
    """For the projects inline on the report page: each project's total and grade."""

    parent = None

    def get_formset(self, request, obj=None, **kwargs):
        self.parent = obj
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description=_("自评总分"))
    def self_evaluation_total(self, obj) -> str:
        tables = cached_report_tables(self.parent) if obj.pk else None
        if tables is None:
            return "—"
        return total_display(tables.for_project(obj.pk))


# --- Model admin mixins ------------------------------------------------------------------


class ReportScoringMixin:
    """The department's 自评表 summary on the report page, and checks after each save."""

    @admin.display(description=_("部门整体支出绩效自评表"))
    def self_evaluation(self, obj) -> str:
        tables = cached_report_tables(obj)
        return table_summary(
            tables.department if tables else None,
            explained=bool(obj.execution_explanation.strip()),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        tables = load_report_tables(form.instance)
        warn_about_tables(
            request,
            [(department_table_label(), tables.department)]
            + [(project_table_label(project), table) for project, table in tables.projects],
        )


class ProjectScoringMixin:
    """The project's 自评表 summary on the project page, and checks after each save."""

    @admin.display(description=_("项目支出绩效自评表"))
    def self_evaluation(self, obj) -> str:
        return table_summary(
            cached_project_table(obj), explained=bool(obj.execution_explanation.strip())
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        project = form.instance
        warn_about_tables(request, [(project_table_label(project), load_project_table(project))])


# --- The indicator list -------------------------------------------------------------------


@admin.register(Indicator)
class IndicatorAdmin(DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["indicators"]
    export_filters = {
        "report__fiscal_year__id__exact": ("year", None),
        "report__department__id__exact": ("department", None),
    }
    list_display = ["name", "report", "project", "level1", "level2", "weight", "applicable"]
    list_filter = [
        "level1", "level2", "report__fiscal_year",
        ("report__department", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["report__department", "report__fiscal_year", "project"]
    search_fields = ["name", "report__department__name", "project__name"]
    autocomplete_fields = ["report", "project"]
    fields = [
        ("report", "project"), ("level1", "level2", "position"), "name",
        ("nature", "unit"), ("target_value", "target_text"), ("actual_value", "actual_text"),
        ("weight", "tier", "score", "applicable"), "deviation",
    ]

    def save_model(self, request, obj, form, change):
        # A project's indicator belongs to that project's report.
        if obj.project_id is not None:
            obj.report_id = obj.project.report_id
        super().save_model(request, obj, form, change)
