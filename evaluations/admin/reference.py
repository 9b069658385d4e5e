"""Reference data in the admin: departments (with their staff), fiscal years, funding sources."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.mixins import ScopedAdminMixin
from evaluations.models import Department, FiscalYear, FundingSource


@admin.register(Department)
class DepartmentAdmin(DataAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["departments"]
    list_display = ["code", "name", "short_name", "parent"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "short_name"]
    # A plain select: the autocomplete widget's box has no accessible name (axe-core).
    autocomplete_fields: list[str] = []
    filter_horizontal = ["staff"]

    class Media:
        css = {"all": ["css/admin.css"]}
        js = ["js/admin-a11y.js"]  # the filter widget's icon, given its role


@admin.register(FiscalYear)
class FiscalYearAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["year", "is_open", "rule_set"]
    list_editable = ["is_open"]
    search_fields = ["year"]


@admin.register(FundingSource)
class FundingSourceAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
