"""Report workflow: draft → submitted → approved → published, returned or reopened to draft.

Each transition checks who may make it, locks the report, moves it, and records who did it,
when and why in a ``ReportEvent``; the report's own history row carries the same user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from evaluations import checks
from evaluations.access import may_access_department
from evaluations.models import Report, ReportEvent
from evaluations.public import warm as public_pages

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser as User

Status = Report.Status
Action = ReportEvent.Action

# The permission each action needs, and the statuses it may start from.
RULES: dict[str, tuple[str, tuple[str, ...], str]] = {
    Action.SUBMIT: ("evaluations.submit_report", (Status.DRAFT,), Status.SUBMITTED),
    Action.RETURN: ("evaluations.review_report", (Status.SUBMITTED, Status.APPROVED), Status.DRAFT),
    Action.APPROVE: ("evaluations.review_report", (Status.SUBMITTED,), Status.APPROVED),
    Action.PUBLISH: ("evaluations.publish_report", (Status.APPROVED,), Status.PUBLISHED),
    Action.REOPEN: ("evaluations.publish_report", (Status.PUBLISHED,), Status.DRAFT),
}

# Transitions refused while a consistency check reports an error.
BLOCKED_BY_ERRORS = (Action.SUBMIT, Action.APPROVE)


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


def is_republication(report: Report) -> bool:
    """A report published before (and reopened since) gets a new revision when published again."""
    return report.published_at is not None


def may(user: User, action: str, report: Report) -> bool:
    """Whether ``user`` could take ``action`` on ``report`` in its current status."""
    permission, sources, _target = RULES[action]
    return (
        report.status in sources
        and user.is_active
        and user.has_perm(permission)
        and may_access_department(user, report.department_id)
    )


def available_actions(report: Report, user: User) -> list[str]:
    """The transitions the user may take now, in workflow order."""
    return [action for action in RULES if may(user, action, report)]


def submit_report(report: Report, user: User, comment: str = "") -> ReportEvent:
    """填报人 hands the report in for review; blocked while any consistency check fails."""
    return _transition(report, user, Action.SUBMIT, comment)


def return_report(report: Report, user: User, comment: str) -> ReportEvent:
    """审核人 sends the report back to the department with a comment they will read."""
    return _transition(report, user, Action.RETURN, comment, comment_required=True)


def approve_report(report: Report, user: User, comment: str = "") -> ReportEvent:
    return _transition(report, user, Action.APPROVE, comment)


def publish_report(report: Report, user: User, comment: str = "") -> ReportEvent:
    """Make the report public. Publishing again after a reopen is a new revision with a note.

    The comment of a publication is the public revision note (修订说明).
    """
    return _transition(report, user, Action.PUBLISH, comment)


def reopen_report(report: Report, user: User, comment: str) -> ReportEvent:
    """Take a published report back to draft for correction; the public page stops showing it."""
    return _transition(report, user, Action.REOPEN, comment, comment_required=True)


def _transition(
    report: Report, user: User, action: str, comment: str, *, comment_required: bool = False
) -> ReportEvent:
    permission, sources, target = RULES[action]
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not (
            user.is_active
            and user.has_perm(permission)
            and may_access_department(user, locked.department_id)
        ):
            raise PermissionDenied(
                _("您没有权限对该报告执行“%(action)s”。") % {"action": Action(action).label}
            )
        if locked.status not in sources:
            raise ValidationError(
                _("报告当前状态为“%(status)s”，不能%(action)s。")
                % {"status": locked.get_status_display(), "action": Action(action).label},
                code="invalid_status",
            )
        if comment_required and not comment:
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

        from_status = locked.status
        now = timezone.now()
        locked.status = target
        fields = ["status", "updated_at"]
        if action == Action.PUBLISH:
            if is_republication(locked):
                if not comment:
                    raise ValidationError(
                        _("再次公开须填写修订说明。"), code="revision_note_required"
                    )
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
        if Status.PUBLISHED in (from_status, target):
            public_pages.after_publication(locked.pk)  # rendered once this commits
    report.status, report.revision, report.published_at, report.updated_at = (
        locked.status, locked.revision, locked.published_at, locked.updated_at,
    )
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


# --- Reading the trail --------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """One line of the public 修订记录."""

    revision: int
    date: datetime
    note: str


def published_revisions(report: Report) -> list[Revision]:
    """修订记录 of a report: each publication, oldest first, with its revision note.

    One query, or two when a revision was published outside the workflow (the sample loader
    publishes directly): its date then comes from the report's own history.
    """
    events = ReportEvent.objects.filter(report=report, action=Action.PUBLISH).order_by(
        "revision", "created_at", "pk"
    )
    revisions: dict[int, Revision] = {}
    for event in events:
        revisions.setdefault(event.revision, Revision(event.revision, event.created_at, event.comment))
    if report.published_at is not None:
        # The revision only moves on publication, so every one up to the current was public.
        missing = [n for n in range(1, report.revision + 1) if n not in revisions]
        if missing:
            published = (
                report.history.filter(
                    status=Status.PUBLISHED, revision__in=missing, published_at__isnull=False
                )
                .order_by("history_date")
                .values_list("revision", "published_at")
            )
            for revision, published_at in published:
                revisions.setdefault(revision, Revision(revision, published_at, ""))
    return [revisions[n] for n in sorted(revisions)]


def latest_return(events: list[ReportEvent]) -> ReportEvent | None:
    """The reviewer's return still to be acted on: the last return, if nothing followed it."""
    if events and events[-1].action == Action.RETURN:
        return events[-1]
    return None
