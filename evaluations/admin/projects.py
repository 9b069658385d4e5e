"""A project's own page (its fund rows and indicators) and the narratives' list: the rows of a
report that also have pages of their own."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.formatting import percent
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.indicators import ProjectIndicatorInline, ProjectScoringMixin
from evaluations.admin.mixins import ScopedAdminMixin, ScopedInlineMixin
from evaluations.models import OutcomeNarrative, Project, ProjectFund


class ProjectFundInline(ScopedInlineMixin, admin.TabularInline):
    model = ProjectFund
    extra = 0
    fields = ["funding_source", "initial_budget", "adjusted_budget", "expenditure"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("funding_source", "project")


@admin.register(Project)
class ProjectAdmin(ProjectScoringMixin, DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["projects", "project_funds", "indicators"]
    export_filters = {
        "report__fiscal_year__id__exact": ("year", None),
        "report__department__id__exact": ("department", None),
        "funding_source__id__exact": ("funding_source", {"projects"}),  # the project's own source
    }
    list_display = ["name", "code", "report", "funding_source", "expenditure", "execution_rate_display"]
    list_filter = [
        "report__fiscal_year", "funding_source",
        ("report__department", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["report__department", "report__fiscal_year", "funding_source"]
    search_fields = ["name", "code", "report__department__name"]
    autocomplete_fields = ["report"]
    fields = [
        "report", ("position", "code", "name", "funding_source"),
        ("initial_budget", "adjusted_budget", "expenditure"),
        ("execution_weight_override", "execution_explanation"),
        "goal", "outcome", "self_evaluation",
    ]
    readonly_fields = ["self_evaluation"]
    inlines = [ProjectFundInline, ProjectIndicatorInline]

    @admin.display(description=_("执行率"))
    def execution_rate_display(self, obj: Project) -> str:
        return percent(obj.execution_rate)

    def save_formset(self, request, form, formset, change):
        # Deleted rows go first, so that a new row may take the position a deleted one held.
        # (Project indicators take the project's report in Indicator.save; a moved project
        # takes its indicators along in Project.save.)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in instances:
            instance.save()
        formset.save_m2m()


@admin.register(OutcomeNarrative)
class OutcomeNarrativeAdmin(DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["narratives"]
    list_display = ["headline", "position", "report"]
    list_select_related = ["report__department", "report__fiscal_year"]
    search_fields = ["headline", "body"]
    autocomplete_fields = ["report"]
