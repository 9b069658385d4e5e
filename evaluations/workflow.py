"""Report workflow: draft → submitted → approved → published, returned or reopened to draft.

Each transition checks who may make it, locks the report, moves it, and records who did it,
when and why in a ``ReportEvent``; the report's own history row carries the same user.
Transitions own the status fields (``Report.WORKFLOW_FIELDS``): no form, import or other
save writes them. Edits take the same row lock through ``editing()``, so an edit and a
transition never interleave (docs/design.md, "Workflow and permissions").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from common.formatting import join_names
from evaluations import access, checks, scores
from evaluations.access import may_access_department
from evaluations.documents import generate as documents
from evaluations.exports import storing as stored_rows
from evaluations.models import Report, ReportEvent, TargetsEvent
from evaluations.public import warm as public_pages
from evaluations.revisions import is_republication

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser as User

Status = Report.Status
Action = ReportEvent.Action

# The permission each action needs, and the statuses it may start from.
RULES: dict[str, tuple[str, tuple[str, ...], str]] = {
    Action.SUBMIT: (access.SUBMIT_REPORT, (Status.DRAFT,), Status.SUBMITTED),
    Action.RETURN: (access.REVIEW_REPORT, (Status.SUBMITTED, Status.APPROVED), Status.DRAFT),
    Action.APPROVE: (access.REVIEW_REPORT, (Status.SUBMITTED,), Status.APPROVED),
    Action.PUBLISH: (access.PUBLISH_REPORT, (Status.APPROVED,), Status.PUBLISHED),
    Action.REOPEN: (access.PUBLISH_REPORT, (Status.PUBLISHED,), Status.DRAFT),
}

# Transitions refused while a consistency check reports an error.
BLOCKED_BY_ERRORS = (Action.SUBMIT, Action.APPROVE)
# Transitions that say why: a return (the department reads it) and a reopen.
COMMENT_REQUIRED = (Action.RETURN, Action.REOPEN)


@contextlib.contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Attribute every history row written inside the block to ``user`` (commands, imports).

    django-simple-history takes the user from the current request; outside a request there is
    none, so this stands one in for the duration of the block.
    """
    context = HistoricalRecords.context
    missing = object()
    previous = getattr(context, "request", missing)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is missing:
            del context.request
        else:
            context.request = previous


# Separation of duties: whoever submitted a report does not approve or publish it, even when
# they hold both roles (a user in data_entry and reviewer).
SEPARATED_FROM_SUBMISSION = (Action.APPROVE, Action.PUBLISH)

PERMISSION, STATUS, OWN_SUBMISSION = "permission", "status", "own_submission"


def submitted_by(report: Report, events: list[ReportEvent] | None = None) -> int | None:
    """The id of the user whose submission is under review: the report's latest submit.

    ``events`` (the report's trail, oldest first) saves the query when the caller has it.
    """
    if events is not None:
        submitters = [e.actor_id for e in events if e.action == Action.SUBMIT]
        return submitters[-1] if submitters else None
    return (
        ReportEvent.objects.filter(report=report, action=Action.SUBMIT)
        .order_by("-created_at", "-pk")
        .values_list("actor_id", flat=True)
        .first()
    )


def refusal(
    user: User, action: str, report: Report, events: list[ReportEvent] | None = None
) -> str | None:
    """Why ``user`` may not take ``action`` on ``report`` now (PERMISSION, STATUS or
    OWN_SUBMISSION), or None when they may: the one rule behind the buttons and the moves."""
    permission, sources, _target = RULES[action]
    if not (
        access.has_permission(user, permission)
        and may_access_department(user, report.department_id)
    ):
        return PERMISSION
    if report.status not in sources:
        return STATUS
    if action in SEPARATED_FROM_SUBMISSION and submitted_by(report, events) == user.pk:
        return OWN_SUBMISSION
    return None


def may_set_status(user: User | None, report: Report) -> bool:
    """Whether a report takes its status as given rather than through a transition: only a
    report being created by the command line or a superuser, restoring an export into an
    empty database. Every other status change is a transition (Report.save refuses it)."""
    return report.pk is None and access.is_unrestricted(user)


def may(user: User, action: str, report: Report, events: list[ReportEvent] | None = None) -> bool:
    """Whether ``user`` could take ``action`` on ``report`` in its current status."""
    # The status first: it needs no query, and most actions fail on it.
    return report.status in RULES[action][1] and refusal(user, action, report, events) is None


def available_actions(
    report: Report, user: User, events: list[ReportEvent] | None = None
) -> list[str]:
    """The transitions the user may take now, in workflow order."""
    return [action for action in RULES if may(user, action, report, events)]


