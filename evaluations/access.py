"""Who may see and change what: the one place every admin list, form, choice, import, export
and workflow step asks (docs/design.md, "Workflow and permissions").

Three rules live here, each written once and compiled two ways where a caller needs a
queryset rather than a yes/no answer:

- **Departments.** Reviewers, auditors and superusers see every department; everyone else
  sees the departments they are staff of (``Department.staff``). ``restrict()`` narrows a
  queryset the NetBox way (the model permission for the action, then the rows);
  ``may_access_department()`` answers for one department.
- **The edit lock.** Only a draft takes changes, and only while its fiscal year is open,
  except to superusers, who may correct a closed year's draft. ``why_locked()`` names the
  reason for one report; ``writable_lookups()`` is the same rule as query lookups.
  ``evaluations.workflow.editing()`` rechecks it with the report row locked.
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

from evaluations.models import Department, Report

# --- Permission names -----------------------------------------------------------------------

VIEW_ALL_DEPARTMENTS = "evaluations.view_all_departments"
SUBMIT_REPORT = "evaluations.submit_report"
REVIEW_REPORT = "evaluations.review_report"
PUBLISH_REPORT = "evaluations.publish_report"
IMPORT_DATA = "evaluations.import_data"
EXPORT_DATA = "evaluations.export_data"
ADD_FISCAL_YEAR = "evaluations.add_fiscalyear"
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
}


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
    if action != VIEW and to_report is not None:
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
