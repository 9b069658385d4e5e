"""Read a published self-evaluation report (.txt, .docx) into a draft (docs/design.md, "Past reports into data")."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from evaluations.past import ReportFileError
from evaluations.past.builder import ReportImportError, import_report
from evaluations.past.reader import section_label
from evaluations.past.serialize import as_json
from evaluations.workflow import acting_as


class Command(BaseCommand):
    help = ("Read a published self-evaluation report (.txt in UTF-8 or GB18030, or .docx) into "
            "its department's draft report; --dry-run prints what was read as JSON.")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--year", type=int, help="Fiscal year (default: the report title's).")
        parser.add_argument("--department", metavar="CODE",
                            help="Department code (default: the department the title names).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Write nothing; print the extraction (figures as written) as JSON.")
        parser.add_argument("--user", metavar="USERNAME",
                            help="Import as this user (their departments and locks apply).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        user = self._user(options["user"])
        try:
            with acting_as(user):
                outcome = import_report(
                    data, path.name, year=options["year"], department_code=options["department"],
                    user=user, dry_run=options["dry_run"],
                )
        except (ReportFileError, ReportImportError) as exc:
            raise CommandError(str(exc)) from exc
        if options["dry_run"]:
            self.stdout.write(json.dumps(as_json(outcome.extraction, outcome.findings),
                                         ensure_ascii=False, indent=2))
            return
        self._summary(outcome)

    def _user(self, name):
        if not name:
            return None
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: name})
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {name!r}.") from exc

    def _summary(self, outcome):
        report = outcome.report
        verb = "Created" if outcome.created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} draft report: {report}"))
        for kind, counts in outcome.counts.items():
            self.stdout.write(f"  {kind}: {counts['new']} new, {counts['changed']} changed, "
                              f"{counts['same']} unchanged")
        missing = outcome.extraction.missing
        if missing:
            self.stdout.write(f"Sections not found: {'、'.join(section_label(k) for k in missing)}")
        for flag in outcome.flags:
            self.stdout.write(self.style.WARNING(f"[{flag.code}] {flag.message}"))
        for finding in outcome.findings:
            style = self.style.ERROR if finding.is_error else self.style.WARNING
            self.stdout.write(style(f"[{finding.code}] {finding.message}"))
        for text in outcome.extraction.unrecognised:
            self.stdout.write(f"Not recognised: {text[:80]}")
