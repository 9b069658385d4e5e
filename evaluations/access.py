"""Who may see and change what: the one place every admin list, form, choice, import, export
and workflow step asks (docs/design.md, "Workflow and permissions").

Four rules live here, each written once and compiled two ways where a caller needs a
queryset rather than a yes/no answer:

- **Departments.** Reviewers, auditors and superusers see every department; everyone else
  sees the departments they are staff of (``Department.staff``). ``restrict()`` narrows a
  queryset the NetBox way (the model permission for the action, then the rows);
  ``may_access_department()`` answers for one department.
- **The edit lock.** Only a draft takes changes, and only while its fiscal year is open,
  except to superusers, who may correct a closed year's draft. ``why_locked()`` names the
  reason for one report; ``writable_lookups()`` is the same rule as query lookups.
  ``evaluations.workflow.editing()`` rechecks it with the report row locked.
- **The targets lock.** While a report's targets (models/targets.py, TARGET_FIELDS) are
  submitted or approved, no target field changes and no indicator or project is added or
  removed, for everyone; ``target_refusal()`` says so for one write, and an approved
  adjustment (evaluations/targets.py) is the one way past it.
- **Years.** A fiscal year is created only by a user holding ``evaluations.add_fiscalyear``
  and never beyond next year when created on the way (import, copy-forward); new reports go
  only into open years.

Plain functions rather than the ``rules`` library: each rule is a few comparisons that must
also compile into query lookups, which ``rules`` predicates cannot do.

``user`` None is the command line, acting for the whole system: it sees every department and
may write into closed years and past draft (restoring an export into an empty database
writes the rows of published reports).
"""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluations.models import Department, Report, target_fields

# --- Permission names -----------------------------------------------------------------------

VIEW_ALL_DEPARTMENTS = "evaluations.view_all_departments"
SUBMIT_REPORT = "evaluations.submit_report"
REVIEW_REPORT = "evaluations.review_report"
PUBLISH_REPORT = "evaluations.publish_report"
IMPORT_DATA = "evaluations.import_data"
EXPORT_DATA = "evaluations.export_data"
VERIFY_FINDING = "evaluations.verify_finding"
ADD_FISCAL_YEAR = "evaluations.add_fiscalyear"
CHANGE_FISCAL_YEAR = "evaluations.change_fiscalyear"  # opening a year for entry (years.py)
# 评分规则: the roles read them; only superusers change them (evaluations/admin/rule_sets.py).
VIEW_RULE_SET = "indicators.view_ruleset"

# Actions of restrict(), named as Django's model permissions are.
VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"


def model_permission(model, action: str) -> str:
    """Django's permission name for ``action`` on ``model``: ``evaluations.change_project``."""
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def has_permission(user, permission: str) -> bool:
    """Whether an active user holds ``permission`` (the command line holds every one)."""
    if user is None:
        return True
    return bool(user.is_active and user.has_perm(permission))


def may_choose_rule_set(user) -> bool:
    """Whether ``user`` may set the rule set a report is scored under: reviewers (who review
    and publish reports) and the unrestricted; a department's own staff may not."""
    return is_unrestricted(user) or has_permission(user, REVIEW_REPORT)


def sees_recommendations(user) -> bool:
    """Whether the public year index shows ``user`` the budget recommendations (结果应用建议,
    issue 19): reviewers, who record them, and superusers. Such a visitor gets a private,
    uncached variant of the page (public/stamp.public_page's ``private``); everyone else the
    shared public page, which never holds them."""
    return bool(user is not None and user.is_authenticated and has_permission(user, REVIEW_REPORT))


def is_unrestricted(user) -> bool:
    """The command line (``user`` None) or an active superuser: the ones who may set what the
    others' rules derive (a restored report's status, a qualitative score outside its tier)."""
    return user is None or bool(user.is_active and user.is_superuser)


# --- Departments ----------------------------------------------------------------------------

