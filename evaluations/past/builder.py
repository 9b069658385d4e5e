"""An extraction → a draft report: the one service behind ``manage.py import_report`` and the
admin's upload (docs/design.md, "Past reports into data").

Writes go through ``workflow.editing`` (the report row locked, the edit lock rechecked); on top
of the edit lock, no import of a past report writes into a report past draft, the command
line's included (``imports.locks.refusal`` with ``reviewed``). A dry run does the same writes
inside a transaction it then rolls back, so its findings are the ones the import would give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import router, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from common.formatting import amount as shown
from evaluations import access, checks, workflow
from evaluations.imports import locks
from evaluations.models import (
    BudgetExecution,
    Department,
    FiscalYear,
    FundingSource,
    OutcomeNarrative,
    Project,
    Report,
)
from evaluations.past import read_report
from evaluations.past.extractor import Extraction, Flag
from indicators.models import Indicator

PLACES = Decimal("0.0001")
BUDGET_FIELDS = ("initial_budget", "adjusted_budget", "income", "personnel", "public", "project")
NEW, CHANGED, SAME = "new", "changed", "same"


class ReportImportError(ValueError):
    """The report cannot be imported as asked; nothing was written."""


@dataclass
class ImportOutcome:
    """What an import read and did: the extraction, the report (None on a dry run of a new
    one), counts of rows new/changed/same by kind, and the checks' findings afterwards."""

    extraction: Extraction
    report: Report | None = None
    created: bool = False
    dry_run: bool = False
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    findings: list[checks.Finding] = field(default_factory=list)

    def count(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, {NEW: 0, CHANGED: 0, SAME: 0})[outcome] += 1

    @property
    def flags(self) -> list[Flag]:
        return self.extraction.flags


class _Rollback(Exception):
    pass


def import_report(
    data: bytes, filename: str = "", *, year: int | None = None,
    department_code: str | None = None, user=None, dry_run: bool = False,
) -> ImportOutcome:
    """Read ``data`` and write it into its department's draft for the year.

    Raises ``ReportFileError`` (not a report) or ``ReportImportError`` (no department, a year
    that may not be created, a report past draft) before anything is written.
    """
    extraction = read_report(data, filename)
    outcome = ImportOutcome(extraction, dry_run=dry_run)
    try:
        with transaction.atomic(using=router.db_for_write(Report)):
            _write(outcome, year, department_code, user)
            outcome.findings = checks.check_report(outcome.report)
            if dry_run:
                raise _Rollback
    except _Rollback:
        if outcome.created:
            outcome.report = None
    return outcome


def _write(outcome: ImportOutcome, year, department_code, user) -> None:
    extraction = outcome.extraction
    department = _department(extraction, department_code, user)
    fiscal_year = _fiscal_year(extraction, year, user)
    report = Report.objects.filter(department=department, fiscal_year=fiscal_year).first()
    if report is not None:
        refused = locks.refusal(report, user, reviewed=True)
        if refused:
            raise ReportImportError(refused[1])
    else:
        if not access.takes_new_reports(fiscal_year, user):
            raise ReportImportError(_("%(year)s 年度已停止填报，不能新建报告。") % {"year": fiscal_year.year})
        report = Report.objects.create(department=department, fiscal_year=fiscal_year)
        outcome.created = True
    with workflow.editing(report.pk, user) as locked:
        refused = locks.refusal(locked, user, reviewed=True)
        if refused:  # moved on between the look-up and the lock
            raise ReportImportError(refused[1])
        outcome.report = locked
        _texts(locked, extraction, outcome)
        _budgets(locked, extraction, outcome)
        _projects(locked, extraction, outcome)
        _narratives(locked, extraction, outcome)
        _indicators(locked, extraction, outcome)


# --- Where it goes -----------------------------------------------------------------------------


