"""The 自评表 workbook read back into a draft report (docs/design.md, "Official documents").

The workbook evaluations/documents/workbook.py writes, filled in offline: its layout
(``workbook.LAYOUT`` rows and columns) says where each figure is. All or nothing: the whole
file is read and checked before anything is written, and each error names the sheet and
cell (``项目支出绩效自评表-政府雇员经费!F12``) and what was expected. A formula is read as
its text, never evaluated: in a number's cell it is an error. The workbook must be the
department's and year's it names, for a draft the user may change; a published report is
refused. The file's limits are the import's (imports/reading.py) with a 10 MB cap.
Unchanged cells change nothing: a downloaded workbook imported again writes no row.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from common.numbers import NumberError, parse_decimal
from common.text import clean_text
from evaluations import access, workflow
from evaluations import datasets as ds
from evaluations.documents import workbook as layout
from evaluations.imports.reading import (
    ReadError,
    ReadLimits,
    _check_zip,
    cell_text,
    refuse_macro_name,
    unreadable,
)
from evaluations.imports.results import NEW, UPDATE
from evaluations.imports.workbook_cells import cut, read_cells, same
from evaluations.models import Department, FundingSource, Project, ProjectFund, Report
from indicators.models import Indicator
from indicators.vocabulary import Level1, Level2, Nature, Tier, typed_forms

SELF_EVALUATION = "self_evaluation"  # the dataset name import_data takes
MAX_BYTES = 10 * 1024 * 1024
YEAR = re.compile(r"（?(\d{4})年度）?")


class WorkbookError(ValueError):
    """The workbook was refused; ``errors`` lists each problem with its sheet and cell."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Result:
    report: Report
    changed: int = 0
    created: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    # A dry run's changes, for the preview: (NEW or UPDATE, the row, {field: (old, new)}).
    planned: list[tuple[str, object, dict]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return _("自评表导入%(report)s：修改 %(changed)s 行，新增 %(created)s 行。") % {
            "report": self.report, "changed": self.changed, "created": self.created}


def read_workbook(data: bytes, filename: str = ""):
    """The workbook opened within the import's limits, or ReadError saying why not."""
    refuse_macro_name(filename)
    if len(data) > MAX_BYTES:
        raise ReadError(_("文件超过 %(limit)s MB。") % {"limit": MAX_BYTES // 2**20})
    if not data.startswith(b"PK\x03\x04"):
        raise ReadError(_("不是 Excel 工作簿（.xlsx）：请上传下载的自评表。"))
    stream = io.BytesIO(data)
    _check_zip(stream, ReadLimits.from_settings())  # a zip bomb or macros refused unread
    stream.seek(0)
    try:
        # data_only=False: a formula reads as its text ("=SUM(…)"), never as a value.
        return load_workbook(stream, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise unreadable(exc) from exc


def import_workbook(
    data: bytes, *, filename: str = "", user=None, year: int | None = None,
    department: str | None = None, report: Report | None = None, dry_run: bool = False,
) -> Result:
    """Read the workbook into its report (or ``report``); WorkbookError when refused."""
    try:
        book = read_workbook(data, filename)
    except ReadError as exc:
        raise WorkbookError([str(exc)]) from exc
    with translation.override(settings.LANGUAGE_CODE):
        try:
            sheets = {sheet.title: read_cells(sheet) for sheet in book.worksheets}
        finally:
            book.close()
        target = _target(sheets, year=year, department=department, report=report, user=user)
        reader = _Reader(target, sheets)
        reader.read()
        if reader.errors:
            raise WorkbookError(reader.errors)
        result = Result(report=target, dry_run=dry_run)
        result.notes = reader.notes
        if dry_run or reader.counts() == (0, 0):  # unchanged: not even updated_at moves
            result.changed, result.created = reader.counts()
            result.planned = reader.planned() if dry_run else []
            return result
        try:
            with workflow.editing(target.pk, user) as locked:
                if locked.status != Report.Status.DRAFT:
                    raise WorkbookError([_("报告不是草稿，不能导入。")])
                result.changed, result.created = reader.write(user)
        except (workflow.ReportLocked, PermissionDenied) as exc:
            raise WorkbookError([str(getattr(exc, "message", "") or _("您不能修改这份报告。"))]) from exc
    return result


def _target(sheets, *, year, department, report, user) -> Report:
    """The draft the workbook is for, as its department sheet names it."""
    first = sheets.get(layout.DEPARTMENT_SHEET)
    where = f"{layout.DEPARTMENT_SHEET}!"
    if first is None:
        raise WorkbookError([_("找不到工作表“%(sheet)s”：这不是下载的自评表。") % {"sheet": layout.DEPARTMENT_SHEET}])
    match = YEAR.search(cell_text(first.get((layout.YEAR_ROW, 1))))
    code = cell_text(first.get((layout.NAME_ROW, 8))).strip()
    if match is None:
        raise WorkbookError([where + "A2: " + _("应为年度，如“（2022年度）”。")])
    if not code:
        raise WorkbookError([where + "H3: " + _("应为部门编码。")])
    book_year = int(match.group(1))
    if report is not None:
        year, department = report.fiscal_year.year, report.department.code
    if year is not None and year != book_year:
        raise WorkbookError([where + "A2: " + _("工作簿是%(book)s年度的，不是%(year)s年度。") % {"book": book_year, "year": year}])
    if department is not None and department != code:
        raise WorkbookError([where + "H3: " + _("工作簿属于部门“%(book)s”，不是“%(code)s”。") % {"book": code, "code": department}])
    if user is not None and not access.has_permission(user, access.IMPORT_DATA):
        raise WorkbookError([_("无权导入数据。")])  # the importer's rule (imports/importer.py)
    named = Department.objects.filter(code=code).values_list("pk", flat=True).first()
    if user is not None and named is not None and not access.may_access_department(user, named):
        # Before anything of its reports is read or said (whether one exists, its values).
        raise WorkbookError([where + "H3: " + _("无权导入部门“%(code)s”的数据。") % {"code": code}])
    found = (Report.objects.select_related("department", "fiscal_year")
             .filter(fiscal_year__year=book_year, department__code=code).first())
    if found is None:
        raise WorkbookError([where + "A2、H3: " + _("没有部门“%(code)s”%(year)s年度的报告。") % {"code": code, "year": book_year}])
    if found.status != Report.Status.DRAFT:
        raise WorkbookError([_("%(report)s状态为“%(status)s”：只能导入草稿。") % {
            "report": found, "status": found.get_status_display()}])
    if user is not None and (lock := access.why_locked(found, user)) is not None:
        raise WorkbookError([str(lock.label)])
    return found


def _labels(choices) -> dict[str, str]:
    return {str(choice.label): choice.value for choice in choices}


# What _choice returns for a cell it refused (or a merged heading left empty): the rows under
# it are not checked against it, so one bad 一级指标 is one message, not one a row.
_REFUSED = "\0refused"


class _Reader:
    """Reads every sheet into planned changes (nothing written), collecting every error."""

    def __init__(self, report: Report, sheets: dict) -> None:
        self.report, self.sheets = report, sheets
        self.errors: list[str] = []
        self.refused: set[str] = set()  # "sheet!B13" of the cells with an error already
        # Cells changed that the import does not read, said in the preview and the command's
        # output (a changed 部门名称 or a typed 得分 went unnoticed: "修改 0 行", the offline review).
        self.notes: list[str] = []
        self.changes: list[tuple[object, dict]] = []  # stored rows and their new values
        self.new: list[object] = []
        self.level1, self.level2 = _labels(Level1), _labels(Level2)
        self.natures, self.tiers = _labels(Nature), _labels(Tier)
        self.sources = {s.name: s for s in FundingSource.objects.filter(kind=FundingSource.Kind.PROJECT_FUND)}

    # -- reading ---------------------------------------------------------------------

    def read(self) -> None:
        projects = {p.code: p for p in Project.objects.filter(report=self.report)
                    .prefetch_related("funds__funding_source")}
        indicators = list(Indicator.objects.filter(report=self.report).select_related("project")
                          .order_by("position", "id"))
        for title, cells in self.sheets.items():
            if title == layout.DEPARTMENT_SHEET:
                self._unread(title, cells, layout.NAME_ROW, 2, self.report.department.name,
                             _("部门名称在“部门”中修改"))
                values = {"goals": self._text(title, cells, layout.GOAL_ROW, 2)}
                narratives = list(self.report.narratives.order_by("position"))
                outcome = self._text(title, cells, layout.GOAL_ROW, 6)
                whole = layout.department_outcome(self.report.overall_summary, narratives)
                summary = (self.report.overall_summary if cut(whole, outcome)
                           else layout.outcome_summary(outcome, narratives))
                if summary is None:
                    self.errors.append(f"{title}!F{layout.GOAL_ROW}: " + _(
                        "编号的绩效情况段落与报告中的不同：它们在报告的“绩效情况”中修改，"
                        "此格只可改动其前的概述。"))
                else:
                    values["overall_summary"] = summary
                self._plan(self.report, values)
                self._indicators(title, cells, None, [i for i in indicators if i.project_id is None])
                continue
            if not title.startswith(layout.PROJECT_SHEET):
                self.errors.append(f"{title}: " + _("不是自评表的工作表（应为“%(prefix)s-项目名称”）。") % {
                    "prefix": layout.PROJECT_SHEET})
                continue
            code = cell_text(cells.get((layout.NAME_ROW, 8))).strip()
            project = projects.get(code)
            if project is None:
                self.errors.append(f"{title}!H{layout.NAME_ROW}: " + _("应为本报告的项目编码，读到“%(code)s”。") % {"code": code})
                continue
            self._unread(title, cells, layout.YEAR_ROW, 1, f"（{self.report.fiscal_year.year}年度）",
                         _("年度以部门整体支出绩效自评表为准"))
            self._project(title, cells, project)
            self._indicators(title, cells, project, [i for i in indicators if i.project_id == project.id])

    def _project(self, title, cells, project) -> None:
        row = layout.TOTAL_ROW
        name = self._text(title, cells, layout.NAME_ROW, 2)
        self._field(f"{title}!B{layout.NAME_ROW}", project, "name", name)
        self._plan(project, {
            "name": name,
            "initial_budget": self._number(title, cells, row, 4, Project, "initial_budget"),
            "adjusted_budget": self._number(title, cells, row, 5, Project, "adjusted_budget"),
            "expenditure": self._number(title, cells, row, 6, Project, "expenditure"),
            "goal": self._text(title, cells, layout.GOAL_ROW, 2),
            "outcome": self._text(title, cells, layout.GOAL_ROW, 6),
        })
        funds = {f.funding_source.name: f for f in project.funds.all()}
        for offset, name in enumerate(layout.FUND_ROWS, start=1):
            values = {key: self._number(title, cells, row + offset, column, ProjectFund, key,
                                        required=name in funds and key == "expenditure")
                      for column, key in ((4, "initial_budget"), (5, "adjusted_budget"), (6, "expenditure"))}
            fund = funds.get(name)
            if fund is not None:
                self._plan(fund, values)
            elif any(v is not None for v in values.values()):
                values["expenditure"] = values["expenditure"] or Decimal(0)
                self.new.append(ProjectFund(project=project, funding_source=self.sources[name], **values))

    def _indicators(self, title, cells, project, stored: list[Indicator]) -> None:
        unused = list(stored)
        position = max((i.position for i in stored), default=0)
        level1 = level2 = ""
        last = max((r for r, _c in cells), default=0)
        for row in range(layout.FIRST_INDICATOR_ROW, last + 1):
            if cells.get((row, 1)) is not None:
                break  # 总分 or the note under the table
            if not any(cells.get((row, c)) is not None for c in range(2, layout.COLUMNS + 1)):
                continue
            level1 = self._choice(title, cells, row, 2, self.level1, level1, "level1")
            level2 = self._choice(title, cells, row, 3, self.level2, level2, "level2")
            name = self._text(title, cells, row, 4)
            values = self._indicator_values(title, cells, row)
            if _REFUSED in (level1, level2):
                continue  # its cells are read (their errors listed), its headings are not known
            match = next((i for i in unused if (i.level1, i.level2, i.name) == (level1, level2, name)), None)
            self._settle_texts(title, row, values, match)
            self._score_typed(title, cells, row, values, match)
            if match is None:
                position += 1
                indicator = Indicator(report=self.report, project=project, level1=level1, level2=level2,
                                      name=name, position=position)
                self._apply(indicator, values)
                self._validate(title, row, indicator)
                self.new.append(indicator)
                continue
            unused.remove(match)
            if match.nature == Nature.QUALITATIVE and match.score is None and values.get("score") == match.final_score:
                values["score"] = None  # the default score the table shows, not one entered
            self._plan(match, values, validate=(title, row))

    def _indicator_values(self, title, cells, row) -> dict:
        values = {
            "weight": self._number(title, cells, row, 7, Indicator, "weight"),
            "deviation": self._text(title, cells, row, 9),
            "nature": self._choice(title, cells, row, 10, self.natures, "", "nature"),
            "unit": self._text(title, cells, row, 11),
            "tier": self._choice(title, cells, row, 12, self.tiers, "", "tier",
                                 required=False),
        }
        for column, number, text in ((5, "target_value", "target_text"), (6, "actual_value", "actual_text")):
            raw = cells.get((row, column))
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                values[number] = self._number(title, cells, row, column, Indicator, number)
                values[text] = ""
            elif raw is None:
                values[number], values[text] = None, ""
            else:
                values[text] = self._text(title, cells, row, column)
        score = cells.get((row, 8))
        values["applicable"] = cell_text(score).strip() != "不适用"
        if values["nature"] == Nature.QUALITATIVE and values["applicable"]:
            values["score"] = self._number(title, cells, row, 8, Indicator, "score")
        return values

    def _score_typed(self, title, cells, row, values: dict, stored: Indicator | None) -> None:
        """A quantitative indicator's 得分 is computed: one typed over the computed one is said."""
        if values.get("nature") == Nature.QUALITATIVE or not values.get("applicable", True):
            return
        shown = None if stored is None else stored.final_score
        self._unread(title, cells, row, 8, "" if shown is None else cell_text(shown),
                     _("定量指标的得分按评分规则计算"), number=True)

    def _unread(self, title, cells, row, column, expected: str, why: str, *, number=False) -> None:
        """Note a cell the import does not read when it differs from what the workbook gave."""
        written = cell_text(cells.get((row, column))).strip()
        if number and written and expected:
            try:
                same = Decimal(written) == Decimal(expected)
            except ArithmeticError:
                same = False
        else:
            same = written == expected.strip()
        if not same:
            self.notes.append(f"{title}!{get_column_letter(column)}{row}: " + _(
                "此格不导入（%(why)s），读到“%(value)s”。") % {"why": why, "value": written[:50]})

    def _settle_texts(self, title, row, values: dict, stored: Indicator | None) -> None:
        """A value cell (年度指标值, 实际完成值) holding text: the same text as stored keeps the
        number stored beside it (the sample's "275亿元" with 275); a new text is read as the
        number it states ("260亿元" under 亿元 is 260), the indicator's text only where it is
        qualitative, and refused where it is quantitative. Kept as text beside the old number,
        the page showed 260 while the score and 未完成 came from 250 (the admin reviewer's F13)."""
        for column, number, text in ((5, "target_value", "target_text"), (6, "actual_value", "actual_text")):
            written = values.get(text)
            if number in values or not written or (stored is not None and written == getattr(stored, text)):
                continue
            if values.get("nature") == Nature.QUALITATIVE:
                values[number] = None  # its text, whatever it says ("95%" included)
                continue
            stated = self._stated_number(written, values.get("unit", ""), number)
            if stated is not None:
                values[number], values[text] = stated, ""
            else:
                self._refuse(f"{title}!{get_column_letter(column)}{row}", _(
                    "应为数字（%(field)s），读到“%(value)s”：定量指标填数字，单位写在“计量单位”列；"
                    "文字只用于定性指标。") % {
                    "field": Indicator._meta.get_field(number).verbose_name, "value": written[:50]})

    def _stated_number(self, text: str, unit: str, name: str) -> Decimal | None:
        """The number ``text`` states, its unit at the end left off; None when it is not one."""
        bare = text.strip()
        if unit and bare.endswith(unit):
            bare = bare[: -len(unit)].strip()
        field_ = Indicator._meta.get_field(name)
        try:
            return parse_decimal(bare, places=field_.decimal_places, digits=field_.max_digits,
                                 negative=ds.field_column(Indicator, name).negative_allowed)
        except NumberError:
            return None

    # -- cells ----------------------------------------------------------------------

    def _text(self, title, cells, row, column) -> str:
        return clean_text(cell_text(cells.get((row, column))))

    def _number(self, title, cells, row, column, model, name, *, required=None) -> Decimal | None:
        raw = cells.get((row, column))
        field_ = model._meta.get_field(name)
        where = f"{title}!{get_column_letter(column)}{row}"
        if raw is None:
            if (not field_.null) if required is None else required:
                self._refuse(where, _("应为数字（%(field)s），不能为空。") % {"field": field_.verbose_name})
            return None
        text = cell_text(raw)
        if isinstance(raw, str) and raw.startswith("="):
            self._refuse(where, _("应为数字，读到公式“%(formula)s”（公式不计算）。") % {"formula": raw[:50]})
            return None
        column = ds.field_column(model, name)
        try:
            return parse_decimal(text, places=field_.decimal_places, digits=field_.max_digits,
                                 negative=column is not None and column.negative_allowed)
        except NumberError as exc:
            self._refuse(where, _("应为数字（%(field)s）：%(error)s") % {
                "field": field_.verbose_name, "error": exc})
            return None

    def _choice(self, title, cells, row, column, labels, previous, name, *, required=True) -> str:
        """A coded cell read by its label, its code or a keyboard form (≥ typed as >=); an
        empty one repeats ``previous`` (a merged 一级指标 spans the rows under it)."""
        text = cell_text(cells.get((row, column))).strip()
        where = f"{title}!{get_column_letter(column)}{row}"
        field_ = Indicator._meta.get_field(name).verbose_name
        if not text:
            if required and not previous:
                self._refuse(where, _("应填%(field)s，不能为空。") % {"field": field_})
                return _REFUSED
            return previous
        typed = typed_forms(labels.values())
        if text in labels:
            return labels[text]
        if text in labels.values() or text in typed:
            return typed.get(text, text)
        self._refuse(where, _("%(field)s应为%(choices)s之一，读到“%(value)s”。") % {
            "field": field_, "choices": "、".join(labels), "value": text[:50]})
        return _REFUSED

    def _field(self, where: str, obj, name: str, value) -> None:
        """The model field's own checks of a value read (blank, length), as a form makes them."""
        try:
            type(obj)._meta.get_field(name).clean(value, obj)
        except ValidationError as exc:
            self._refuse(where, " ".join(exc.messages))

    def _refuse(self, where: str, message: str) -> None:
        """One cell's error; the model's checks of the same cell are not listed again."""
        self.refused.add(where)
        self.errors.append(f"{where}: {message}")

    # -- planning and writing -------------------------------------------------------

    def _apply(self, obj, values: dict) -> None:
        for name, value in values.items():
            setattr(obj, name, value)

    def _plan(self, obj, values: dict, validate=None) -> None:
        changed = {k: v for k, v in values.items() if not same(getattr(obj, k), v)}
        if not changed:
            return
        if validate is not None:
            copy = Indicator(**{f.attname: getattr(obj, f.attname) for f in Indicator._meta.concrete_fields})
            self._apply(copy, changed)
            self._validate(*validate, copy)
        self.changes.append((obj, changed))

    COLUMNS = {"level1": "B", "level2": "C", "name": "D", "target_value": "E", "target_text": "E",
               "actual_value": "F", "actual_text": "F", "weight": "G", "score": "H",
               "deviation": "I", "nature": "J", "unit": "K", "tier": "L"}

    def _validate(self, title, row, indicator) -> None:
        try:
            indicator.full_clean(exclude=["report", "project", "position"], validate_unique=False,
                                 validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                where = f"{title}!{self.COLUMNS.get(name, 'A')}{row}"
                if where not in self.refused:
                    self.errors.extend(f"{where}: {message}" for message in messages)

    def counts(self) -> tuple[int, int]:
        return len(self.changes), len(self.new)

    # What a new row brings, besides the key (一级, 二级, name) its preview names it by.
    NEW_FIELDS = ("initial_budget", "adjusted_budget", "expenditure",
                  *(name for name in COLUMNS if name not in ("level1", "level2", "name")))

    def planned(self) -> list[tuple[str, object, dict]]:
        """Each row the write would change, with each field's stored and new value (a new row's
        stored value None): the changed rows in sheet order, then the new ones; what the
        preview lists before the confirmation."""
        rows = [(UPDATE, obj, {name: (getattr(obj, name), new) for name, new in changed.items()})
                for obj, changed in self.changes]
        for obj in self.new:
            rows.append((NEW, obj, {n: (None, getattr(obj, n)) for n in self.NEW_FIELDS
                                    if getattr(obj, n, None) not in (None, "")}))
        return rows

    def write(self, user) -> tuple[int, int]:
        reason = _("数据导入")  # the history's 修改原因, as every import writes it (imports/writer.py)
        for obj, changed in self.changes:
            target = obj
            if isinstance(obj, Report):
                target = Report.objects.get(pk=obj.pk)
            self._apply(target, changed)
            target._history_user, target._change_reason = user, reason
            target.save(update_fields=list(changed))
        for obj in self.new:
            obj._history_user, obj._change_reason = user, reason
            obj.save()
        return self.counts()
