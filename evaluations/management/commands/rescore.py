"""manage.py rescore [--year Y] [--department C] [--dry-run]: recompute the stored scores of drafts.

After a rule set's parameters changed (docs/design.md, "Scoring rule sets"). Only drafts: a
submitted or approved report is rescored when it moves (its status change is a write), and a
published report's scores are frozen. Prints every score that changes, old → new.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evaluations import scores
from evaluations.models import Department, Report

REPORTS_PER_ROUND = 200  # reports recomputed (and held in memory) at once


class Command(BaseCommand):
    help = "Recompute the stored scores of draft reports under their rule sets; print old → new."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", default=[], help="repeatable")
        parser.add_argument("--department", action="append", default=[], help="code; repeatable")
        parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")

    def handle(self, *args, **options):
        reports = Report.objects.filter(status=Report.Status.DRAFT)
        if options["year"]:
            reports = reports.filter(fiscal_year__year__in=options["year"])
        if options["department"]:
            unknown = set(options["department"]) - set(
                Department.objects.filter(code__in=options["department"]).values_list("code", flat=True)
            )
            if unknown:
                raise CommandError(f"unknown department code(s): {', '.join(sorted(unknown))}")
            reports = reports.filter(department__code__in=options["department"])
        ids = list(reports.order_by("fiscal_year__year", "department__code").values_list("pk", flat=True))
        changed = 0
        reports_changed = set()
        for start in range(0, len(ids), REPORTS_PER_ROUND):
            with transaction.atomic():
                # Locked as any edit is, so a publication in between waits (workflow.editing).
                batch = list(
                    Report.objects.select_for_update()
                    .filter(pk__in=ids[start:start + REPORTS_PER_ROUND], status=Report.Status.DRAFT)
                    .values_list("pk", flat=True)
                )
                for change in scores.recompute(batch, dry_run=options["dry_run"]):
                    self.stdout.write(str(change))
                    changed += 1
                    reports_changed.add(change.report_id)
        verb = "would change" if options["dry_run"] else "changed"
        self.stdout.write(
            f"{len(ids)} draft report(s) rescored; {changed} score(s) in "
            f"{len(reports_changed)} report(s) {verb}."
        )
