"""Opening a fiscal year for entry in one step (issue 14.1; docs/design.md, "Workflow and permissions").

Reviewers (``evaluations.add_fiscalyear`` and ``change_fiscalyear``) open next year from the
reports list: the year is created if missing and marked open. Clerks cannot; the report form
lists only open years and says whom to ask (``ASK_A_REVIEWER``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluations import access
from evaluations.models import FiscalYear

ASK_A_REVIEWER = gettext_lazy(
    "只能选择开放填报的年度。需要填报其他年度（例如下一年度）时，请联系审核人："
    "审核人可在“自评报告”列表页一步开放该年度。"
)

EARLIEST_YEAR = 2000  # the reviewer's box offers no year before it (report/change_list.html)
NOT_OPEN = gettext_lazy("该年度未开放填报。请联系审核人在“自评报告”列表页开放该年度。")


def may_open(user) -> bool:
    """Whether ``user`` may create and open a year (reviewers, superusers)."""
    return access.has_permission(user, access.ADD_FISCAL_YEAR) and access.has_permission(
        user, access.CHANGE_FISCAL_YEAR
    )


def next_to_open() -> int | None:
    """The year a reviewer would open next: next year, unless it is already open."""
    year = access.latest_new_year()
    if FiscalYear.objects.filter(year=year, is_open=True).exists():
        return None
    return year


def open_years() -> list[int]:
    return list(FiscalYear.objects.filter(is_open=True).order_by("year").values_list("year", flat=True))


@transaction.atomic
def open_for_entry(year: int, user) -> FiscalYear:
    """Create ``year`` if it does not exist and open it for entry; refused beyond next year."""
    if not may_open(user):
        raise PermissionDenied(_("只有审核人可以开放年度填报。"))
    if year < EARLIEST_YEAR:  # a slip of the keyboard ("202"), not a fiscal year
        raise ValidationError(_("%(year)s不是有效的年度。") % {"year": year}, code="year_invalid")
    if access.why_not_create_year(user, year) == access.YearRefusal.BEYOND:
        raise ValidationError(
            _("%(year)s年度晚于%(latest)s年度，不能开放。")
            % {"year": year, "latest": access.latest_new_year()},
            code="year_beyond",
        )
    fiscal_year, _created = FiscalYear.objects.select_for_update().get_or_create(
        year=year, defaults={"is_open": True}
    )
    if not fiscal_year.is_open:
        fiscal_year.is_open = True
        fiscal_year.save(update_fields=["is_open"])
    return fiscal_year
