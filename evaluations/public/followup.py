"""What a published report's page shows of the year after (docs/design.md, "Targets,
monitoring, findings"): its findings and their status (整改情况), last year's findings not yet
verified, the re-check beside the self scores, and the public attachments.

A fixed number of queries however many rows: findings (this year's and last year's) in one,
attachments in one; re-check scores come with the page's indicators (select_related).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext

from evaluations import rechecks
from evaluations.models import Attachment, Finding, Report
from indicators.tables import SelfEvaluationTable


def findings_of(report: Report) -> tuple[list[Finding], list[Finding]]:
    """The report's findings, and last year's published report's findings not yet verified."""
    last_year = Q(
        report__department_id=report.department_id,
        report__fiscal_year__year=report.fiscal_year.year - 1,
        report__status=Report.Status.PUBLISHED,
    ) & ~Q(status=Finding.Status.VERIFIED)
    rows = Finding.objects.filter(Q(report=report) | last_year).order_by("position", "id")
    own, carried = [], []
    for row in rows:
        (own if row.report_id == report.pk else carried).append(row)
    return own, carried


def pages_showing(report_ids) -> set[int]:
    """The reports whose public pages show rows of ``report_ids``: each itself, and next
    year's report of its department (which lists last year's unverified findings). Marking
    them edited (workflow.mark_edited) moves those pages' stamps."""
    ids = set(report_ids) - {None}
    if not ids:
        return ids
    pairs = Report.objects.filter(pk__in=ids).values_list("department_id", "fiscal_year__year")
    following = Q()
    for department_id, year in pairs:
        following |= Q(department_id=department_id, fiscal_year__year=year + 1)
    return ids | set(Report.objects.filter(following).values_list("pk", flat=True))


def public_attachments(report: Report) -> list[Attachment]:
    """Attachments marked public, with what each is about; the caller shows only published reports."""
    return list(
        Attachment.objects.filter(report=report, public=True)
        .select_related("project", "indicator", "finding")
        .order_by("created_at", "id")
    )


def followup(report: Report, whole: SelfEvaluationTable, projects: list[tuple[str, SelfEvaluationTable]]) -> dict:
    """The page's context for templates/evaluations/_followup.html: ``whole`` is the
    department's 自评表 and ``projects`` the projects' (name, 自评表), as the page shows them;
    the report's indicators were fetched with their re-checks."""
    findings, carried = findings_of(report)
    tables = [(gettext("部门整体支出"), whole), *projects]
    return {
        "findings": findings,
        "carried_findings": carried,
        "attachments": public_attachments(report),
        "rechecks": rechecks.summaries(tables, rechecks.rechecks_of(report.indicators.all())),
        "recheck_flag_points": rechecks.FLAG_POINTS,
    }
