"""绩效监控: a round's lights from its rows, and its submission and review.

The lights' rule is evaluations/lights.py; this module feeds it a round's spending and
progress (a fixed number of queries a round, or a batch of rounds for exports) and keeps
the round's light on the round for the reviewers' list (docs/design.md, "Targets and
monitoring"). Rows change only while the round is a draft of a report that takes changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from evaluations import access, lights
from evaluations.models import (
    BudgetExecution,
    MonitoringProgress,
    MonitoringRound,
    MonitoringSpending,
    Report,
)

Status = MonitoringRound.Status


@dataclass
class RoundLights:
    """Each row's light and rate, by row id, and the round's."""

    spending: dict[int, tuple[Decimal | None, lights.Light]] = field(default_factory=dict)
    progress: dict[int, tuple[Decimal | None, lights.Light]] = field(default_factory=dict)
    overall: lights.Light = lights.Light(lights.GREEN)


def progress_rate(indicator, value: Decimal | None) -> Decimal | None:
    """Progress as a percentage of a ≥ target; None for other natures or text progress."""
    if indicator.nature != "gte":
        return None
    return lights.rate(value, indicator.target_value)


def thresholds_of(report) -> lights.Thresholds:
    """The lights' thresholds of the report's rule set (no query when the report was read
    with ``select_related("rule_set")``)."""
    return lights.Thresholds.of(report.rules)


def evaluate(round_, spending, progress, budgets: dict[int, Decimal | None],
             thresholds: lights.Thresholds) -> RoundLights:
    """The lights of one round from its rows (``spending`` with project and funding source,
    ``progress`` with indicator), its report's budgets (funding source id → 全年预算数) and
    its report's rule set's ``thresholds``."""
    result = RoundLights()
    project_rates: dict[int, Decimal | None] = {}
    spent_total, budget_total = Decimal(0), Decimal(0)
    for row in spending:
        budget = row.project.adjusted_budget if row.project_id else budgets.get(row.funding_source_id)
        what = row.project.name if row.project_id else str(row.funding_source)
        light = lights.spending_light(what, row.spent_to_date, budget, round_.month, thresholds)
        rate = lights.rate(row.spent_to_date, budget)
        result.spending[row.pk] = (rate, light)
        if row.project_id:
            project_rates[row.project_id] = rate
        elif budget:
            spent_total += row.spent_to_date
            budget_total += budget
    department_rate = lights.rate(spent_total, budget_total)
    for row in progress:
        indicator = row.indicator
        spent = project_rates.get(indicator.project_id) if indicator.project_id else department_rate
        rate = progress_rate(indicator, row.progress_value)
        result.progress[row.pk] = (
            rate, lights.progress_light(indicator.name, rate, row.outlook, spent, thresholds)
        )
    result.overall = lights.worst(
        [light for _r, light in result.spending.values()]
        + [light for _r, light in result.progress.values()]
    )
    return result


def budgets_of(report_ids) -> dict[int, dict[int, Decimal | None]]:
    """Report id → funding source id → 全年预算数, in one query."""
    found: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for report_id, source_id, budget in BudgetExecution.objects.filter(
        report_id__in=list(report_ids)
    ).values_list("report_id", "funding_source_id", "adjusted_budget"):
        found[report_id][source_id] = budget
    return found


def evaluate_round(round_: MonitoringRound) -> RoundLights:
    """Lights of one stored round, in four queries (its rows, the budgets, the rule set)."""
    spending = list(MonitoringSpending.objects.filter(round=round_)
                    .select_related("project", "funding_source"))
    progress = list(MonitoringProgress.objects.filter(round=round_).select_related("indicator"))
    # Report.rules: a published report's lights keep the thresholds it was published with.
    report = Report.objects.select_related("rule_set").only(
        "rule_snapshot", "rule_set", "fiscal_year_id"
    ).get(pk=round_.report_id)
    thresholds = lights.Thresholds.of(report.rules)
    return evaluate(round_, spending, progress, budgets_of([round_.report_id])[round_.report_id],
                    thresholds)


def refresh_light(round_: MonitoringRound) -> lights.Light:
    """Recompute the round's light from its rows and keep it on the round."""
    light = evaluate_round(round_).overall
    if (round_.light, round_.light_reason) != (light.colour, light.reason):
        MonitoringRound.objects.filter(pk=round_.pk).update(light=light.colour, light_reason=light.reason)
        round_.light, round_.light_reason = light.colour, light.reason
    return light


def last_progress(report) -> dict[int, MonitoringProgress]:
    """Each indicator's progress in the report's latest submitted or reviewed round that has
    it, by indicator id (one query): what the year-end pages show beside target and actual."""
    rows = (
        MonitoringProgress.objects.filter(round__report=report)
        .exclude(round__status=Status.DRAFT)
        .select_related("round").order_by("round__month", "pk")
    )
    return {row.indicator_id: row for row in rows}  # later months overwrite earlier ones


def progress_text(row: MonitoringProgress | None, unit: str = "") -> str:
    """A progress as read: "20公里（10月）", or its text; "" when there is none."""
    if row is None:
        return ""
    if row.progress_text:
        value = row.progress_text
    elif row.progress_value is not None:
        value = format(row.progress_value.normalize(), "f") + unit
    else:
        value = row.get_outlook_display()
    return _("%(value)s（%(month)s月）") % {"value": value, "month": row.round.month}


def _check(user, permission: str, round_: MonitoringRound, sources: tuple[str, ...]) -> None:
    if not (access.has_permission(user, permission)
            and access.may_access_department(user, round_.report.department_id)):
        raise PermissionDenied(_("您没有权限对该监控执行此操作。"))
    if round_.status not in sources:
        raise ValidationError({"status": _("监控当前状态为“%(status)s”，不能执行此操作。")
                               % {"status": round_.get_status_display()}})


def submit_round(round_: MonitoringRound, user) -> MonitoringRound:
    """填报人 hands the round in; its light is computed as submitted."""
    with transaction.atomic():
        locked = MonitoringRound.objects.select_for_update().select_related("report").get(pk=round_.pk)
        _check(user, access.SUBMIT_REPORT, locked, (Status.DRAFT,))
        refresh_light(locked)
        locked.status, locked.submitted_by = Status.SUBMITTED, user
        locked._history_user = user
        locked.save()
    return locked


def review_round(round_: MonitoringRound, user, comment: str = "", *, accept: bool = True) -> MonitoringRound:
    """审核人 reviews a submitted round (or returns it to draft with a comment); whoever
    submitted it does not review it."""
    with transaction.atomic():
        locked = MonitoringRound.objects.select_for_update().select_related("report").get(pk=round_.pk)
        _check(user, access.REVIEW_REPORT, locked, (Status.SUBMITTED,))
        if locked.submitted_by_id == getattr(user, "pk", None):
            raise PermissionDenied(_("监控是您提交的，不能由您审核：提交与审核须由不同的人完成。"))
        if not accept and not (comment or "").strip():
            raise ValidationError({"review_comment": _("退回时必须填写意见。")})
        locked.status = Status.REVIEWED if accept else Status.DRAFT
        locked.reviewed_by, locked.review_comment = user, (comment or "").strip()
        locked._history_user = user
        locked.save()
    return locked
