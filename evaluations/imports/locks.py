"""Which reports an import may write into, asked while planning and again under a row lock.

The rule is the edit lock of access.why_locked (docs/design.md, "Workflow and permissions"),
held with workflow.hold_for_editing; on top of it, a report the workflow moved past draft
(submitted, approved, published) changes by no import, the command line's included: a
published one only by reopen → republish (issue 15.4). Under the lock the writer finds a report submitted or published meanwhile and
fails the whole import naming it (issue 15.1).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from evaluations import access, workflow
from evaluations.models import Report, ReportEvent

# What an import never reads of a report it plans rows for or locks: the long texts and a
# published report's rule snapshot (about 4.6 kB each: 40 MB over the 10,000 reports of a
# million indicator rows).
REPORT_UNREAD = [f.name for f in Report._meta.concrete_fields
                 if f.get_internal_type() in ("TextField", "JSONField")]


def reviewed_by_workflow(report_ids: Iterable[int]) -> set[int]:
    """Reports among ``report_ids`` that the workflow has moved (their trail has an event).

    A report whose status an import restored from an export has no trail; the rest of that
    export still fills it (docs/data-dictionary.md, "Rules").
    """
    return set(
        ReportEvent.objects.filter(report_id__in=list(report_ids))
        .values_list("report_id", flat=True)
        .distinct()
    )


def refusal(report: Report, user, *, reviewed: bool) -> tuple[str, str] | None:
    """(column key, message) when ``user`` (None: the command line) may not write ``report``.

    The edit lock is access.why_locked; on top of it, no import, the command line's
    included, writes into a report past draft that the workflow moved there (``reviewed``,
    from :func:`reviewed_by_workflow`): what a reviewer saw or approved stays as they saw it,
    and a published report changes only by reopen → republish (issue 15.4).
    """
    if reviewed and report.status == Report.Status.PUBLISHED:
        return "", _(
            "报告已公开，不能通过导入修改；请由审核人先“撤回修订”，改后再公开（记入修订记录）。"
        )
    lock = access.why_locked(report, user)
    if lock == access.Lock.STATUS or (reviewed and report.status != Report.Status.DRAFT):
        return "", (
            _("报告状态为“%(status)s”，不能通过导入修改；请先退回或撤回为草稿。")
            % {"status": report.get_status_display()}
        )
    if lock is None:
        return None
    return "year", (
        _("%(year)s 年度已停止填报，不能修改该年度的报告。") % {"year": report.fiscal_year.year}
    )


class ReportChanged(Exception):
    """A report became read-only between planning and writing; the import is refused whole."""

    def __init__(self, report: Report, message: str) -> None:
        self.report = report
        super().__init__(
            _("报告“%(department)s %(year)s 年度”在导入期间已改变：%(problem)s 未导入任何数据。")
            % {"department": report.department.name, "year": report.fiscal_year.year,
               "problem": message}
        )


class Holds:
    """The reports one import holds (locked until it commits), which of them the workflow
    moved, and which have been rechecked for writing (:meth:`recheck`).

    A held report stays as locked: a submission or publication waits for the import's commit,
    so each is locked and rechecked once an import, not once a chunk. The indicators import
    locks a window of chunks' reports at once (:meth:`lock`) and rechecks each report as its
    first changed row is written, so a file whose rows of a published report are unchanged
    still imports. The locked rows are kept for the window being written only, without their
    long texts (REPORT_UNREAD): a million rows lock 10,000 reports."""

    def __init__(self, user) -> None:
        self.user = user
        self.locked: set[int] = set()
        self.rows: dict[int, Report] = {}  # the current window's locked rows, not yet rechecked
        self.reviewed: set[int] = set()  # held reports the workflow moved past draft
        self.checked: set[int] = set()
        self.created: set[int] = set()  # reports this import created: no one else sees them

    def lock(self, reports: Iterable[Report]) -> None:
        """Lock the stored ``reports`` (workflow.lock_rows), without rechecking; the rows of
        earlier windows are let go (they stay locked)."""
        ids = {r.pk for r in reports if r.pk is not None} - self.checked - self.created
        self.rows = {pk: row for pk, row in self.rows.items() if pk in ids}
        self._lock(ids - set(self.rows))

    def _lock(self, ids: set[int]) -> None:
        if not ids:
            return
        locked = workflow.lock_rows(ids, unread=REPORT_UNREAD)
        self.rows.update(locked)
        fresh = set(locked) - self.locked
        self.locked |= fresh
        self.reviewed |= reviewed_by_workflow(
            pk for pk in fresh if locked[pk].status != Report.Status.DRAFT
        )

    def recheck(self, reports: Iterable[Report]) -> list[int]:
        """Hold the reports about to be written into (workflow.hold_for_editing: locked in id
        order until the import commits, the edit lock rechecked on the rows as they are now),
        then refuse any the workflow published. Returns the ids newly held."""
        done = self.checked | self.created
        reports = [r for r in reports if r.pk is not None and r.pk not in done]
        ids = sorted({r.pk for r in reports})
        if not ids:
            return ids
        self._lock(set(ids) - set(self.rows))
        try:
            workflow.recheck(self.rows, ids, self.user)
        except workflow.ReportLocked as exc:
            reviewed = exc.report.pk in self.reviewed  # then say: reopen first
            raise ReportChanged(exc.report, refusal(exc.report, self.user, reviewed=reviewed)[1]) from exc
        except (PermissionDenied, Report.DoesNotExist) as exc:
            refused = next(r for r in reports if r.pk == exc.report_id)
            raise ReportChanged(refused, _("已无法访问或已删除。")) from exc
        for report in reports:  # targets submitted or approved meanwhile (access.target_refusal)
            held = self.rows[report.pk]
            now_locked = access.why_targets_locked(held)
            if now_locked is not None and held.targets_status != report.targets_status:
                raise ReportChanged(report, now_locked.label)
        reviewed = self.reviewed.intersection(ids)
        if reviewed:
            first = self.rows[min(reviewed)]
            raise ReportChanged(first, refusal(first, self.user, reviewed=True)[1])
        self.checked.update(ids)
        for pk in ids:
            del self.rows[pk]
        return ids
