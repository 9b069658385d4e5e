"""Reading a report's publications: whether it was public before, and its 修订记录.

Reads, not transitions: the public report page lists the revisions and the workflow asks
whether a publication is a republication (workflow.py), and neither imports the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evaluations.models import Report, ReportEvent

Status = Report.Status
Action = ReportEvent.Action


def is_republication(report: Report) -> bool:
    """A report published before (and reopened since) gets a new revision when published again.

    The sample loader publishes without a date (the seed states none, issue 14.11): a reopening
    on record says such a report was public all the same.
    """
    return report.published_at is not None or (
        report.pk is not None
        and ReportEvent.objects.filter(report=report, action=Action.REOPEN).exists()
    )


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
    if report.status == Status.PUBLISHED or is_republication(report):
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
            for revision in missing:  # public, its date unknown (the sample states none)
                revisions.setdefault(revision, Revision(revision, None, ""))
    return [revisions[n] for n in sorted(revisions)]
