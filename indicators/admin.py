"""绩效指标 in the admin: a searchable list with history, scoped like the reports they belong to.

Indicators are entered on the report and project pages; this list is for finding and tracing them.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from evaluations.admin_mixins import ScopedAdminMixin

from .models import Indicator


@admin.register(Indicator)
class IndicatorAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
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
