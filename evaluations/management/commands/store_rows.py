"""manage.py store_rows [--year Y]: write again the stored export rows of published reports.

Exports read a published report's rows from its stored bytes while they still describe it
(exports/stored.py; docs/design.md, "Exports of published reports: stored rows"); after a
department code, a label or an export format changed they no longer do, and exports of those
reports run live (the same bytes, slower) until this writes them again.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from evaluations.exports import storing
from evaluations.models import Report


class Command(BaseCommand):
    help = "Write the stored export rows of published reports again (all years, or --year)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", default=[], help="repeatable")

    def handle(self, *args, **options):
        reports = Report.objects.filter(status=Report.Status.PUBLISHED)
        if options["year"]:
            reports = reports.filter(fiscal_year__year__in=options["year"])
        written = storing.store(reports.values_list("pk", flat=True))
        self.stdout.write(f"{written} published reports stored.")
