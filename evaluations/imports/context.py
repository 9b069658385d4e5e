"""The state of one import, shared by its dataset plan and its writer: who imports, what the
file's rows point at (departments, years, reports), and how each row is checked and noted.

Lookups are cached across chunks (they grow with the reports a file touches, not its rows).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cached_property

from django.utils.translation import gettext as _

from common.instances import set_as_stored
from evaluations import access
from evaluations import datasets as ds
from evaluations.access import allowed_department_ids
from evaluations.imports.locks import REPORT_UNREAD, refusal, reviewed_by_workflow
from evaluations.imports.results import NEW, SKIP, UPDATE, ImportResult, RowOutcome
from evaluations.models import Department, FiscalYear, FundingSource, Report

OUTCOMES_FULL, OUTCOMES_LIGHT, OUTCOMES_NONE = "full", "light", "none"
ZERO = Decimal("0")
_UNASKED = object()


class KeysSeen:
    """Each row's matching key, to refuse a key twice in one file, in bounded memory.

    Within a chunk keys are compared exactly; across chunks by a 64-bit hash (12 bytes a row,
    where a dict of keys took ~200), settled once the file is read (:meth:`repeated`).
    """

    def __init__(self) -> None:
        self.chunk: dict[tuple, int] = {}
        self.hashes = array("q")
        self.rows = array("l")
        self.column = ""  # the key column a repeat is reported in

    def first(self, key: tuple, number: int) -> int:
        """The row that had ``key`` first in this chunk (``number`` itself if none did)."""
        first = self.chunk.setdefault(key, number)
        if first == number:
            self.hashes.append(hash(key))
            self.rows.append(number)
        return first

    def next_chunk(self) -> None:
        self.chunk = {}

    def repeated(self) -> list[tuple[int, int]]:
        """(later row, first row) of keys repeated in different chunks."""
        values = sorted(self.hashes)
        twice = {a for a, b in zip(values, values[1:], strict=False) if a == b}
        del values
        first: dict[int, int] = {}
        pairs = []
        for value, number in zip(self.hashes, self.rows, strict=True):
            if value in twice:
                if value in first:
                    pairs.append((number, first[value]))
                else:
                    first[value] = number
        return pairs


class ImportRun:
    """One import in progress: the user's rights, the rows planned, the lookups they share."""

    def __init__(self, dataset: ds.Dataset, result: ImportResult, *, user=None,
                 outcomes: str = OUTCOMES_FULL, changes_kept: int = 0) -> None:
        self.dataset = dataset
        self.result = result
        self.user = user
        self.outcomes = outcomes
        # With OUTCOMES_NONE, the first new or changed rows a preview lists in full.
        self.changes_kept = changes_kept
        self.is_admin = access.is_unrestricted(user)
        self.allowed = allowed_department_ids(user)
        self.header_of: dict[str, str] = {}  # column key -> header as written in the file
        self.sources = {s.code: s for s in FundingSource.objects.all()}
        self.keys = KeysSeen()
        # This chunk's rows: (action, row object, changes, the report it belongs to).
        self.planned: list[tuple[str, object, dict, Report | None]] = []
        self.departments: dict[str, Department] = {}
        self.years: dict[int, FiscalYear] = {}
        self.reports: dict[tuple[int, int], Report] = {}
        self.new_reports: dict[tuple[int, int], Report] = {}
        self.refused_years: set[int] = set()
        self.reviewed: set[int] = set()  # loaded reports the workflow moved past draft
        # This chunk's answers of the lock rules, by report (check_editable, check_targets).
        self.refusals: dict[int, tuple | None] = {}
        self.new_row_refusals: dict[tuple, tuple | None] = {}

    def next_chunk(self) -> None:
        """A new chunk is planned: its reports are asked the lock rules afresh."""
        self.keys.next_chunk()
        self.refusals = {}
        self.new_row_refusals = {}

    # Errors --------------------------------------------------------------------------
    def error(self, row: int | None, column_key: str, message: str) -> None:
        column = self.header_of.get(column_key) or (
            str(self.dataset.column(column_key).label) if column_key else ""
        )
        self.result.add_error(row, column, message)

    def check_unique(self, number: int, key: tuple, column: str) -> bool:
        self.keys.column = column
        first = self.keys.first(key, number)
        if first != number:
            self.error(number, column, _("与第 %(row)s 行重复。") % {"row": first})
            return False
        return True

    # Departments, years, reports -------------------------------------------------------
    def load_departments(self, codes: Iterable[str]) -> dict[str, Department]:
        queryset = Department.objects.filter(code__in=set(codes)).select_related("parent")
        return {d.code: d for d in queryset}

    def load_reports(self, records: list[tuple[int, dict]]) -> list[Report]:
        """Departments, years and reports of a chunk's rows that earlier chunks did not load;
        the stored reports the rows point at, by id."""
        pairs = {(r.get("department_code"), r.get("year")) for _n, r in records}
        codes = {code for code, _y in pairs} - set(self.departments)
        self.departments.update(self.load_departments(codes))
        missing = {year for _c, year in pairs} - set(self.years)
        self.years.update({fy.year: fy for fy in FiscalYear.objects.filter(year__in=missing)})
        keys = {
            (self.departments[code].pk, year) for code, year in pairs if code in self.departments
        }
        wanted = keys - set(self.reports)
        if wanted:
            self.read_reports(wanted)
        found = (self.reports.get(key) for key in keys)
        return sorted((r for r in found if r is not None), key=lambda r: r.pk)

    def read_reports(self, wanted: set[tuple[int, int]]) -> None:
        """Read the reports of these (department id, year) keys, those stored."""
        queryset = Report.objects.filter(
            department__in={d for d, _y in wanted}, fiscal_year__year__in={y for _d, y in wanted}
        ).select_related("fiscal_year")
        if self.dataset.model is not Report:
            # The rows' plans read a report's keys, status and rule set, never its long texts,
            # and a run keeps every report it loads (10,000 for a million indicator rows).
            queryset = queryset.defer(*REPORT_UNREAD)
        loaded = [
            self.reports.setdefault((report.department_id, report.fiscal_year.year), report)
            for report in queryset
        ]
        self.reviewed |= reviewed_by_workflow(
            r.pk for r in loaded if r.status != Report.Status.DRAFT
        )

    def may_write(self, department: Department) -> bool:
        return self.allowed is None or department.pk in self.allowed

    def check_department(self, number: int, record: dict, column="department_code"):
        code = record.get(column)
        department = self.departments.get(code)
        if department is None:
            self.error(number, column, _("部门“%(code)s”不存在。") % {"code": code})
            return None
        if not self.may_write(department):
            self.error(number, column, _("无权导入部门“%(code)s”的数据。") % {"code": code})
            return None
        return department

    def department_ok(self, record: dict) -> bool:
        """The row's department exists and may be written (its errors were already noted)."""
        department = self.departments.get(record.get("department_code"))
        return department is not None and self.may_write(department)

    def report_for(self, number: int, record: dict, *, create: bool = True) -> Report | None:
        department = self.check_department(number, record)
        if department is None:
            return None
        key = (department.pk, record["year"])
        report = self.reports.get(key) or self.new_reports.get(key)
        if report is None and create:
            if not self.check_may_save(number, NEW, Report) or not self.year_takes_reports(
                number, record["year"]
            ):
                return None
            report = Report(department=department, status=Report.Status.DRAFT)
            report.year_value = record["year"]
            self.new_reports[key] = report
        return report

    def year_takes_reports(self, number: int, year: int) -> bool:
        """New reports only in years that take them, as in the admin (access.takes_new_reports).
        A missing year is created open by a user who may create years, and not beyond next
        year: 2204 for 2024 is a slip of the keyboard, not a plan (access.why_not_create_year)."""
        fiscal_year = self.years.get(year)
        if fiscal_year is None:
            refusal = access.why_not_create_year(self.user, year)
            if refusal is not None:
                if year not in self.refused_years:  # once, at its first row: not every row
                    self.refused_years.add(year)
                    if refusal == access.YearRefusal.PERMISSION:
                        message = _("%(year)s 年度尚未设立；请审核人先在“自评报告”列表页开放该年度填报。")
                    elif self.may_save(NEW, FiscalYear):
                        message = _("%(year)s 年度尚未设立，且晚于%(latest)s 年度；请核对年度，或先在“预算年度”中新增。")
                    else:
                        message = _("%(year)s 年度尚未设立，且晚于%(latest)s 年度；请核对年度，或请审核人先在“自评报告”列表页开放该年度填报。")
                    self.error(number, "year",
                               message % {"year": year, "latest": access.latest_new_year()})
                return False
        elif not access.takes_new_reports(fiscal_year, self.user):
            self.error(number, "year", _("%(year)s 年度已停止填报，不能新建报告。") % {"year": year})
            return False
        return True

    # Permissions ------------------------------------------------------------------------
    def may_save(self, action: str, model) -> bool:
        """Whether the user holds the model permission a create (add) or update (change) needs."""
        if self.is_admin:
            return True
        verb = access.ADD if action == NEW else access.CHANGE
        return access.has_permission(self.user, access.model_permission(model, verb))

    def check_may_save(self, number: int, action: str, model) -> bool:
        if self.may_save(action, model):
            return True
        message = _("无权新增“%(model)s”。") if action == NEW else _("无权修改“%(model)s”。")
        self.error(number, "", message % {"model": model._meta.verbose_name})
        return False

    def check_editable(self, number: int, report: Report) -> bool:
        """The lock rule (locks.refusal) as planned; the writer asks it again under a lock."""
        pk = report.pk
        if pk is None:
            return True
        # Asked once a chunk per report (its rows are many; nothing changes while planning).
        problem = self.refusals.get(pk, _UNASKED)
        if problem is _UNASKED:
            problem = self.refusals[pk] = refusal(report, self.user, reviewed=pk in self.reviewed)
        if problem is None:
            return True
        column, message = problem
        self.error(number, column, message)
        return False

    def check_targets(self, number: int, obj, report: Report | None, changes: dict,
                      adding: bool) -> bool:
        """Approved (or submitted) targets change by no import (access.target_refusal): the
        error names the first target column the row would change; ``adding``: a new row."""
        if adding:  # a new row: the same answer for every new row of its report
            slot = (type(obj), id(report))  # the chunk's reports stay in memory while it plans
            refused = self.new_row_refusals.get(slot, _UNASKED)
            if refused is _UNASKED:
                refused = self.new_row_refusals[slot] = access.target_refusal(type(obj), report, None)
        else:
            refused = access.target_refusal(type(obj), report, changes)
        if refused is None:
            return True
        field, message = refused
        keys = {c.key for c in self.dataset.columns}
        column = next((c.key for c in self.dataset.columns if field and c.field == field), "")
        self.error(number, column or (field if field in keys else ""), message)
        return False

    # Planning -----------------------------------------------------------------------------
    def plan_row(self, number: int, record: dict, obj, values: dict,
                 key_text: str | Callable[[], str], report: Report | None = None) -> bool:
        """Compare one row with what is stored and note a create, an update or nothing.

        ``key_text`` may be a function giving it, called only for the outcomes kept. Returns
        False when the row is refused (the error is noted).
        """
        adding = obj.pk is None
        if adding:
            if values.keys() <= set_as_stored(type(obj)):
                obj.__dict__.update(values)  # (a million new rows: 14 setattr calls each)
            else:
                for name, value in values.items():
                    setattr(obj, name, value)
            action, changes = NEW, {}
        else:
            changes = {
                name: (getattr(obj, name), value)
                for name, value in values.items()
                if getattr(obj, name) != value
            }
            for name, (_old, value) in changes.items():
                setattr(obj, name, value)
            action = UPDATE if changes else SKIP
        if action != SKIP and not self.check_may_save(number, action, type(obj)):
            return False
        if action != SKIP and report is not None and not self.check_editable(number, report):
            return False
        if action != SKIP and not self.check_targets(number, obj, report, changes, adding):
            return False
        self.note(number, action, key_text, record, changes, obj, report)
        return True

    def note(self, number: int, action: str, key_text, record: dict, changes: dict, obj,
             report: Report | None) -> None:
        """Count and plan the row; its outcome as the caller keeps them (none by default)."""
        self.result.counts[action] += 1
        self.planned.append((action, obj, changes, report))
        if self.outcomes == OUTCOMES_FULL or (
            self.outcomes == OUTCOMES_NONE and action != SKIP
            and len(self.result.rows) < self.changes_kept
        ):
            text = key_text() if callable(key_text) else key_text
            self.result.rows.append(RowOutcome(number, action, text, record, changes, obj))
        elif self.outcomes == OUTCOMES_LIGHT:
            text = key_text() if callable(key_text) else key_text
            self.result.rows.append(RowOutcome(number, action, text))

    def change_last(self, action: str, changes: dict) -> None:
        """Turn the last planned row into ``action`` (departments linked to a new parent)."""
        old, obj, _changes, report = self.planned[-1]
        self.planned[-1] = (action, obj, changes, report)
        self.result.counts[old] -= 1
        self.result.counts[action] += 1
        if self.result.rows:
            self.result.rows[-1].action = action

    def field_values(self, record: dict) -> dict:
        """Model field values of the columns the file has; blank amounts default where not null."""
        return {
            field: blank if (value := record[key]) is None else value
            for key, field, blank in self.value_columns if key in record
        }

    @cached_property
    def value_columns(self) -> list[tuple[str, str, object]]:
        """(column key, model field, value of a blank cell) of the columns that are fields."""
        found = []
        for column in self.dataset.import_columns:
            if column.field:
                model_field = self.dataset.model._meta.get_field(column.field)
                blank = ZERO if column.type == ds.AMOUNT else ""
                found.append((column.key, column.field, None if model_field.null else blank))
        return found