# How to reach the department from each model's rows ("" is the Department itself).
DEPARTMENT_PATHS: dict[str, str] = {
    "evaluations.department": "",
    "evaluations.report": "department",
    "evaluations.reportevent": "report__department",
    "evaluations.budgetexecution": "report__department",
    "evaluations.project": "report__department",
    "evaluations.projectfund": "project__report__department",
    "evaluations.outcomenarrative": "report__department",
    "indicators.indicator": "report__department",
    "evaluations.finding": "report__department",
    "evaluations.recommendation": "project__report__department",
    "evaluations.rechecksample": "report__department",
    "evaluations.recheck": "indicator__report__department",
    "evaluations.attachment": "report__department",
    # 绩效目标 and 绩效监控 (models/targets.py, models/monitoring.py)
    "evaluations.targetsevent": "report__department",
    "evaluations.targetadjustment": "report__department",
    "evaluations.monitoringround": "report__department",
    "evaluations.monitoringoverview": "report__department",
    "evaluations.monitoringspending": "round__report__department",
    "evaluations.monitoringprogress": "round__report__department",
}

# Rows that change after the year, published reports' included (findings, result use,
# re-checks, evidence): the report's edit lock does not bind them; the rules under
# "After the year" below do.
AFTER_THE_YEAR = frozenset({
    "evaluations.finding", "evaluations.recommendation", "evaluations.rechecksample",
    "evaluations.recheck", "evaluations.attachment",
})


def sees_all_departments(user) -> bool:
    """Whether the user reads every department (reviewers, auditors, superusers, the command line)."""
    if user is None:
        return True
    return bool(user.is_active and (user.is_superuser or user.has_perm(VIEW_ALL_DEPARTMENTS)))


def department_path(model) -> str | None:
    """The lookup from ``model`` to its department, or None for reference data (years, sources)."""
    return DEPARTMENT_PATHS.get(model._meta.label_lower)


def report_path(model) -> str | None:
    """The lookup from ``model`` to its report ("pk" for a report), or None if it has none."""
    path = department_path(model)
    if not path or not path.endswith("department"):
        return None
    return path.removesuffix("department").removesuffix("__") or "pk"


def department_lookups(user, path: str) -> dict:
    """The department rule as lookups on ``path`` (the department's own lookup, "" for a
    Department): {} when the user sees every department."""
    if sees_all_departments(user):
        return {}
    prefix = f"{path}__" if path else ""
    if not (user.is_authenticated and user.is_active):
        return {f"{prefix}pk__in": []}
    return {f"{prefix}staff": user}


def may_access_department(user, department_id: int) -> bool:
    """Whether the user may see (and, with the permission, enter) this department's data."""
    if sees_all_departments(user):
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    return user.departments.filter(pk=department_id).exists()


def may_read_audit_log(user) -> bool:
    """The whole audit trail spans every department: exporters who see them all."""
    return has_permission(user, EXPORT_DATA) and sees_all_departments(user)


def allowed_department_ids(user) -> set[int] | None:
    """Departments a user may import into or export; None means all of them."""
    if sees_all_departments(user):
        return None
    return set(Department.objects.filter(**department_lookups(user, "")).values_list("pk", flat=True))


def restrict(queryset: QuerySet, user, action: str = VIEW) -> QuerySet:
    """The rows of ``queryset`` on which ``user`` may take ``action`` (view, add, change, delete).

    The user needs the model permission for the action (for view, the change permission
    will do, as in Django's admin), sees only their departments' rows, and for anything but
    view only rows of reports that take changes (``writable_lookups``).
    """
    model = queryset.model
    if user is not None:
        if not (user.is_authenticated and user.is_active):
            return queryset.none()
        permissions = [model_permission(model, action)]
        if action == VIEW:
            permissions.append(model_permission(model, CHANGE))
        if not any(user.has_perm(p) for p in permissions):
            return queryset.none()
    path = department_path(model)
    if path is not None:
        queryset = queryset.filter(**department_lookups(user, path))
    to_report = report_path(model)
    if action != VIEW and to_report is not None and not after_the_year(model):
        queryset = queryset.filter(**writable_lookups(user, "" if to_report == "pk" else to_report))
    return queryset


# --- The edit lock --------------------------------------------------------------------------


class Lock(models.TextChoices):
    """Why a report takes no changes."""

    STATUS = "status", _("报告已提交、审核或公开，只有草稿可以修改；请先退回或撤回为草稿。")
    YEAR_CLOSED = "year_closed", _("该年度已停止填报。")