def withheld_as_submitter(
    report: Report, user: User, events: list[ReportEvent] | None = None
) -> list[str]:
    """Transitions the user would have but for having submitted the report themselves."""
    return [
        action for action in SEPARATED_FROM_SUBMISSION
        if report.status in RULES[action][1]
        and refusal(user, action, report, events) == OWN_SUBMISSION
    ]


# --- Editing: the one way into a report's rows ------------------------------------------------


class ReportLocked(ValidationError):
    """The report takes no changes now; ``lock`` (an ``access.Lock``) says why."""

    def __init__(self, report: Report, lock: access.Lock) -> None:
        self.report, self.lock = report, lock
        super().__init__(lock.label, code=lock.value)


def _naming(error: Exception, report_id: int) -> Exception:
    error.report_id = report_id  # which report was refused, for the caller's message
    return error


def hold_for_editing(report_ids, user: User | None) -> dict[int, Report]:
    """Lock the reports' rows until the current transaction ends and recheck, on the rows as
    they are now, that each still takes changes from ``user``; returns them by id.

    Raises ``ReportLocked`` (a ValidationError) when one does not, ``PermissionDenied`` when
    the user may not see its department, ``Report.DoesNotExist`` when it is gone (both carry
    the refused report's id as ``report_id``). Must run
    inside a transaction (the admin's change and delete views are one); ``editing()`` is
    the same as a block. Reports are locked in id order, so two writers never deadlock.
    """
    found = lock_rows(report_ids)
    recheck(found, report_ids, user)
    return found


def lock_rows(report_ids, *, unread=()) -> dict[int, Report]:
    """hold_for_editing's lock alone: the reports' rows locked until the transaction ends, in
    id order, as they are now (a report gone is missing), without the fields ``unread``. An
    import locks the reports of many rows at once, then rechecks each as it writes into it
    (imports/locks.py)."""
    ids = sorted({pk for pk in report_ids if pk is not None})
    if not ids:
        return {}
    if not transaction.get_connection(router.db_for_write(Report)).in_atomic_block:
        raise TransactionManagementError("hold_for_editing() outside a transaction locks nothing")
    return {
        report.pk: report
        for report in Report.objects.select_for_update(of=("self",))
        .select_related("fiscal_year", "department")
        .filter(pk__in=ids)
        .defer(*unread)
        .order_by("pk")
    }


def recheck(found: dict[int, Report], report_ids, user: User | None) -> None:
    """hold_for_editing's recheck of the locked rows ``found`` (lock_rows): raises as it says."""
    for pk in sorted({pk for pk in report_ids if pk is not None}):
        report = found.get(pk)
        if report is None:
            raise _naming(Report.DoesNotExist(f"Report {pk} does not exist"), pk)
        if user is not None and not may_access_department(user, report.department_id):
            raise _naming(PermissionDenied(), pk)
        lock = access.why_locked(report, user)
        if lock is not None:
            raise ReportLocked(report, lock)


def mark_edited(report_ids) -> None:
    """Move the reports' ``updated_at`` (the change form's version token) after their rows
    changed, so a page loaded before any change to the report or its rows is stale; and
    rescore them (evaluations/scores.py), rows written in bulk included."""
    ids = set(report_ids) - {None}
    Report.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    scores.touch(ids)


@contextlib.contextmanager
def editing(report_id: int, user: User | None) -> Iterator[Report]:
    """Every write to a report's rows, as one block (issue 15: imports, admin, copy-forward)::

        with editing(report.pk, request.user) as report:
            ...  # write the report's rows

    One transaction; the report row is locked first (``SELECT … FOR UPDATE``), so a workflow
    transition waits for the block or the block for it, and whether the report takes
    changes is rechecked on the row as it is now (``access.why_locked``: a draft, in an open
    year unless a superuser; the command line, ``user`` None, is never locked). Raises
    ``ReportLocked`` before anything is written; the yielded report is the locked row, with
    its fiscal year and department. On leaving the block normally the report's
    ``updated_at`` moves (``mark_edited``).
    """
    with transaction.atomic(using=router.db_for_write(Report)):
        report = hold_for_editing([report_id], user)[report_id]
        yield report
        mark_edited([report_id])


def submit_report(report: Report, user: User, comment: str = "") -> ReportEvent:
    """填报人 hands the report in for review; blocked while any consistency check fails."""
    return _transition(report, user, Action.SUBMIT, comment)


def return_report(report: Report, user: User, comment: str) -> ReportEvent:
    """审核人 sends the report back to the department with a comment they will read."""
    return _transition(report, user, Action.RETURN, comment)


def approve_report(report: Report, user: User, comment: str = "") -> ReportEvent:
    return _transition(report, user, Action.APPROVE, comment)


