"""绩效目标调整: request a change to one approved target, and a reviewer's approval applying it.

An adjustment is the only way an approved target changes (docs/design.md, "Targets and
monitoring"): ``request_adjustment`` checks that the field is a target of the row named and
that the new value reads; ``approve_adjustment`` writes it through ``workflow.editing`` (the
report locked, its edit lock rechecked) into the row's history, past the targets lock.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.numbers import NumberError, parse_decimal
from evaluations import access, workflow
from evaluations.models import Project, Report, TargetAdjustment, target_fields
from indicators.models import Indicator

Status = TargetAdjustment.Status


def value_text(value) -> str:
    """A target value as an adjustment records it: codes for choices, plain decimals."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 275.0000 → 275, 4.9600 → 4.96
    return str(value)


def parse_target_value(model, field: str, text: str):
    """The stored value of ``text`` for ``model``'s target ``field``; ValidationError naming
    ``new_value`` when it does not read (a choice by code or label, a decimal, a text)."""
    model_field = model._meta.get_field(field)
    text = (text or "").strip()
    if model_field.choices:
        for code, label in model_field.flatchoices:
            if text in (str(code), str(label)):
                return code
        raise ValidationError({"new_value": _("“%(value)s”不是“%(field)s”的有效取值。") % {
            "value": text, "field": model_field.verbose_name}})
    if isinstance(model_field, models.DecimalField):
        if not text:
            if model_field.null:
                return None
            raise ValidationError({"new_value": _("请填写调整后目标。")})
        try:
            return parse_decimal(
                text, places=model_field.decimal_places, digits=model_field.max_digits,
                negative=field == "target_value",  # weights and budgets are never negative
            )
        except NumberError as exc:
            raise ValidationError({"new_value": str(exc)}) from exc
    if not text and not model_field.blank:
        raise ValidationError({"new_value": _("请填写调整后目标。")})
    if model_field.max_length and len(text) > model_field.max_length:
        raise ValidationError({"new_value": _("最多 %(n)s 个字。") % {"n": model_field.max_length}})
    return text


def _target_row(report: Report, indicator: Indicator | None, project: Project | None):
    if indicator is not None:
        if indicator.report_id != report.pk:
            raise ValidationError({"indicator": _("该指标不属于本报告。")})
        return indicator
    if project is not None:
        if project.report_id != report.pk:
            raise ValidationError({"project": _("该项目不属于本报告。")})
        return project
    raise ValidationError({"indicator": _("请选择要调整的指标或项目。")})


def check_adjustment(adjustment: TargetAdjustment) -> object:
    """Raise ValidationError naming the field when ``adjustment`` may not be requested:
    targets not approved, a field that is not a target of the row, a value that does not
    read, no reason. Returns the parsed new value."""
    report = adjustment.report
    if report.targets_status != Report.TargetsStatus.APPROVED:
        raise ValidationError({"field": _("绩效目标尚未批复，不需要调整：请直接修改草稿。")})
    row = _target_row(report, adjustment.indicator, adjustment.project if not adjustment.indicator_id else None)
    if adjustment.field not in target_fields(row):
        raise ValidationError({"field": _("“%(field)s”不是%(what)s的绩效目标，不能调整。") % {
            "field": adjustment.field, "what": row._meta.verbose_name}})
    if not (adjustment.reason or "").strip():
        raise ValidationError({"reason": _("请填写调整理由。")})
    value = parse_target_value(type(row), adjustment.field, adjustment.new_value)
    if type(row)._meta.get_field(adjustment.field).choices:
        adjustment.new_value = value  # a choice is recorded by its code, as old_value is
    return value


def request_adjustment(
    report: Report, *, user, field: str, new_value: str, reason: str,
    indicator: Indicator | None = None, project: Project | None = None,
) -> TargetAdjustment:
    """Record a pending adjustment (old value as it stands now); nothing changes until approved."""
    if user is not None and not access.may_access_department(user, report.department_id):
        raise PermissionDenied
    adjustment = TargetAdjustment(
        report=report, indicator=indicator, project=project or (indicator.project if indicator else None),
        field=field, new_value=(new_value or "").strip(), reason=(reason or "").strip(),
        requested_by=user,
    )
    check_adjustment(adjustment)
    adjustment.old_value = value_text(getattr(adjustment.target, field))
    adjustment._history_user = user
    adjustment.save()
    return adjustment


def _decide(adjustment: TargetAdjustment, user) -> None:
    if not (access.has_permission(user, access.REVIEW_REPORT)
            and access.may_access_department(user, adjustment.report.department_id)):
        raise PermissionDenied(_("您没有权限审核绩效目标调整。"))
    if adjustment.status != Status.PENDING:
        raise ValidationError({"status": _("该调整已审核。")})
    if user is not None and adjustment.requested_by_id == user.pk:
        raise PermissionDenied(_("调整是您申请的，不能由您批准：申请与批准须由不同的人完成。"))


def approve_adjustment(adjustment: TargetAdjustment, user, comment: str = "") -> TargetAdjustment:
    """审核人 approves: the target takes the new value (in its history, with the reason)."""
    with transaction.atomic(), workflow.editing(adjustment.report_id, user):
        adjustment = TargetAdjustment.objects.select_for_update().get(pk=adjustment.pk)
        _decide(adjustment, user)
        value = check_adjustment(adjustment)
        row = type(adjustment.target)._default_manager.get(pk=adjustment.target.pk)
        adjustment.old_value = value_text(getattr(row, adjustment.field))
        setattr(row, adjustment.field, value)
        row._history_user = user
        row._change_reason = _("绩效目标调整：%(reason)s") % {"reason": adjustment.reason}
        row.save(update_fields=[adjustment.field])
        adjustment.status, adjustment.decided_by, adjustment.decided_at = (
            Status.APPROVED, user, timezone.now())
        adjustment.decision_comment = comment.strip()
        adjustment._history_user = user
        adjustment._change_reason = comment or _("批准调整")
        adjustment.save()
    return adjustment


def reject_adjustment(adjustment: TargetAdjustment, user, comment: str = "") -> TargetAdjustment:
    """审核人 declines, saying why (the department reads it on the request): the target stays
    as approved."""
    if not comment.strip():
        raise ValidationError({"decision_comment": _("不批准时请填写意见，说明原因；部门会看到。")})
    with transaction.atomic():
        adjustment = TargetAdjustment.objects.select_for_update().get(pk=adjustment.pk)
        _decide(adjustment, user)
        adjustment.status, adjustment.decided_by, adjustment.decided_at = (
            Status.REJECTED, user, timezone.now())
        adjustment.decision_comment = comment.strip()
        adjustment._history_user = user
        adjustment._change_reason = comment or _("不批准调整")
        adjustment.save()
    return adjustment