def _lock_terms(user) -> list[tuple[Lock, str, object]]:
    """The lock rule as data: (reason, lookup from the report, value a writable report has)."""
    if user is None:
        return []
    terms = [(Lock.STATUS, "status", Report.Status.DRAFT)]
    if not user.is_superuser:  # superusers correct a closed year's drafts without reopening it
        terms.append((Lock.YEAR_CLOSED, "fiscal_year__is_open", True))
    return terms


def _value_at(obj, lookup: str):
    for name in lookup.split("__"):
        obj = getattr(obj, name)
    return obj


def why_locked(report: Report, user) -> Lock | None:
    """Why ``user`` may not change ``report`` or its rows now, or None when they may."""
    for reason, lookup, writable in _lock_terms(user):
        if _value_at(report, lookup) != writable:
            return reason
    return None


def writable_lookups(user, prefix: str = "") -> dict:
    """``why_locked`` as query lookups: reports (reached through ``prefix``) that take changes."""
    start = f"{prefix}__" if prefix else ""
    return {f"{start}{lookup}": writable for _reason, lookup, writable in _lock_terms(user)}


def takes_new_rows(queryset: QuerySet, user) -> QuerySet:
    """Rows of ``queryset`` (reports, or rows of reports such as projects) that a new row
    from ``user`` may be attached to: visible to them, of a report that takes changes."""
    path = report_path(queryset.model)
    return restrict(queryset, user).filter(**writable_lookups(user, "" if path == "pk" else path))


# --- The targets lock -----------------------------------------------------------------------


class TargetLock(models.TextChoices):
    """Why a report's targets (models/targets.py, TARGET_FIELDS) take no changes."""

    SUBMITTED = "targets_submitted", _("绩效目标已提交审核，审核期间不能修改；如需修改请审核人先退回。")
    APPROVED = "targets_approved", _("绩效目标已批复，只能通过“绩效目标调整”（经审核人批准）修改。")


def why_targets_locked(report: Report) -> TargetLock | None:
    """Why ``report``'s targets take no changes now (submitted or approved), or None.

    For everyone, the command line included: an approved target changes only through an
    approved ``TargetAdjustment`` (evaluations/targets.py), which writes past this lock.
    A report whose targets were never submitted (the years before targets existed) keeps
    its targets editable as the rest of its draft.
    """
    if report.targets_status == Report.TargetsStatus.SUBMITTED:
        return TargetLock.SUBMITTED
    if report.targets_status == Report.TargetsStatus.APPROVED:
        return TargetLock.APPROVED
    return None


def locked_target_fields(model, report: Report | None) -> tuple[str, ...]:
    """The fields of ``model`` rows of ``report`` that take no change now: its target fields
    while the report's targets are locked, else none. Admin forms show them read-only."""
    if report is None or why_targets_locked(report) is None:
        return ()
    return target_fields(model)


def target_refusal(model, report: Report | None, changed=None) -> tuple[str, str] | None:
    """(field name, message) when a write to a ``model`` row of ``report`` would change a
    locked target, or None when it may be made.

    ``changed`` names the fields the write changes; None means the row itself is added or
    removed (a new or deleted indicator or project is a change of the targets too). The
    field named is the first target field changed ("" for adding or removing a row).
    """
    locked = locked_target_fields(model, report)
    if not locked:
        return None
    if changed is None:
        return "", why_targets_locked(report).label
    for name in locked:
        if name in changed:
            return name, why_targets_locked(report).label
    return None


# --- Years ----------------------------------------------------------------------------------


class YearRefusal(models.TextChoices):
    """Why a fiscal year may not be created on the way (by an import or a copy)."""

    BEYOND = "beyond", _("晚于下一年度")
    PERMISSION = "permission", _("无权新增预算年度")


def latest_new_year() -> int:
    """The last year an import or a copy may create: next year (2204 for 2024 is a slip)."""
    return timezone.localdate().year + 1


