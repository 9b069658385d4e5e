"""Plans of the datasets of the year after: findings, recommendations, re-checks
(docs/design.md, "Targets, monitoring, findings"). Part of PLANS (registry.py).

These rows change after publication, so they are planned without the report's edit lock
(``report=None`` to ``plan_row``); the rules of access.py's "After the year" decide instead,
each refusal named by row and column. After writing, the reports they belong to are marked
edited, which moves the public pages' stamp.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from evaluations import access, workflow
from evaluations import cycle_datasets as cds
from evaluations.imports.plans import (
    DatasetPlan,
    Records,
    by_report_position,
    load_projects,
    project_for,
)
from evaluations.imports.results import SKIP
from evaluations.models import Finding, Recheck, RecheckSample, Recommendation, Report
from evaluations.public.followup import pages_showing
from indicators.models import Indicator


class CyclePlan(DatasetPlan):
    """Rows that need a stored report (never created here) and mark it edited once written."""

    def __init__(self, run) -> None:
        super().__init__(run)
        self.touched: set[int] = set()

    def stored_report(self, number: int, record: dict) -> Report | None:
        run = self.run
        report = run.report_for(number, record, create=False)
        if report is None and run.department_ok(record):
            run.error(number, "year", _("部门“%(department)s”没有%(year)s年度的自评报告。") % {
                "department": record["department_code"], "year": record["year"]})
        return report

    def planned(self, report: Report, ok: bool) -> None:
        if ok and self.run.planned[-1][0] != SKIP:
            self.touched.add(report.pk)

    def after_write(self) -> None:
        workflow.mark_edited(pages_showing(self.touched))
        self.touched = set()

    def plan_recorded(self, number: int, record: dict, row, values: dict, key: tuple,
                      report: Report) -> None:
        """Plan a reviewer's row (a recommendation, a re-check score): a new row, or one whose
        values change, is recorded as the importing user's."""
        if row.pk is None or any(getattr(row, k) != v for k, v in values.items()):
            values["recorded_by_id"] = getattr(self.run.user, "pk", None)
        self.planned(report, self.run.plan_row(number, record, row, values, self.key_text(key)))


class FindingsPlan(CyclePlan):
    dataset = cds.FINDINGS

    def plan(self, records: Records) -> None:
        run = self.run
        existing = by_report_position(Finding, run, records)
        for number, record in records:
            key = (record["year"], record["department_code"], record["position"])
            if not run.check_unique(number, key, "position"):
                continue
            report = self.stored_report(number, record)
            if report is None:
                continue
            finding = existing.get((report.pk, record["position"]))
            if finding is None:
                finding = Finding(report=report, position=record["position"],
                                  created_by=run.user if run.user is not None else None)
            values = self.values(number, record, finding)
            if values is not None:
                ok = run.plan_row(number, record, finding, values, self.key_text(key))
                self.planned(report, ok)

    def values(self, number: int, record: dict, finding: Finding) -> dict | None:
        """The row's values, or None when a rule refuses it (the error is noted)."""
        run, user = self.run, self.run.user
        values = run.field_values(record)
        stored = finding.pk is not None  # a blank source or status keeps what is stored
        if "source" in record:
            values["source"] = record["source"] or (finding.source if stored else Finding.Source.SELF)
        problem = Finding.due_date_problem(values.get("due_date"), record["year"])
        if problem:
            run.error(number, "due_date", problem)
            return None
        changed = [name for name, value in values.items() if getattr(finding, name) != value]
        if finding.pk is None or "source" in changed:
            source = values.get("source", finding.source)
            if source not in access.finding_sources(user):
                run.error(number, "source", _("无权录入来源为“%(source)s”的问题。") % {
                    "source": Finding.Source(source).label})
                return None
        old_status = finding.status if finding.pk else None
        status = record.get("status") or (finding.status if stored else Finding.Status.OPEN)
        locked = access.why_finding_locked(finding, user) if finding.pk else None
        if locked and (changed or status != finding.status):
            run.error(number, "status", locked)
            return None
        for name in set(changed) & set(access.finding_fields_locked(finding, user)):
            run.error(number, name, _("此项由发现问题的审核人或审计填写，填报部门不能修改。"))
            return None
        refused = access.why_not_finding_status(finding, old_status, status, user)
        if refused:
            run.error(number, "status", refused)
            return None
        probe = Finding(status=finding.status, done_by_id=finding.done_by_id,
                        verified_by_id=finding.verified_by_id, verified_at=finding.verified_at)
        probe.take_status(status, user)
        for name in ("status", "done_by_id", "verified_by_id", "verified_at"):
            if finding.pk is None or getattr(probe, name) != getattr(finding, name):
                values[name] = getattr(probe, name)
        return values


