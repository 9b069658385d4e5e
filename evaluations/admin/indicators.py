"""Indicator inlines, 自评表 summaries and consistency findings on the report and project pages.

Scores come from ``indicators.tables`` and findings from ``evaluations.checks`` (never decided
here): each page loads its rows once through ``checks``, with a fixed number of queries, and
keeps the tables and findings on the object being edited, which the admin builds afresh for
every request; the inline instances are per request as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.formatting import amount, percent
from evaluations import checks
from evaluations.admin.anchors import LinkedFinding, link_findings
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.mixins import ReadableUniqueFormSet, ScopedAdminMixin, ScopedInlineMixin
from evaluations.admin.year_end import PROGRESS_FIELD, LastProgressMixin
from indicators.models import Indicator
from indicators.tables import SelfEvaluationTable
from indicators.vocabulary import grade_label

if TYPE_CHECKING:
    from evaluations.models import Project, Report

_CACHE_ATTR = "_page_checks"


@dataclass
class PageChecks:
    """A report's (or one project's) rows as the checks read them, their 自评表s and findings."""

    data: checks.ReportData
    findings: list[checks.Finding]

    @property
    def department(self) -> SelfEvaluationTable:
        return self.data.department_table

    @property
    def projects(self) -> list[tuple[Project, SelfEvaluationTable]]:
        """Every project's table, in document order."""
        return [(project, self.data.project_table(project)) for project in self.data.projects]

    @property
    def budget_executions(self):
        """The rows the department table added up, funding source loaded."""
        return self.data.budget_executions

    @cached_property
    def _projects_by_pk(self) -> dict[int, Project]:
        return {project.pk: project for project in self.data.projects}

    def for_project(self, pk: int) -> SelfEvaluationTable | None:
        project = self._projects_by_pk.get(pk)
        return None if project is None else self.data.project_table(project)

    @cached_property
    def missing_deviation(self) -> set[int]:
        """Indicators whose missed target still lacks a deviation reason (a check's finding)."""
        return {
            f.indicator_id for f in self.findings
            if f.code == checks.DEVIATION_MISSING and f.indicator_id is not None
        }


def cached_report_tables(report: Report | None) -> PageChecks | None:
    """A saved report's tables and findings, loaded once per request (checks.load's queries)."""
    if report is None or report.pk is None:
        return None
    if _CACHE_ATTR not in report.__dict__:
        data = checks.load(report)
        report.__dict__[_CACHE_ATTR] = PageChecks(data, checks.run_checks(data))
    return report.__dict__[_CACHE_ATTR]


def cached_project_checks(project: Project | None) -> PageChecks | None:
    """A saved project's table and findings, loaded once per request (checks.load_project's queries)."""
    if project is None or project.pk is None:
        return None
    if _CACHE_ATTR not in project.__dict__:
        data = checks.load_project(project)
        project.__dict__[_CACHE_ATTR] = PageChecks(data, checks.project_findings(data, project.pk))
    return project.__dict__[_CACHE_ATTR]


def findings_context(findings: list[LinkedFinding]) -> dict:
    """What admin/evaluations/_findings.html renders: findings linked to their fields."""
    return {
        "errors": [f for f in findings if f.finding.is_error],
        "warnings": [f for f in findings if not f.finding.is_error],
    }


def flag_errors(request, findings: list[checks.Finding]) -> None:
    """After a save: what submission will refuse, flagged without blocking the save. Back on
    the same page (保存并继续编辑), whose checks box lists them all, it is one line: each error
    was a message of its own above that box, every check twice (the cycle review)."""
    errors = checks.errors(findings)
    if not errors:
        return
    if "_continue" not in request.POST:  # off to the list: the messages are all it shows
        for finding in errors:
            messages.warning(request, finding.message)
    else:
        messages.warning(request, ngettext(
            "已保存。提交前还需改正 %(count)s 处错误：%(first)s",
            "已保存。提交前还需改正 %(count)s 处错误，第一处：%(first)s（全部列在页面的检查结果中）",
            len(errors),
        ) % {"count": len(errors), "first": errors[0].message})


# --- Display -----------------------------------------------------------------------------


def _two(value: Decimal | None) -> str:
    return "—" if value is None else amount(value)


