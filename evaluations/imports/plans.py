"""One plan class per dataset of the registry (datasets.py): how its rows are matched on their
readable key, checked and turned into creates and updates, one chunk of rows at a time.

Like pretix's ImportColumn, each dataset knows how to clean and assign its own rows; the
importer finds the class in PLANS by the dataset's name.
"""

from __future__ import annotations

from typing import ClassVar

from django.db.models import Max
from django.utils.translation import gettext as _

from common.instances import only
from evaluations import access, workflow
from evaluations import datasets as ds
from evaluations.imports.context import ImportRun
from evaluations.imports.results import NEW, SKIP, UPDATE
from evaluations.models import (
    BudgetExecution,
    Department,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
    parent_loop,
)
from indicators.models import RuleSet

Records = list[tuple[int, dict]]


class DatasetPlan:
    """Plans one dataset's rows; subclasses set ``dataset`` and implement :meth:`plan`."""

    dataset: ClassVar[ds.Dataset]
    # False: the whole file is one chunk (departments link to parents anywhere in the file).
    chunked: ClassVar[bool] = True
    # True: rows are saved one by one with their ordinary history (few rows, signals matter).
    saves_each: ClassVar[bool] = False
    # True: on PostgreSQL, chunks are written by COPY and set-based SQL (pg_writer.py), for
    # the datasets that run to a million rows; the others keep bulk_create.
    copies: ClassVar[bool] = False
    # Fields the plan computes on every row it writes (stored scores), written with its changes.
    derived_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, run: ImportRun) -> None:
        self.run = run

    def look_up(self, records: Records) -> list[Report]:
        """Read at once what a window of rows (several chunks, importer.WINDOW_CHUNKS) points
        at, for a plan whose :meth:`plan` then sends no statement, and return the stored
        reports the window's rows are in (the writer locks them at once); the others look up
        their rows chunk by chunk in :meth:`plan`."""
        return []

    def plan(self, records: Records) -> None:
        raise NotImplementedError

    def before_write(self) -> None:
        """Writes this chunk's rows need stored first (a monitoring month's new round)."""

    def after_write(self) -> None:
        """Writes that need this chunk's rows stored first."""

    def report_stored(self, report: Report) -> None:
        """A report this import created was stored with the chunk just written (it has an id
        now): later chunks and windows find it as any stored report."""

    def key_text(self, key: tuple) -> str:
        return " ".join(str(k) for k in key if k is not None)