class RecommendationsPlan(CyclePlan):
    dataset = cds.RECOMMENDATIONS

    def plan(self, records: Records) -> None:
        run = self.run
        projects = load_projects(run.load_reports(records), records)
        existing = {
            r.project_id: r
            for r in Recommendation.objects.filter(project__in=list(projects.values()))
        }
        for number, record in records:
            key = (record["year"], record["department_code"], record["project_code"])
            if not run.check_unique(number, key, "project_code"):
                continue
            report = self.stored_report(number, record)
            project = project_for(run, number, record, report, projects) if report else None
            if project is None:
                continue
            row = existing.get(project.pk) or Recommendation(project=project)
            values = {"recommendation": record["recommendation"], **run.field_values(record)}
            self.plan_recorded(number, record, row, values, key, report)


class RechecksPlan(CyclePlan):
    dataset = cds.RECHECKS

    def __init__(self, run) -> None:
        super().__init__(run)
        self.new_samples: set[int] = set()

    def after_write(self) -> None:
        for report_id in self.new_samples:
            RecheckSample.objects.get_or_create(report_id=report_id)
        self.new_samples = set()
        super().after_write()

    def plan(self, records: Records) -> None:
        run = self.run
        reports = run.load_reports(records)
        projects = load_projects(reports, records)
        names = {r["indicator"] for _n, r in records}
        indicators: dict[tuple, Indicator | None] = {}
        for ind in Indicator.objects.filter(report__in=reports, name__in=names).select_related("recheck"):
            slot = (ind.report_id, ind.project_id, ind.name)
            indicators[slot] = None if slot in indicators else ind  # None: ambiguous
        sampled = set(RecheckSample.objects.filter(report__in=reports).values_list("report_id", flat=True))
        for number, record in records:
            key = (record["year"], record["department_code"], record.get("project_code"),
                   record["indicator"])
            if not run.check_unique(number, key, "indicator"):
                continue
            report = self.stored_report(number, record)
            if report is None:
                continue
            project = None
            if record.get("project_code"):
                project = project_for(run, number, record, report, projects)
                if project is None:
                    continue
            self.plan_one(number, record, key, report, project, indicators, sampled)

    def plan_one(self, number, record, key, report, project, indicators, sampled) -> None:
        run = self.run
        slot = (report.pk, project.pk if project else None, record["indicator"])
        if slot not in indicators:
            run.error(number, "indicator", _("没有名为“%(name)s”的指标。") % {"name": record["indicator"]})
            return
        indicator = indicators[slot]
        if indicator is None:
            run.error(number, "indicator", _("已有多个同名指标，无法确定要复核哪一个。"))
            return
        if report.pk not in sampled:
            if not access.is_unrestricted(run.user):
                run.error(number, "year", access.why_not_recheck(report))
                return
            self.new_samples.add(report.pk)  # restoring an export: the sample came with it
        problem = Recheck.score_problem(record["recheck_score"], indicator)
        if problem:
            run.error(number, "recheck_score", problem)
            return
        row = getattr(indicator, "recheck", None) or Recheck(indicator=indicator)
        values = {"recheck_score": record["recheck_score"], **run.field_values(record)}
        self.plan_recorded(number, record, row, values, key, report)
