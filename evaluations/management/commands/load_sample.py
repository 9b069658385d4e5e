"""Load the real 2022 sample report (idempotent)."""

import contextlib

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from evaluations.documents import generate as documents
from evaluations.sample import load_sample_report
from evaluations.workflow import acting_as


class Command(BaseCommand):
    help = "Load the sample 2022 self-evaluation report; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--draft", action="store_true",
            help="Leave a newly created report as a draft instead of publishing it.",
        )
        parser.add_argument(
            "--user", metavar="USERNAME",
            help="Record the changes in the history as made by this user.",
        )

    def handle(self, *args, **options):
        acting = contextlib.nullcontext()
        if options["user"]:
            User = get_user_model()
            try:
                acting = acting_as(User.objects.get(**{User.USERNAME_FIELD: options["user"]}))
            except User.DoesNotExist as exc:
                raise CommandError(f"No user named {options['user']!r}.") from exc
        with acting:
            report = load_sample_report(publish=not options["draft"])
        # The published sample's files written now, as a publication writes them
        # (documents.after_publication): its page lists them with size and SHA-256 from the
        # start, not after a first download (the offline review). store() skips what is kept.
        stored = documents.store(report)
        self.stdout.write(
            self.style.SUCCESS(
                f"Sample report loaded: {report} "
                f"({report.projects.count()} projects, {report.indicators.count()} indicators, "
                f"status {report.status}; {len(stored)} official files written)"
            )
        )
