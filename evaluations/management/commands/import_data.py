"""manage.py import_data DATASET FILE: import a CSV or XLSX file, all rows or none."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from evaluations.datasets import DATASETS
from evaluations.imports import import_file
from evaluations.imports.self_evaluation import SELF_EVALUATION, WorkbookError, import_workbook


class Command(BaseCommand):
    help = (
        "Import a dataset from CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX. Nothing is "
        "written when any row is bad; the exit status is then 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", choices=[*sorted(DATASETS), SELF_EVALUATION])
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--encoding", help="force the CSV encoding (e.g. gb18030, utf-8)")
        parser.add_argument(
            "--user", metavar="USERNAME",
            help="import as this user: their permissions and departments apply, and the "
            "history records them as the author",
        )
        parser.add_argument("--year", type=int, help="self_evaluation: the workbook must be this year's")
        parser.add_argument(
            "--department", metavar="CODE", help="self_evaluation: the workbook must be this department's"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if options["dataset"] == SELF_EVALUATION:
            self.import_workbook(path, options)
            return
        try:
            # Read as it is imported, never whole: memory stays flat however long the file.
            with path.open("rb") as file:
                result = self.import_from(file, path.name, options)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            # One line, no traceback: the database is down or refused; nothing was written.
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(f"Database error, nothing was written: {first_line}") from exc
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(result.errors)} error(s); nothing was written.", returncode=1
            )
        prefix = "[dry run] " if options["dry_run"] else ""
        self.stdout.write(self.style.SUCCESS(prefix + result.summary))

    def import_workbook(self, path: Path, options) -> None:
        """The 自评表 workbook into its draft report (evaluations/imports/self_evaluation.py)."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        try:
            result = import_workbook(
                data, filename=path.name, user=self.user(options), year=options["year"],
                department=options["department"], dry_run=options["dry_run"],
            )
        except WorkbookError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} error(s); nothing was written.", returncode=1) from exc
        for note in result.notes:  # cells changed that are not read
            self.stdout.write(self.style.WARNING(note))
        prefix = "[dry run] " if options["dry_run"] else ""
        self.stdout.write(self.style.SUCCESS(prefix + result.summary))

    def user(self, options):
        if not options["user"]:
            return None  # the importer records it in the history
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: options["user"]})
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {options['user']!r}.") from exc

    def import_from(self, file, filename: str, options):
        user = self.user(options)
        return import_file(
            DATASETS[options["dataset"]], file, filename=filename,
            encoding=options["encoding"], dry_run=options["dry_run"], user=user,
        )