class DepartmentsPlan(DatasetPlan):
    dataset = ds.DEPARTMENTS
    chunked = False
    saves_each = True

    def __init__(self, run: ImportRun) -> None:
        super().__init__(run)
        self.parent_links: list[tuple[Department, str | None]] = []

    def plan(self, records: Records) -> None:
        run = self.run
        codes = {r["code"] for _n, r in records}
        parents = {r.get("parent_code") for _n, r in records} - {None}
        existing = run.load_departments(codes | parents)
        linked: dict[str, tuple[int, str | None]] = {}  # code → (row, parent code) in the file
        for number, record in records:
            code = record["code"]
            if not run.check_unique(number, (code,), "code"):
                continue
            department = existing.get(code)
            if department is None:
                if run.allowed is not None:
                    run.error(number, "code", _("无权新增部门“%(code)s”。") % {"code": code})
                    continue
                department = Department(code=code)
            elif not run.may_write(department):
                run.error(number, "code", _("无权导入部门“%(code)s”的数据。") % {"code": code})
                continue
            values = run.field_values(record)
            parent = self.parent_value(number, record, existing, codes)
            if parent is False:
                continue
            if parent == "none" or isinstance(parent, Department):
                values["parent"] = parent if isinstance(parent, Department) else None
            if not run.plan_row(number, record, department, values, code):
                continue
            if "parent_code" in record:
                linked[code] = (number, record["parent_code"])
            if parent == "later":
                self.link_later(number, department, record["parent_code"])
        self.check_parent_cycles(linked)

    def parent_value(self, number: int, record: dict, existing: dict, in_file: set):
        """The parent to set: a Department, "none", "later" (created by this file) or False
        (refused); None when the file has no parent column."""
        if "parent_code" not in record:
            return None
        parent_code = record["parent_code"]
        if parent_code == record["code"]:
            self.run.error(number, "parent_code", _("不能归口管理自己。"))
            return False
        if parent_code is None:
            return "none"
        if parent_code in existing:
            return existing[parent_code]
        if parent_code in in_file:
            return "later"  # created by this import; linked after it exists
        self.run.error(number, "parent_code", _("部门“%(code)s”不存在。") % {"code": parent_code})
        return False

    def link_later(self, number: int, department: Department, parent_code: str) -> None:
        run = self.run
        self.parent_links.append((department, parent_code))
        action, _obj, changes, _report = run.planned[-1]
        if action == SKIP:
            if not run.check_may_save(number, UPDATE, Department):
                return
            run.change_last(UPDATE, changes)
        changes["parent"] = (None, parent_code)

    def check_parent_cycles(self, linked: dict[str, tuple[int, str | None]]) -> None:
        """Refuse 归口管理 links that would lead back to where they start (A → B → A)."""
        if not any(parent for _n, parent in linked.values()):
            return
        parents = dict(Department.objects.values_list("code", "parent__code"))
        parents.update({code: parent for code, (_n, parent) in linked.items()})
        for code, (number, _parent) in linked.items():
            loop = parent_loop(code, parents.get)
            if loop is not None:
                self.run.error(
                    number, "parent_code",
                    _("归口管理关系形成循环：%(chain)s。") % {"chain": " → ".join(loop)},
                )

    def after_write(self) -> None:
        if not self.parent_links:
            return
        codes = {code for _d, code in self.parent_links if code}
        by_code = {d.code: d for d in Department.objects.filter(code__in=codes)}
        for department, code in self.parent_links:
            parent = by_code.get(code) if code else None
            if department.parent_id != (parent.pk if parent else None):
                department.parent = parent
                department._change_reason = _("数据导入")
                department.save(update_fields=["parent"])
        self.parent_links = []


class ReportsPlan(DatasetPlan):
    dataset = ds.REPORTS
    saves_each = True

    def plan(self, records: Records) -> None:
        run = self.run
        run.load_reports(records)
        # Status moves through the workflow (workflow.py: checks, events, revisions); only
        # a report restored from an export is created with it (workflow.may_set_status).
        for number, record in records:
            if not run.check_unique(number, (record["year"], record["department_code"]), "year"):
                continue
            report = run.report_for(number, record)
            if report is None:
                continue
            values = run.field_values(record)
            if not self.plan_rule_set(number, record, values, report):
                continue
            status = record.get("status")
            if status is not None and status != report.status:
                if not workflow.may_set_status(run.user, report):
                    run.error(number, "status", _("无权通过导入更改报告状态。"))
                    continue
                values["status"] = status
            if not self.plan_targets_status(number, record, values, report):
                continue
            run.plan_row(number, record, report, values,
                         f"{record['year']} {record['department_code']}", report=report)


    def plan_targets_status(self, number: int, record: dict, values: dict, report: Report) -> bool:
        """The targets' status is the workflow's (docs/design.md, "Targets and monitoring"): a
        file may repeat it (an export read back changes nothing) but not change it, except
        when restoring a new report as ``status`` may be (workflow.may_set_status)."""
        wanted = record.get("targets_status")
        current = report.targets_status if report.pk is not None else Report.TargetsStatus.DRAFT
        if wanted is None or wanted == current:
            return True
        if not workflow.may_set_status(self.run.user, report):
            self.run.error(number, "targets_status", _("绩效目标状态只能通过审核流程更改。"))
            return False
        values["targets_status"] = wanted
        return True

    def plan_rule_set(self, number: int, record: dict, values: dict, report: Report) -> bool:
        """The report's rule set from its code; empty keeps a stored report's and gives a new
        one its year's default (Report.save). False, with the error noted, for an unknown code
        or a change the user may not make (access.may_choose_rule_set)."""
        code = record.get("rule_set")
        if not code:
            return True
        if not hasattr(self, "_rule_sets"):
            self._rule_sets = dict(RuleSet.objects.values_list("code", "pk"))
        if code not in self._rule_sets:
            self.run.error(number, "rule_set", _("评分规则“%(code)s”不存在。") % {"code": code})
            return False
        chosen = self._rule_sets[code]
        if report.pk is not None:
            current = report.rule_set_id
        else:
            year = self.run.years.get(record["year"])
            current = year.rule_set_id if year is not None else RuleSet.national().pk
        if chosen != current and not access.may_choose_rule_set(self.run.user):
            self.run.error(number, "rule_set", _("无权更改报告的评分规则。"))
            return False
        values["rule_set_id"] = chosen
        return True