def total_display(table: SelfEvaluationTable | None) -> str:
    """"95.03（优）", or a dash while nothing is weighted."""
    if table is None or not table.is_scored:
        return "—"
    return format_html("<strong>{}</strong>（{}）", _two(table.total), grade_label(table.grade, "—"))


def table_summary(table: SelfEvaluationTable | None) -> str:
    """The summary lines of a 自评表 for a read-only admin field (its findings are listed
    at the top of the page, as evaluations/checks/ words them)."""
    if table is None:
        return gettext("保存后显示。")
    rate = percent(table.execution_rate)
    lines = [
        (gettext("全年预算数"), _two(table.adjusted_budget)),
        (gettext("全年执行数"), _two(table.expenditure)),
        (gettext("执行率"), rate),
        (gettext("执行率得分"), f"{_two(table.execution_score)} / {_two(table.execution_weight)}"),
    ]
    if table.is_scored:
        lines.append((gettext("总分"), _two(table.total)))
        lines.append((gettext("评价等级"), grade_label(table.grade, "—")))
    else:
        lines.append((gettext("总分"), gettext("未设分值，不计分")))
    return format_html_join("", "<div><strong>{}</strong>：{}</div>", lines)


# --- Inlines -----------------------------------------------------------------------------

# Stacked rows of four (docs/design.md, "Admin pages at 1,280 px"): one indicator fits the
# admin's content width, 偏差原因 included, instead of a 17-column row 2,000 px wide.
INDICATOR_FIELDS = [
    ("position", "level1", "level2", "name"),
    ("nature", "unit", "target_value", "target_text"),
    ("actual_value", "actual_text", "tier", "applicable"),
    ("weight", "score", "final_score_display", "check_display"),
    "deviation",
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


class IndicatorInlineBase(LastProgressMixin, ScopedInlineMixin, admin.StackedInline):
    """An indicator row with its computed score and what it still lacks, read-only."""

    model = Indicator
    extra = 0
    ordering = ["position", "id"]
    fields = INDICATOR_FIELDS
    readonly_fields = ["final_score_display", "check_display", PROGRESS_FIELD]

    parent = None  # the report or project being edited; this instance lives for one request

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_formset(self, request, obj=None, **kwargs):
        self.parent = obj
        return super().get_formset(request, obj, **kwargs)

    def page(self) -> PageChecks | None:
        raise NotImplementedError

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
        page = self.page() if obj.pk else None
        if page is not None and obj.pk in page.missing_deviation:
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

    def page(self) -> PageChecks | None:
        return cached_report_tables(self.parent)

    def table(self) -> SelfEvaluationTable | None:
        page = self.page()
        return page.department if page else None


class ProjectIndicatorInline(IndicatorInlineBase):
    """A project's own indicators; they belong to the project's report too (Indicator.save)."""

    fk_name = "project"
    formset = ProjectIndicatorFormSet

    def page(self) -> PageChecks | None:
        return cached_project_checks(self.parent)

    def table(self) -> SelfEvaluationTable | None:
        page = self.page()
        return page.for_project(self.parent.pk) if page else None


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
    """The department's 自评表 summary on the report page, and its errors flagged after each
    save (the page lists every finding in its workflow box)."""

    @admin.display(description=_("部门整体支出绩效自评表"))
    def self_evaluation(self, obj) -> str:
        page = cached_report_tables(obj)
        return table_summary(page.department if page else None)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        flag_errors(request, checks.check_report(form.instance))


class ProjectScoringMixin:
    """The project's 自评表 summary and findings on the project page, errors flagged after each save."""

    def get_queryset(self, request):
        # The page's lock reads the project's report and its year: fetched with the project,
        # they pay for the findings' fund rows (the page's query count stays as it was). The
        # changelist applies list_select_related only to a queryset without select_related,
        # so those are named here as well.
        listed = self.list_select_related if isinstance(self.list_select_related, list | tuple) else ()
        return super().get_queryset(request).select_related("report__fiscal_year", *listed)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        page = cached_project_checks(obj)
        if page is not None:
            linked = link_findings(
                page.findings, context.get("inline_admin_formsets"), project_id=obj.pk
            )
            context["findings"] = findings_context(linked)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("项目支出绩效自评表"))
    def self_evaluation(self, obj) -> str:
        page = cached_project_checks(obj)
        return table_summary(page.for_project(obj.pk) if page else None)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        flag_errors(request, checks.check_project(form.instance))


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
