"""各部门填报进度: one year of every department at a glance, for the reviewer with forty of them
(the cycle review: the reports list shows only reports that exist, so a department that never
started was nowhere, and a returned report read as a plain 草稿).

Each department's report status (未开始 where it has none), whether it was returned and is
waiting on the department, when it was last submitted, its targets' status, its latest
monitoring round and light, and its findings not yet verified or overdue. A fixed number of
queries whatever the number of departments; each rule is asked where it is written
(workflow.latest_return, latest_rounds, FindingQuerySet.unresolved and .overdue).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluations import access, workflow
from evaluations.admin.monitoring import latest_rounds
from evaluations.models import Department, Finding, FiscalYear, MonitoringRound, Report, ReportEvent

NOT_STARTED, RETURNED = "not_started", "returned"
# The report's statuses by their own labels, with the two stages only this page tells apart.
_Status = Report.Status
STAGES = [
    (NOT_STARTED, _("未开始")), (_Status.DRAFT, _Status.DRAFT.label), (RETURNED, _("已退回")),
    *((status, status.label) for status in (_Status.SUBMITTED, _Status.APPROVED, _Status.PUBLISHED)),
]


@dataclass
class ProgressRow:
    department: Department
    report: Report | None = None
    returned: ReportEvent | None = None  # the return still to be acted on
    submitted: ReportEvent | None = None  # the latest submission
    round: MonitoringRound | None = None  # the latest submitted or reviewed round
    unresolved: int = 0
    overdue: int = 0

    @property
    def stage(self) -> str:
        if self.report is None:
            return NOT_STARTED
        return RETURNED if self.returned is not None else self.report.status

    @property
    def stage_label(self) -> str:
        return str(dict(STAGES)[self.stage])


def progress_rows(year: int, user) -> list[ProgressRow]:
    """Every department the user sees, with its report of ``year`` and what follows from it."""
    departments = Department.objects.filter(**access.department_lookups(user, "")).order_by("code")
    rows = {d.pk: ProgressRow(d) for d in departments}
    reports = list(
        Report.objects.filter(fiscal_year__year=year, department__in=list(rows))
        .select_related("fiscal_year").only(
            "id", "department_id", "status", "targets_status", "revision", "fiscal_year__year")
    )
    for report in reports:
        rows[report.department_id].report = report
    by_report = {r.pk: rows[r.department_id] for r in reports}
    events = defaultdict(list)
    for event in ReportEvent.objects.filter(report__in=reports).order_by("report", "created_at", "id"):
        events[event.report_id].append(event)
    for report_id, trail in events.items():
        row = by_report[report_id]
        if row.report.status == Report.Status.DRAFT:
            row.returned = workflow.latest_return(trail)
        row.submitted = next((e for e in reversed(trail) if e.action == ReportEvent.Action.SUBMIT), None)
    for round_ in latest_rounds(MonitoringRound.objects.filter(report__in=reports)):
        by_report[round_.report_id].round = round_
    for name, queryset in (("unresolved", Finding.objects.unresolved()), ("overdue", Finding.objects.overdue())):
        for found in queryset.filter(report__in=reports).values("report").annotate(n=Count("pk")):
            setattr(by_report[found["report"]], name, found["n"])
    return list(rows.values())


class ReportProgressMixin:
    """ReportAdmin's 各部门填报进度 page (``progress/``)."""

    def get_urls(self):
        return [
            path("progress/", self.admin_site.admin_view(self.progress_view),
                 name="evaluations_report_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        years = list(FiscalYear.objects.order_by("-year").values_list("year", flat=True))
        year = _chosen_year(request, years)
        rows = progress_rows(year, request.user) if year is not None else []
        counts = Counter(row.stage for row in rows)
        stage = request.GET.get("stage", "")
        shown = [row for row in rows if row.stage == stage] if stage in dict(STAGES) else rows
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": gettext("各部门填报进度"),
            "year": year, "years": years, "rows": shown, "stage": stage,
            "stages": [(code, label, counts.get(code, 0)) for code, label in STAGES],
            "total": len(rows),
        }
        return TemplateResponse(request, "admin/evaluations/report/progress.html", context)


def _chosen_year(request, years: list[int]) -> int | None:
    """The year asked for, else the latest year open for entry, else the latest there is."""
    text = request.GET.get("year", "")
    if text.isdigit() and int(text) in years:
        return int(text)
    open_year = FiscalYear.objects.filter(is_open=True).order_by("-year").values_list("year", flat=True).first()
    return open_year or (years[0] if years else None)
