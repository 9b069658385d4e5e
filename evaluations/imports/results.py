"""What an import tells its caller: each row's outcome, each error with its row and column."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

NEW, UPDATE, SKIP = "new", "update", "skip"
MAX_ERRORS = 200  # a file that is wrong everywhere need not list every cell


@dataclass
class RowError:
    """What was wrong, where: the row number as a spreadsheet shows it (header = 1)."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if not self.column:
            return _("第 %(row)s 行：%(message)s") % {"row": self.row, "message": self.message}
        return _("第 %(row)s 行，“%(column)s”列：%(message)s") % {
            "row": self.row, "column": self.column, "message": self.message,
        }


class ReadError(ValueError):
    """A file that cannot be imported as a whole; ``errors`` name rows and cells where known."""

    def __init__(self, message: str = "", errors: list[RowError] | None = None) -> None:
        self.errors = errors or [RowError(None, "", message)]
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class RowOutcome:
    """One row's plan. ``values``, ``changes`` and ``instance`` are kept for a preview only."""

    row: int
    action: str  # NEW, UPDATE or SKIP
    key: str
    values: dict = field(default_factory=dict)  # column key -> value as read
    changes: dict = field(default_factory=dict)  # model field -> (old, new)
    instance: object = field(default=None, repr=False, compare=False)


@dataclass
class ImportResult:
    """Counts of new, updated and unchanged rows, the rows themselves when kept, the errors."""

    dataset: str
    dry_run: bool
    headers: list[str] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {NEW: 0, UPDATE: 0, SKIP: 0})

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return self.counts[action]

    @property
    def summary(self) -> str:
        if not any(self.counts.values()):
            return _("文件没有数据行：0 行。")
        return _("新增 %(new)s 行，更新 %(update)s 行，未变 %(skip)s 行。") % {
            "new": self.count(NEW), "update": self.count(UPDATE), "skip": self.count(SKIP),
        }

    def add_error(self, row: int | None, column: str, message: str) -> None:
        """Note an error; past MAX_ERRORS the import stops listing them (TooManyErrors)."""
        self.errors.append(RowError(row, column, message))
        if len(self.errors) >= MAX_ERRORS:
            raise TooManyErrors

    def discard_rows(self) -> None:
        """A refused import plans nothing: no outcome is shown as if it would be written."""
        self.rows = []
        self.counts = {NEW: 0, UPDATE: 0, SKIP: 0}


class TooManyErrors(Exception):
    """Raised by ImportResult.add_error once MAX_ERRORS are listed."""
