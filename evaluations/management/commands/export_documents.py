"""manage.py export_documents --year Y [--department CODE] --output DIR: a year's official
files for a portal upload, DIR/<code>/{report.docx,report.pdf,self-evaluation.xlsx}."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.documents.export import export_year


class Command(BaseCommand):
    help = "Write the Word, PDF and 自评表 files of a year's published reports to a directory."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--department", metavar="CODE")
        parser.add_argument("--output", required=True, metavar="DIR")
        parser.add_argument("--jobs", type=int, default=1,
                            help="build in this many processes (one a core)")

    def handle(self, *args, **options):
        output = Path(options["output"])
        progress = _bar(self.stderr) if sys.stderr.isatty() else None
        try:
            written = export_year(options["year"], output, department=options["department"],
                                  jobs=options["jobs"], progress=progress)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if progress:
            self.stderr.write("")
        if not written:
            raise CommandError("No published report matches; nothing was written.")
        self.stdout.write(self.style.SUCCESS(f"{written} report(s) written to {output}"))


def _bar(stream):
    def show(done: int, total: int, code: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {code[:20]:<20}",
                     ending="")
        stream.flush()

    return show