class BudgetExecutionsPlan(DatasetPlan):
    dataset = ds.BUDGET_EXECUTIONS

    def plan(self, records: Records) -> None:
        run = self.run
        reports = run.load_reports(records)
        existing = {
            (b.report_id, b.funding_source_id): b
            for b in BudgetExecution.objects.filter(report__in=reports)
        }
        for number, record in records:
            key = (record["year"], record["department_code"], record["funding_source"])
            if not run.check_unique(number, key, "funding_source"):
                continue
            report = run.report_for(number, record)
            if report is None:
                continue
            source = run.sources[record["funding_source"]]
            row = existing.get((report.pk, source.pk)) if report.pk else None
            if row is None:
                row = BudgetExecution(report=report, funding_source=source)
            run.plan_row(number, record, row, run.field_values(record), self.key_text(key),
                         report=report)


def by_report_position(model, run: ImportRun, records: Records) -> dict:
    """A chunk's stored rows of a dataset keyed (report, position), as (report_id, position),
    its reports loaded."""
    return {
        (row.report_id, row.position): row
        for row in model.objects.filter(
            report__in=run.load_reports(records), position__in={r["position"] for _n, r in records}
        )
    }


class PositionedPlan(DatasetPlan):
    """A dataset whose new rows are appended after the stored ones, in file order (顺序)."""

    def __init__(self, run: ImportRun) -> None:
        super().__init__(run)
        # (report, project) → the last position taken; kept across chunks, read once a report.
        self.next_position: dict[tuple, int] = {}
        self.positions_read: set[int] = set()

    def load_positions(self, model, reports: list[Report], by_project: bool) -> set[int]:
        """Read the last positions of the reports not read before; the ids of those that had
        no rows at all."""
        fresh = [r for r in reports if r.pk not in self.positions_read]
        if not fresh:
            return set()
        self.positions_read.update(r.pk for r in fresh)
        group = ("report_id", "project_id") if by_project else ("report_id",)
        # No ordering: the model's own (by report, year, department, project) joined six tables.
        rows = (model.objects.filter(report__in=fresh).order_by().values(*group)
                .annotate(top=Max("position")))
        empty = {r.pk for r in fresh}
        for row in rows:
            slot = (row["report_id"], row.get("project_id"))
            self.next_position[slot] = row["top"] or 0
            empty.discard(row["report_id"])
        return empty

    def report_stored(self, report: Report) -> None:
        """Its positions go on from those its rows took while it was new (the rows of a chunk
        not yet written are not in the database to be read again: the last chunk of a window
        is written after the next window's lookups, background.py)."""
        new = ("new", id(report))
        for slot in [slot for slot in self.next_position if slot[0] == new]:
            self.next_position[(report.pk, slot[1])] = self.next_position.pop(slot)
        self.positions_read.add(report.pk)

    def take_position(self, report: Report, project=None) -> int:
        return self.next_position_in((report.pk or ("new", id(report)), project.pk if project else None))

    def next_position_in(self, slot: tuple) -> int:
        """The next position in ``slot``: (report id, or ("new", id(report)) for a report not
        stored yet; project id or None), as :meth:`take_position` names it."""
        position = self.next_position[slot] = self.next_position.get(slot, 0) + 1
        return position