def _department(extraction: Extraction, code: str | None, user) -> Department:
    named = extraction.department_name
    if code:
        department = Department.objects.filter(code=code).first()
        if department is None:
            if user is not None or not named:
                raise ReportImportError(_("没有编码为“%(code)s”的部门。") % {"code": code})
            department = Department.objects.create(code=code, name=named[:200])
    else:
        found = list(Department.objects.filter(name=named)[:2]) if named else []
        if len(found) != 1:
            raise ReportImportError(
                _("报告标题中的部门“%(name)s”找不到对应的部门，请指定部门编码（--department）。")
                % {"name": named or _("（标题中没有部门名称）")})
        department = found[0]
    if user is not None and not access.may_access_department(user, department.pk):
        raise ReportImportError(_("无权导入部门“%(name)s”的报告。") % {"name": department.name})
    if named and named != department.name:
        extraction.flags.append(Flag("department_name", _(
            "报告标题中的部门为“%(named)s”，导入到部门“%(name)s”（%(code)s）。"
        ) % {"named": named, "name": department.name, "code": department.code}, extraction.title))
    return department


def _fiscal_year(extraction: Extraction, year: int | None, user) -> FiscalYear:
    if year is None:
        year = extraction.year
    elif extraction.year is not None and extraction.year != year:
        extraction.flags.append(Flag("year", _(
            "报告标题中的年度为 %(title)s，按指定的 %(year)s 年度导入。"
        ) % {"title": extraction.year, "year": year}, extraction.title))
    if year is None:
        raise ReportImportError(_("报告标题中没有年度，请指定年度（--year）。"))
    found = FiscalYear.objects.filter(year=year).first()
    if found is not None:
        return found
    refusal = access.why_not_create_year(user, year)
    if refusal is not None:
        raise ReportImportError(_("%(year)s 年度不存在，不能新建：%(reason)s。")
                                % {"year": year, "reason": refusal.label})
    return FiscalYear.objects.create(year=year)


# --- Rows ----------------------------------------------------------------------------------------


def _put(obj, values: dict) -> str:
    """Assign ``values`` and save only when something changed (no empty history rows)."""
    adding = obj._state.adding
    changed = [name for name, value in values.items()
               if _current(obj, name) != getattr(value, "pk", value)]
    for name in changed:
        setattr(obj, name, values[name])
    if adding:
        obj.save()
        return NEW
    if changed:
        obj.save()
        return CHANGED
    return SAME


def _current(obj, name: str):
    field = obj._meta.get_field(name)
    if field.is_relation:  # compare ids: an unsaved row has no related object yet
        return getattr(obj, field.attname)
    return getattr(obj, name)


def _stored(figure, extraction: Extraction, what: str) -> Decimal:
    value = figure.value.quantize(PLACES, rounding=ROUND_HALF_UP)
    if value != figure.value:
        extraction.flags.append(Flag("rounded", _(
            "%(what)s %(written)s 换算为 %(value)s 万元，超过 4 位小数，按 %(stored)s 万元保存。"
        ) % {"what": what, "written": figure.written, "value": figure.value,
             "stored": shown(value)}, figure.sentence))
    return value


def _texts(report: Report, extraction: Extraction, outcome: ImportOutcome) -> None:
    values = {name: text.value for name, text in extraction.texts.items()}
    changed = _put(report, values) if values else SAME
    outcome.count("report", NEW if outcome.created else changed)


def _budgets(report: Report, extraction: Extraction, outcome: ImportOutcome) -> None:
    sources = {s.code: s for s in FundingSource.objects.filter(kind=FundingSource.Kind.BUDGET)}
    existing = {b.funding_source.code: b for b in report.budget_executions.select_related("funding_source")}
    for code, budget in extraction.budgets.items():
        row = existing.get(code)
        if budget.none is not None:
            if row is not None:  # the text says this budget had nothing
                row.delete()
                outcome.count("budget_executions", CHANGED)
            continue
        values = {name: _stored(budget.figures[name], extraction, name)
                  for name in BUDGET_FIELDS if name in budget.figures}
        row = row or BudgetExecution(report=report, funding_source=sources[code])
        outcome.count("budget_executions", _put(row, values))


