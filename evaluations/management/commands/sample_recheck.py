"""`manage.py sample_recheck --year Y --percent P --seed S [--dry-run]`: draw the year's
re-check sample (抽查复核) reproducibly and print it (evaluations/rechecks.py)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from evaluations import rechecks


def percent(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"--percent: not a number: {text}") from None
    if not 0 < value <= 100:
        raise CommandError(f"--percent must be above 0 and at most 100, not {text}")
    return value


class Command(BaseCommand):
    help = "Draw a reproducible random sample of a year's approved and published reports for re-check."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--percent", type=percent, required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument("--dry-run", action="store_true", help="print the sample, store nothing")

    def handle(self, *args, year, percent, seed, dry_run, **options):
        picked, count = rechecks.draw_sample(year, percent, seed)
        if not count:
            raise CommandError(f"{year}: no approved or published reports to sample")
        added = [] if dry_run else rechecks.save_sample(picked, seed)
        self.stdout.write(
            f"{year}: {len(picked)} of {count} reports ({percent}%, seed {seed})"
            + (" [dry run]" if dry_run else f", {len(added)} new in the sample")
        )
        new = {r.pk for r in added}
        for report in picked:
            mark = "+" if report.pk in new else " "
            self.stdout.write(f"{mark} {report.department.code}\t{report.department.name}")
