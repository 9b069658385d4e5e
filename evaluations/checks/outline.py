"""Checks of what the report must say and follow up: the outline's sections and each project's
outcome written, targets settled before the self-evaluation, findings (整改) not left overdue."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from common.text import is_sentence
from evaluations.checks.findings import (
    ADJUSTMENTS_PENDING,
    ERROR,
    FINDING_CARRIED_OVER,
    FINDING_OVERDUE,
    OUTCOME_MISSING,
    REQUIRED_SECTIONS,
    SECTION_MISSING,
    TARGETS_IN_REVIEW,
    WARNING,
    Finding,
)
from evaluations.checks.rows import ReportData
from evaluations.models import Report


def sections_written(data: ReportData) -> list[Finding]:
    """Each section the outline requires says at least a sentence (common.text.is_sentence)."""
    found = []
    for name, section in REQUIRED_SECTIONS:
        text = getattr(data.report, name)
        if name == "overall_summary":
            text = "\n".join([text, *(f"{n.headline}{n.body}" for n in data.narratives)])
        if not is_sentence(text):
            found.append(Finding(
                SECTION_MISSING, ERROR,
                _("“%(section)s”未填写：报告提纲要求这一部分，请至少写一句话（不能只写“无”）。")
                % {"section": section},
                {"field": name},
                str(section),
            ))
    return found


def outcomes_present(data: ReportData) -> list[Finding]:
    return [
        Finding(
            OUTCOME_MISSING, ERROR,
            _("项目“%(project)s”未填写专项资金支出绩效情况。") % {"project": project.name},
            {},
            project.name,
            project_id=project.pk,
        )
        for project in data.projects
        if not (project.outcome or "").strip()
    ]


def targets_settled(data: ReportData) -> list[Finding]:
    """The self-evaluation is scored against the approved targets (the indicators' target
    fields, locked once approved: access.target_refusal): not while they are in review,
    and a reviewer should see adjustments still pending."""
    report = data.report
    if report is None:
        return []
    if report.targets_status == Report.TargetsStatus.SUBMITTED:
        return [Finding(TARGETS_IN_REVIEW, ERROR, _(
            "绩效目标尚在审核中：请审核人先批复或退回，再按批复的目标提交自评。"))]
    if data.pending_adjustments:
        return [Finding(ADJUSTMENTS_PENDING, WARNING, _(
            "有%(count)s项绩效目标调整尚待审核，自评按已批复的目标计分。") % {"count": data.pending_adjustments},
            figures={"count": data.pending_adjustments})]
    return []


def rectification(data: ReportData) -> list[Finding]:
    """Findings (整改) past their due date with the work not done, and last year's findings
    not yet verified: warnings, so reviewers see them (docs/design.md, "Findings")."""
    found = []
    today = timezone.localdate()
    year = data.report.fiscal_year.year
    for item in data.findings:
        subject = _("整改问题%(position)s") % {"position": item.position}
        if item.report_id == data.report.pk and item.is_overdue(today):
            found.append(Finding(
                FINDING_OVERDUE, WARNING,
                _("整改问题%(position)s“%(text)s”整改期限为 %(due)s，已逾期，状态为“%(status)s”。")
                % {"position": item.position, "text": item.description[:60],
                   "due": item.due_date.isoformat(), "status": item.get_status_display()},
                {"due_date": item.due_date, "status": item.status},
                subject,
            ))
        elif item.report.fiscal_year.year == year - 1 and item.status != item.Status.VERIFIED:
            found.append(Finding(
                FINDING_CARRIED_OVER, WARNING,
                _("%(year)s 年度整改问题%(position)s“%(text)s”尚未验证，状态为“%(status)s”。")
                % {"year": year - 1, "position": item.position, "text": item.description[:60],
                   "status": item.get_status_display()},
                {"year": year - 1, "status": item.status, "overdue": item.is_overdue(today)},
                subject,
            ))
    return found