def publish_report(report: Report, user: User, comment: str = "") -> ReportEvent:
    """Make the report public. Publishing again after a reopen is a new revision with a note.

    The comment of a publication is the public revision note (修订说明).
    """
    return _transition(report, user, Action.PUBLISH, comment)


def reopen_report(report: Report, user: User, comment: str) -> ReportEvent:
    """Take a published report back to draft for correction; the public page stops showing it."""
    return _transition(report, user, Action.REOPEN, comment)


def needs_comment(report: Report, action: str) -> bool:
    """Whether ``action`` on ``report`` must carry a comment: a return or a reopen says why,
    a republication what changed (its public 修订说明)."""
    return action in COMMENT_REQUIRED or (action == Action.PUBLISH and is_republication(report))


def _transition(report: Report, user: User, action: str, comment: str) -> ReportEvent:
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        _refuse(locked, user, action, comment)
        event = _move(locked, user, action, comment)
    report.status, report.revision, report.published_at, report.updated_at = (
        locked.status, locked.revision, locked.published_at, locked.updated_at,
    )
    return event


def _refuse(locked: Report, user: User, action: str, comment: str) -> None:
    """Raise why ``action`` may not be taken on the locked row now, if it may not."""
    reason = refusal(user, action, locked)
    if reason == PERMISSION:
        raise PermissionDenied(
            _("您没有权限对该报告执行“%(action)s”。") % {"action": Action(action).label}
        )
    if reason == STATUS:
        raise ValidationError(
            _("报告当前状态为“%(status)s”，不能%(action)s。")
            % {"status": locked.get_status_display(), "action": Action(action).label},
            code="invalid_status",
        )
    if reason == OWN_SUBMISSION:
        raise PermissionDenied(
            _("这份报告是您提交的，不能由您%(action)s：提交与审核、公开须由不同的人完成。")
            % {"action": Action(action).label}
        )
    if not comment and needs_comment(locked, action):
        if action == Action.PUBLISH:  # a republication: its note is public
            raise ValidationError(_("再次公开须填写修订说明。"), code="revision_note_required")
        raise ValidationError(
            _("%(action)s时必须填写意见。") % {"action": Action(action).label},
            code="comment_required",
        )
    if action in BLOCKED_BY_ERRORS:
        problems = checks.errors(checks.check_report(locked))
        if problems:
            raise ValidationError(
                [ValidationError(f.message, code=f.code) for f in problems]
            )


def _move(locked: Report, user: User, action: str, comment: str) -> ReportEvent:
    """Set the locked row's new status (and revision on republication), and record the event."""
    target = RULES[action][2]
    from_status = locked.status
    now = timezone.now()
    locked.status = target
    fields = ["status", "updated_at"]
    if action == Action.PUBLISH:
        if is_republication(locked):  # its note was asked for in _refuse (needs_comment)
            locked.revision += 1
            fields.append("revision")
        locked.published_at = now
        fields.append("published_at")
    locked._history_user = user
    locked._change_reason = Action(action).label
    locked.save(update_fields=fields)
    event = ReportEvent.objects.create(
        report=locked, action=action, from_status=from_status, to_status=target,
        actor=user, comment=comment, revision=locked.revision, created_at=now,
    )
    if target == Status.PUBLISHED:
        # The revision's Word, PDF and 自评表 files, written once this commits (before the
        # pages are rendered, so they list them).
        documents.after_publication(locked.pk)
        # Its rows as the exports write them (exports/stored.py), with the publication.
        stored_rows.at_publication(locked.pk)
    if Status.PUBLISHED in (from_status, target):
        public_pages.after_publication(locked.pk)  # rendered once this commits
    return event


TRANSITIONS = {
    Action.SUBMIT: submit_report,
    Action.RETURN: return_report,
    Action.APPROVE: approve_report,
    Action.PUBLISH: publish_report,
    Action.REOPEN: reopen_report,
}


def perform(action: str, report: Report, user: User, comment: str = "") -> ReportEvent:
    """Run the transition named ``action`` (as the admin's buttons and actions do)."""
    try:
        function = TRANSITIONS[Action(action)]
    except ValueError as exc:
        raise ValidationError(_("未知的操作。"), code="unknown_action") from exc
    return function(report, user, comment)


# --- Targets (绩效目标): draft → submitted → approved, returned with a comment -------------
# Their own status (Report.targets_status), beside the report's; the same refusals and the
# same separation of duties: whoever submitted the targets does not approve them. Approved
# targets change only through an approved adjustment (evaluations/targets.py).

TargetsStatus = Report.TargetsStatus
TargetsAction = TargetsEvent.Action

