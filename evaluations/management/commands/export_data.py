"""manage.py export_data DATASET: stream one dataset as CSV to a file or standard output."""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from evaluations.datasets import DATASETS
from evaluations.exports.streams import ExportFilters, stream_csv_bytes


class Command(BaseCommand):
    help = "Export a dataset as CSV (UTF-8; Chinese labels as headers unless --header keys)."
    # A read-only command an auditor may run in a loop: the system checks (URLconf, admin,
    # deploy settings) are `manage.py check`'s job and cost a tenth of a second each run.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("dataset", choices=sorted(DATASETS))
        parser.add_argument("--year", type=int, action="append", default=[], help="repeatable")
        parser.add_argument("--department", action="append", default=[], help="code; repeatable")
        parser.add_argument("--funding-source", action="append", default=[], help="code; repeatable")
        parser.add_argument("--status", action="append", default=[], help="repeatable")
        parser.add_argument("--output", help="file to write (default: standard output)")
        parser.add_argument("--bom", action="store_true", help="start with a UTF-8 byte order mark")
        parser.add_argument("--header", choices=["labels", "keys"], default="labels")

    def handle(self, *args, **options):
        filters = ExportFilters(
            years=options["year"], departments=options["department"],
            funding_sources=options["funding_source"], statuses=options["status"],
        )
        pieces = stream_csv_bytes(
            DATASETS[options["dataset"]], filters, header=options["header"], bom=options["bom"]
        )
        try:
            if options["output"]:
                target = Path(options["output"])
                try:
                    _write_file(target, pieces)
                except OSError as exc:  # named by the file asked for, not the temporary one
                    raise CommandError(f"{target}: {exc.strerror or exc}") from exc
            else:
                self._write_stdout(pieces)
        except (DatabaseError, OSError) as exc:
            # One line, no traceback (CommandError); the database's own first line says why.
            raise CommandError((str(exc).strip().splitlines() or [repr(exc)])[0]) from exc

    def _write_stdout(self, pieces) -> None:
        binary = getattr(self.stdout._out, "buffer", None)
        if binary is not None:
            self.stdout.flush()
            for piece in pieces:
                binary.write(piece)
            binary.flush()
        else:  # a text stream (tests): decode across piece boundaries
            for text in codecs.iterdecode(pieces, "utf-8"):
                self.stdout.write(text, ending="")


def _write_file(target: Path, pieces) -> None:
    """Write to a temporary file beside ``target`` and rename it over the target when every
    piece is written: a failure leaves the previous file as it was and no partial one.

    A symbolic link is followed (the file it names is replaced, as open() would write it); a
    target that is not a regular file (/dev/null, a pipe) is written directly: it keeps no
    previous contents, and renaming over it would replace the device or pipe itself.
    """
    target = Path(os.path.realpath(target))
    if target.exists() and not target.is_file():
        with open(target, "wb") as out:
            for piece in pieces:
                out.write(piece)
        return
    with tempfile.NamedTemporaryFile(
        "wb", dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    ) as out:
        try:
            for piece in pieces:
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    os.chmod(out.name, _mode_for(target))
    os.replace(out.name, target)  # atomic on one file system; the directory is the target's


def _mode_for(target: Path) -> int:
    """The permissions open() would have left: the old file's, else 0666 less the umask
    (a temporary file starts private, 0600)."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
