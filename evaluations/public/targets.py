"""`/reports/<year>/<code>/targets/`: the approved 绩效目标表 of a department's year, with the
approved adjustments (docs/design.md, "Targets and monitoring"), and ``targets.docx`` /
``targets.pdf`` beside it, the same page as official documents (documents/views.py).

Public once the targets are approved, before the year-end report is: targets are published
with the budget. Four queries however many projects, indicators and adjustments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from evaluations.models import Project, Report, TargetAdjustment, TargetsEvent
from indicators.models import Indicator


@dataclass
class ProjectTargets:
    project: Project
    indicators: list[Indicator]


def approved_adjustments(report: Report) -> list[TargetAdjustment]:
    """The report's approved adjustments, oldest first, with what they changed (one query)."""
    return list(
        TargetAdjustment.objects.filter(report=report, status=TargetAdjustment.Status.APPROVED)
        .select_related("indicator", "project").order_by("decided_at", "pk")
    )


def approved_targets(year: int, department_code: str) -> Report:
    """The department's report of ``year`` whose targets are approved, with its projects and
    indicators prefetched (three queries); 404 while the targets are not approved."""
    report = (
        Report.objects.filter(
            fiscal_year__year=year, department__code=department_code,
            targets_status=Report.TargetsStatus.APPROVED,
        )
        .select_related("department", "fiscal_year")
        .annotate(targets_approved_at=Subquery(
            TargetsEvent.objects.filter(report=OuterRef("pk"), action=TargetsEvent.Action.APPROVE)
            .order_by("-created_at", "-pk").values("created_at")[:1]
        ))
        .prefetch_related(
            Prefetch("projects", queryset=Project.objects.select_related("funding_source")
                     .order_by("position", "id")),
            Prefetch("indicators", queryset=Indicator.objects.order_by("position", "id")),
        )
        .first()
    )
    if report is None:
        raise Http404
    return report


def targets_context(report: Report, page_url: str) -> dict:
    """The targets page's view-model; its Word and PDF files render the same
    (documents/content.py, ``targets_article``). One query: the adjustments."""
    by_project: dict[int | None, list[Indicator]] = defaultdict(list)
    for indicator in report.indicators.all():
        by_project[indicator.project_id].append(indicator)
    return {
        "report": report, "year": report.fiscal_year.year,
        "department_indicators": by_project[None],
        "projects": [ProjectTargets(p, by_project[p.pk]) for p in report.projects.all()],
        "adjustments": approved_adjustments(report),
        "page_url": page_url,
    }


def targets_view(request: HttpRequest, year: int, department_code: str) -> HttpResponse:
    report = approved_targets(year, department_code)
    return render(request, "evaluations/targets.html", targets_context(
        report, request.build_absolute_uri(request.path)))