TARGETS_RULES: dict[str, tuple[str, tuple[str, ...], str]] = {
    TargetsAction.SUBMIT: (access.SUBMIT_REPORT, (TargetsStatus.DRAFT,), TargetsStatus.SUBMITTED),
    TargetsAction.RETURN: (access.REVIEW_REPORT, (TargetsStatus.SUBMITTED,), TargetsStatus.DRAFT),
    TargetsAction.APPROVE: (access.REVIEW_REPORT, (TargetsStatus.SUBMITTED,), TargetsStatus.APPROVED),
}


def targets_refusal(user: User, action: str, report: Report) -> str | None:
    """Why ``user`` may not take targets ``action`` on ``report`` now (PERMISSION, STATUS or
    OWN_SUBMISSION), or None: the one rule behind the targets buttons and moves."""
    permission, sources, _target = TARGETS_RULES[action]
    if not (access.has_permission(user, permission) and may_access_department(user, report.department_id)):
        return PERMISSION
    if report.targets_status not in sources:
        return STATUS
    if action == TargetsAction.APPROVE:
        last_submit = (
            TargetsEvent.objects.filter(report=report, action=TargetsAction.SUBMIT)
            .order_by("-created_at", "-pk").values_list("actor_id", flat=True).first()
        )
        if last_submit == user.pk:
            return OWN_SUBMISSION
    return None


def available_targets_actions(report: Report, user: User) -> list[str]:
    """The targets transitions the user may take now, in workflow order."""
    return [a for a in TARGETS_RULES if report.targets_status in TARGETS_RULES[a][1]
            and targets_refusal(user, a, report) is None]


def move_targets(report: Report, user: User, action: str, comment: str = "") -> TargetsEvent:
    """Submit, return (comment required) or approve ``report``'s targets; the report row is
    locked first, so an import or edit of its targets and this move never interleave."""
    action = TargetsAction(action)
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        reason = targets_refusal(user, action, locked)
        if reason == PERMISSION:
            raise PermissionDenied(_("您没有权限对该报告执行“%(action)s”。") % {"action": action.label})
        if reason == STATUS:
            raise ValidationError(
                _("绩效目标当前状态为“%(status)s”，不能%(action)s。")
                % {"status": locked.get_targets_status_display(), "action": action.label},
                code="invalid_status",
            )
        if reason == OWN_SUBMISSION:
            raise PermissionDenied(_("绩效目标是您提交的，不能由您批复：提交与批复须由不同的人完成。"))
        if action == TargetsAction.RETURN and not comment:
            raise ValidationError(_("%(action)s时必须填写意见。") % {"action": action.label},
                                  code="comment_required")
        if action == TargetsAction.SUBMIT and not locked.indicators.exists():
            raise ValidationError(_("还没有填写绩效指标，不能提交绩效目标。"), code="no_targets")
        if action == TargetsAction.SUBMIT:
            # Monitoring measures each project's spending against it, and approval locks it.
            unbudgeted = list(locked.projects.filter(adjusted_budget__isnull=True).values_list("name", flat=True))
            if unbudgeted:
                raise ValidationError(
                    _("项目%(projects)s没有全年预算数：绩效目标批复后它将锁定，执行监控以它衡量支出进度，请先填写。")
                    % {"projects": join_names(f"“{name}”" for name in unbudgeted)},
                    code="no_budget")
        if action == TargetsAction.SUBMIT:
            _refuse_target_errors(locked)
        locked.targets_status = TARGETS_RULES[action][2]
        locked._history_user = user
        locked._change_reason = action.label
        locked.save(update_fields=["targets_status", "updated_at"])
        event = TargetsEvent.objects.create(report=locked, action=action, actor=user, comment=comment)
    report.targets_status, report.updated_at = locked.targets_status, locked.updated_at
    return event


def _refuse_target_errors(report: Report) -> None:
    """The checks' errors about the targets (checks.TARGET_ERRORS), the same findings the
    report page lists, asked before the targets go for approval, which locks them."""
    problems = [f for f in checks.errors(checks.check_report(report)) if f.code in checks.TARGET_ERRORS]
    if problems:
        raise ValidationError(
            [_("绩效目标批复后分值将锁定，请先改正：%(problem)s") % {"problem": f.message} for f in problems],
            code="target_errors")


# --- Reading the trail (the public 修订记录: revisions.py) ------------------------


def latest_return(events: list[ReportEvent] | list[TargetsEvent]) -> ReportEvent | TargetsEvent | None:
    """The reviewer's return still to be acted on: the last return, if nothing followed it
    (of a report's trail or its targets': both steps are "return")."""
    if events and events[-1].action == Action.RETURN:
        return events[-1]
    return None
