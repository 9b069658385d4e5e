"""Who may see which department's data: the one rule behind every admin list, form and export.

Reviewers, auditors and superusers see every department; everyone else sees the departments
they are staff of (``Department.staff``). Call ``scope()`` wherever rows leave the database.
"""

from __future__ import annotations

from django.db.models import QuerySet

from evaluations.models import Department

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
    """Whether the user reads every department (reviewers, auditors, superusers)."""
    return bool(
        user.is_active
        and (user.is_superuser or user.has_perm("evaluations.view_all_departments"))
    )


def department_path(model) -> str | None:
    """The lookup from ``model`` to its department, or None for reference data (years, sources)."""
    return DEPARTMENT_PATHS.get(model._meta.label_lower)


def scope(queryset: QuerySet, user) -> QuerySet:
    """``queryset`` narrowed to the rows of departments the user may see."""
    path = department_path(queryset.model)
    if path is None or sees_all_departments(user):
        return queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    return queryset.filter(**{f"{path}__staff" if path else "staff": user})


def may_access_department(user, department_id: int) -> bool:
    """Whether the user may see (and, with the permission, enter) this department's data."""
    if sees_all_departments(user):
        return True
    if not user.is_authenticated:
        return False
    return user.departments.filter(pk=department_id).exists()


def allowed_department_ids(user) -> set[int] | None:
    """Departments a user may import into or export; None means all of them.

    ``user`` None is the command line, which acts for the whole system.
    """
    if user is None or sees_all_departments(user):
        return None
    return set(Department.objects.filter(staff=user).values_list("pk", flat=True))
