"""The indicators dataset's plan (part of PLANS, registry.py): rows matched on report, project and
name, new ones appended after the stored ones, each written row scored as planned.
"""

from __future__ import annotations

from functools import partial

from django.db.models import Q
from django.utils.translation import gettext as _

from common.instances import Blank
from evaluations import datasets as ds
from evaluations import scores
from evaluations.imports.context import ImportRun
from evaluations.imports.plans import (
    PositionedPlan,
    Records,
    load_projects,
    project_for,
)
from evaluations.imports.results import SKIP
from evaluations.models import Report
from evaluations.models.report import rules_of
from indicators.models import Indicator, RuleSet
from indicators.vocabulary import LEVEL2_BY_LEVEL1, Level1, default_nature


class IndicatorsPlan(PositionedPlan):
    dataset = ds.INDICATORS
    # Each row written is scored as planned, so the import's closing recompute
    # (evaluations/scores.py) finds its indicators' scores stored and writes only totals.
    derived_fields = Indicator.SCORE_FIELDS
    copies = True

    def __init__(self, run: ImportRun) -> None:
        super().__init__(run)
        self.rule_sets: dict[int, RuleSet] | None = None
        self.report_rules: dict[int, object] = {}  # report id → its Rules (shared objects)
        self.blank: Blank | None = None
        # Reports that had no indicators when this import first read them: whatever they hold
        # now, this import wrote, so their stored rows are never looked up (see stored()).
        self.empty_before: set[int] = set()
        # What the window being planned points at (look_up).
        self.projects: dict = {}
        self.existing: dict[tuple, Indicator] = {}
        self.ambiguous: set[tuple] = set()

    def new_indicator(self, report: Report, project, report_pk, project_pk) -> Indicator:
        """Indicator(report=report, project=project), made by common.instances.Blank (a million
        rows spent ~8 s in Model.__init__); ``report_pk``, ``project_pk``: their ids."""
        if self.blank is None:
            self.blank = Blank(Indicator)
        indicator = self.blank(report_id=report_pk, project_id=project_pk)
        indicator._state.fields_cache = {"report": report, "project": project}
        return indicator

    def report_stored(self, report: Report) -> None:
        """A report this import created holds only the file's rows: never searched for stored
        ones (a key repeated is refused, KeysSeen). Its first rows were planned unscored (it
        had no rules yet), so the closing recompute scores it in full (not written_scored)."""
        super().report_stored(report)
        self.empty_before.add(report.pk)

    def rules_for(self, report_pk: int | None):
        """Report.rules of a stored report (read once a report, see plan()); None for a report
        not stored yet (a new report: the closing recompute scores it)."""
        return None if report_pk is None else self.report_rules.get(report_pk)

    def read_rules(self, reports: list[Report]) -> None:
        """The rules of the chunk's stored reports not read before (evaluations.models.report
        .rules_of: a published report's as they were when it was published)."""
        if self.rule_sets is None:
            self.rule_sets = RuleSet.objects.in_bulk()
        fresh = [r for r in reports if r.pk not in self.report_rules]
        if fresh:
            self.report_rules.update(rules_of(fresh, self.rule_sets))

    def stored(self, reports: list[Report], records: Records, projects: dict):
        """Stored indicators of the chunk's names, and the keys more than one of them has.

        Narrowed to the chunk's projects too: names such as "完成率" recur in every project,
        and by name alone each chunk would load every earlier chunk's rows (written in this
        transaction), which made a one-report file's memory and time grow with its length.
        Reports that had no indicators before this import (``empty_before``) are not read at
        all: their rows are this file's, and a key that comes back is refused as a repeated
        row (KeysSeen), found or not. A million-row import into empty reports spent a tenth
        of its time here.
        """
        existing: dict[tuple, Indicator] = {}
        ambiguous: set[tuple] = set()
        reports = [r for r in reports if r.pk not in self.empty_before]
        if not reports:
            return existing, ambiguous
        names = {r["name"] for _n, r in records}
        in_projects = Q(project__in=[p.pk for p in projects.values()])
        if any(r.get("project_code") is None for _n, r in records):
            in_projects |= Q(project__isnull=True)
        # Unordered (a key more than one row has is refused whatever their order): the model's
        # ordering joined six tables.
        queryset = Indicator.objects.filter(in_projects, report__in=reports, name__in=names).order_by()
        for ind in queryset:
            key = (ind.report_id, ind.project_id, ind.name)
            if key in existing:
                ambiguous.add(key)
            existing[key] = ind
        return existing, ambiguous

    def look_up(self, records: Records) -> list[Report]:
        """The window's reports, their last positions, projects, stored rows and rules."""
        run = self.run
        reports = run.load_reports(records)
        empty = self.load_positions(Indicator, reports, by_project=True)
        self.empty_before |= empty
        self.projects = load_projects(reports, records)
        self.existing, self.ambiguous = self.stored(reports, records, self.projects)
        self.read_rules(reports)
        # Reports that had no indicators hold only rows of this import, each scored below under
        # its report's rules: the closing recompute totals them as scored (scores.py).
        scores.written_scored(
            r.pk for r in reports if r.pk in empty and self.rules_for(r.pk) is not None
        )
        return reports

    def plan(self, records: Records) -> None:
        """One chunk of the window :meth:`look_up` read: no statement."""
        run = self.run
        for number, record in records:
            key = (record["year"], record["department_code"], record.get("project_code"),
                   record["name"])
            if not run.check_unique(number, key, "name"):
                continue
            self.plan_one(number, record, key, self.projects, self.existing, self.ambiguous)

    def plan_one(self, number, record, key, projects, existing, ambiguous) -> None:
        run = self.run
        if record["level2"] not in LEVEL2_BY_LEVEL1[record["level1"]]:
            run.error(number, "level2", _("二级指标“%(level2)s”不属于一级指标“%(level1)s”。") % {
                "level2": record["level2"], "level1": record["level1"],
            })
            return
        report = run.report_for(number, record, create=record.get("project_code") is None)
        if report is None:
            if record.get("project_code") and run.department_ok(record):
                project_for(run, number, record, Report(), {})
            return
        project = None
        if record.get("project_code"):
            project = project_for(run, number, record, report, projects)
            if project is None:
                return
        report_pk = report.pk  # (read once: a million rows asked each id ~8 times)
        project_pk = project.pk if project else None
        match = (report_pk, project_pk, record["name"])
        if report_pk and match in ambiguous:
            run.error(number, "name", _("已有多个同名指标，无法确定要更新哪一个。"))
            return
        indicator = existing.get(match) if report_pk else None
        values = run.field_values(record)
        # Cost indicators are ≤ unless the file says otherwise (vocabulary.default_nature).
        nature = default_nature(record["level1"], record["level2"])
        for column, default in (("nature", nature), ("tier", ""), ("applicable", True)):
            if column in record:
                values[column] = default if record[column] is None else record[column]
        values["level1"], values["level2"] = record["level1"], record["level2"]
        if indicator is None:
            indicator = self.new_indicator(report, project, report_pk, project_pk)
            values["position"] = self.next_position_in((report_pk or ("new", id(report)), project_pk))
            values.setdefault("nature", nature)
        rules = self.rules_for(report_pk)
        if record["level1"] == Level1.COST and not (rules or indicator.rules).cost_level1:
            run.error(number, "level1", _("该报告的评分规则不设“成本指标”一级指标，请填在“产出指标”下。"))
            return
        planned = run.plan_row(number, record, indicator, values, partial(self.key_text, key),
                               report=report)
        if not planned or run.planned[-1][0] == SKIP:
            return
        if not run.is_admin:
            # The admin form's rule (Indicator.clean): a qualitative score within its tier.
            problem = indicator._qualitative_score_error(rules)
            if problem:
                run.error(number, "score", str(problem))
        if rules is not None:
            indicator.final_score = indicator.fresh_score(rules)