def _projects(report: Report, extraction: Extraction, outcome: ImportOutcome) -> None:
    if not extraction.projects:
        return
    sources = {s.code: s for s in FundingSource.objects.filter(kind=FundingSource.Kind.BUDGET)}
    existing = list(report.projects.order_by("position", "pk"))
    by_name = {p.name: p for p in existing}
    listed = {item.name for item in extraction.projects}
    kept = [p for p in existing if p.name not in listed]  # in the draft, not in the text: kept last
    positions = {item.name: item.position for item in extraction.projects}
    positions.update({p.name: len(extraction.projects) + i for i, p in enumerate(kept, 1)})
    moving = [p.pk for p in existing if p.position != positions[p.name]]
    if moving:  # out of the way first: positions are unique per report
        Project.objects.filter(pk__in=moving).update(position=F("pk") + 1_000_000)
        for p in existing:
            if p.pk in moving:
                p.position = None
    codes = _codes_in_use(report)
    for p in kept:
        if p.position != positions[p.name]:
            _put(p, {"position": positions[p.name]})
    for item in extraction.projects:
        project = by_name.get(item.name) or Project(
            report=report, name=item.name[:200], code=_new_code(report, item, codes))
        values = {"funding_source": sources[item.source], "position": item.position}
        if item.expenditure is not None:
            values["expenditure"] = _stored(item.expenditure, extraction, item.name)
        if item.outcome is not None:
            values["outcome"] = item.outcome.value
        outcome.count("projects", _put(project, values))
    if kept:
        extraction.flags.append(Flag("projects_kept", _(
            "草稿中已有、报告中没有的项目保留在最后：%(names)s。"
        ) % {"names": "、".join(p.name for p in kept)}))


def _codes_in_use(report: Report) -> set[str]:
    return set(report.projects.values_list("code", flat=True))


def _new_code(report: Report, item, codes: set[str]) -> str:
    """The code the department's other years gave a project of this name, else ``pN``."""
    earlier = (Project.objects.filter(report__department=report.department_id, name=item.name)
               .exclude(report=report).order_by("-report__fiscal_year__year")
               .values_list("code", flat=True).first())
    code = earlier if earlier and earlier not in codes else f"p{item.position}"
    n = item.position
    while code in codes:
        n += 1
        code = f"p{n}"
    codes.add(code)
    return code


def _narratives(report: Report, extraction: Extraction, outcome: ImportOutcome) -> None:
    if "overall_summary" not in extraction.texts and not extraction.narratives:
        return
    existing = {n.position: n for n in report.narratives.all()}
    for narrative in extraction.narratives:
        row = existing.pop(narrative.position, None) or OutcomeNarrative(
            report=report, position=narrative.position)
        outcome.count("narratives", _put(row, {"headline": narrative.headline, "body": narrative.body}))
    for row in existing.values():  # the text has fewer numbered paragraphs than the draft
        row.delete()
        outcome.count("narratives", CHANGED)


def _indicators(report: Report, extraction: Extraction, outcome: ImportOutcome) -> None:
    if not extraction.targets:
        return
    existing = list(report.indicators.filter(project=None).order_by("position", "pk"))
    by_name = {i.name: i for i in existing}
    last = max((i.position for i in existing), default=0)
    for target in extraction.targets:
        row = by_name.get(target.name)
        if row is None:
            last += 1
            row = Indicator(report=report, project=None, name=target.name[:200], position=last)
        values = {"level1": target.level1, "level2": target.level2, "nature": target.nature,
                  "unit": target.unit[:30], "target_value": target.target.value}
        if target.actual is not None:
            values["actual_value"] = target.actual.value
        outcome.count("indicators", _put(row, values))
