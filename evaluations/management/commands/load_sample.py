"""Load the real 2022 sample report (idempotent)."""

from django.core.management.base import BaseCommand

from evaluations.sample import load_sample_report


class Command(BaseCommand):
    help = "Load the sample 2022 self-evaluation report; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--draft", action="store_true",
            help="Leave a newly created report as a draft instead of publishing it.",
        )

    def handle(self, *args, **options):
        report = load_sample_report(publish=not options["draft"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Sample report loaded: {report} "
                f"({report.projects.count()} projects, {report.indicators.count()} indicators, "
                f"status {report.status})"
            )
        )
