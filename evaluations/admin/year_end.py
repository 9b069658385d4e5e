"""The year end in the admin: beside each indicator's approved target and actual, its last
monitoring progress (docs/design.md, "Targets and monitoring"). One query an inline, and
none for a report whose targets were never approved (the years before targets existed)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from evaluations.admin.mixins import report_of
from evaluations.models import Report
from evaluations.monitoring import last_progress, progress_text

PROGRESS_FIELD = "last_progress_display"


class LastProgressMixin:
    """For indicator inlines: a read-only 监控进度 column once the report's targets are approved."""

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        report = report_of(obj) if obj is not None else None
        if report is not None and report.targets_status == Report.TargetsStatus.APPROVED:
            # Inline instances live for one request; get_fields is asked several times.
            if getattr(self, "_progress_of", None) != report.pk:
                self._progress, self._progress_of = last_progress(report), report.pk
            at = fields.index("actual_value") if "actual_value" in fields else len(fields)
            fields.insert(at, PROGRESS_FIELD)
        return fields

    @admin.display(description=_("最近监控进度"))
    def last_progress_display(self, obj) -> str:
        row = (getattr(self, "_progress", None) or {}).get(obj.pk)
        if row is None:
            return "—"
        return format_html("{}<br><small>{}</small>", progress_text(row, obj.unit),
                           row.get_outlook_display())