def why_not_create_year(user, year: int) -> YearRefusal | None:
    """Why ``user`` may not create fiscal year ``year`` on the way, or None when they may."""
    if year > latest_new_year():
        return YearRefusal.BEYOND
    if not has_permission(user, ADD_FISCAL_YEAR):
        return YearRefusal.PERMISSION
    return None


def _new_report_terms(user) -> dict:
    return {} if user is None else {"is_open": True}


def takes_new_reports(fiscal_year, user) -> bool:
    """Whether ``user`` may start a report in ``fiscal_year``: open years only (the command
    line, restoring an export, excepted)."""
    return all(_value_at(fiscal_year, k) == v for k, v in _new_report_terms(user).items())


def new_report_year_lookups(user) -> dict:
    """``takes_new_reports`` as lookups on FiscalYear."""
    return _new_report_terms(user)


# --- After the year: findings, result use, re-checks, attachments ---------------------------
# (docs/design.md, "Targets, monitoring, findings")


def after_the_year(model) -> bool:
    """Whether ``model``'s rows change after publication (AFTER_THE_YEAR), by their own rules."""
    return model._meta.label_lower in AFTER_THE_YEAR


def finding_sources(user) -> list[str]:
    """The sources of findings ``user`` may enter: staff their own self-evaluation's (self);
    reviewers and auditors, who see every department, the others (review, re-check, audit,
    third party); the command line and superusers any."""
    from evaluations.models import Finding

    if is_unrestricted(user):
        return list(Finding.Source.values)
    if sees_all_departments(user):
        return [s for s in Finding.Source.values if s != Finding.Source.SELF]
    return [Finding.Source.SELF]


def why_finding_locked(finding, user) -> str | None:
    """Why ``user`` may change nothing of ``finding`` (nor its attachments), or None.
    A verified finding is settled: only the unrestricted correct it."""
    if finding is not None and finding.status == finding.Status.VERIFIED and not is_unrestricted(user):
        return str(_("整改问题已验证，不能再修改。"))
    return None


def finding_fields_locked(finding, user) -> tuple[str, ...]:
    """Fields of ``finding`` that ``user`` may not change: what a reviewer or auditor found
    (its source, description, due date) is theirs; the department answers with the measure,
    owner and status."""
    if finding is None or finding.pk is None or finding.source == finding.Source.SELF:
        return ()
    if sees_all_departments(user):
        return ()
    return ("position", "source", "description", "due_date")


def why_not_finding_status(finding, old_status: str | None, new_status: str, user) -> str | None:
    """Why ``user`` may not move ``finding`` from ``old_status`` to ``new_status``, or None.

    Staff move their findings between open, in progress and done; only a reviewer
    (``VERIFY_FINDING``) verifies, only a done finding, and never one they marked done
    themselves or one of a department they are staff of.
    """
    Status = finding.Status
    if old_status == new_status:
        return None
    if old_status == Status.VERIFIED and not is_unrestricted(user):
        return why_finding_locked(finding, user)
    if new_status != Status.VERIFIED or user is None:
        return None
    if not has_permission(user, VERIFY_FINDING):
        return str(_("只有审核人可以验证整改。"))
    if old_status != Status.DONE:
        return str(_("只有“已整改”的问题可以验证。"))
    if finding.done_by_id is not None and finding.done_by_id == user.pk:
        return str(_("不能验证自己标记为已整改的问题。"))
    if user.departments.filter(pk=finding.report.department_id).exists():
        return str(_("不能验证本部门的整改问题。"))
    return None


def why_not_recheck(report) -> str | None:
    """Re-check scores go only to reports in the re-check sample (RecheckSample)."""
    from evaluations.models import RecheckSample

    if not RecheckSample.objects.filter(report=report).exists():
        return str(_("该报告不在抽查复核名单中；请先抽取或人工加入名单。"))
    return None


def why_attachment_locked(attachment, user) -> str | None:
    """Evidence of a finding follows the finding (it is added after publication); evidence of
    a report, project or indicator follows the report's edit lock (a draft)."""
    if attachment.finding_id is not None:
        return why_finding_locked(attachment.finding, user)
    if attachment.report_id is None:
        return None
    lock = why_locked(attachment.report, user)
    return None if lock is None else str(lock.label)