class ProjectsPlan(PositionedPlan):
    dataset = ds.PROJECTS

    def plan(self, records: Records) -> None:
        run = self.run
        reports = run.load_reports(records)
        self.load_positions(Project, reports, by_project=False)
        existing = {
            (p.report_id, p.code): p
            for p in Project.objects.filter(
                report__in=reports, code__in={r["code"] for _n, r in records}
            )
        }
        for number, record in records:
            key = (record["year"], record["department_code"], record["code"])
            if not run.check_unique(number, key, "code"):
                continue
            report = run.report_for(number, record)
            if report is None:
                continue
            project = existing.get((report.pk, record["code"])) if report.pk else None
            values = run.field_values(record)
            values["funding_source"] = run.sources[record["funding_source"]]
            if project is None:
                project = Project(report=report)
                values["position"] = self.take_position(report)
            run.plan_row(number, record, project, values, self.key_text(key), report=report)


PROJECT_KEYS = ("id", "code", "report_id")  # what a row's project is looked up and linked by


def load_projects(reports: list[Report], records: Records) -> dict[tuple[int, str], Project]:
    """The stored projects the rows name, by (report id, code), with PROJECT_KEYS alone (made by
    common.instances.loaded: a million-row import read 90,000)."""
    codes = {r.get("project_code") for _n, r in records} - {None}
    queryset = Project.objects.filter(report__in=reports, code__in=codes).order_by()
    return {(p.report_id, p.code): p for p in only(queryset, PROJECT_KEYS)}


def project_for(run: ImportRun, number: int, record: dict, report: Report, projects):
    code = record.get("project_code")
    project = projects.get((report.pk, code)) if report.pk else None
    if project is None:
        run.error(
            number, "project_code",
            _("部门“%(department)s”%(year)s年度没有编码为“%(code)s”的项目。")
            % {"department": record["department_code"], "year": record["year"], "code": code},
        )
    return project


class ProjectFundsPlan(DatasetPlan):
    dataset = ds.PROJECT_FUNDS

    def plan(self, records: Records) -> None:
        run = self.run
        projects = load_projects(run.load_reports(records), records)
        existing = {
            (f.project_id, f.funding_source_id): f
            for f in ProjectFund.objects.filter(project__in=list(projects.values()))
        }
        for number, record in records:
            key = (record["year"], record["department_code"], record["project_code"],
                   record["funding_source"])
            if not run.check_unique(number, key, "funding_source"):
                continue
            report = run.report_for(number, record, create=False)
            if report is None:
                if run.department_ok(record):
                    project_for(run, number, record, Report(), {})
                continue
            project = project_for(run, number, record, report, projects)
            if project is None:
                continue
            source = run.sources[record["funding_source"]]
            fund = existing.get((project.pk, source.pk)) or ProjectFund(
                project=project, funding_source=source
            )
            run.plan_row(number, record, fund, run.field_values(record), self.key_text(key),
                         report=report)


class NarrativesPlan(DatasetPlan):
    dataset = ds.NARRATIVES

    def plan(self, records: Records) -> None:
        run = self.run
        existing = by_report_position(OutcomeNarrative, run, records)
        for number, record in records:
            key = (record["year"], record["department_code"], record["position"])
            if not run.check_unique(number, key, "position"):
                continue
            report = run.report_for(number, record)
            if report is None:
                continue
            narrative = existing.get((report.pk, record["position"])) if report.pk else None
            if narrative is None:
                narrative = OutcomeNarrative(report=report, position=record["position"])
            run.plan_row(number, record, narrative, run.field_values(record),
                         self.key_text(key), report=report)


__all__ = ["NEW", "DatasetPlan"]
