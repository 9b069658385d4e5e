"""Plans of the target_adjustments, monitoring_spending and monitoring_progress datasets.

Their rules are the models' and evaluations.targets' (checked here row by row, the error
naming the column): an adjustment only of an approved target's field; monitoring only in a
month from 1 to 12 after the targets' approval, within the 全年预算数, of approved indicators
(docs/design.md, "Targets and monitoring"). Registered in registry.PLANS.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from evaluations import datasets as ds
from evaluations import monitoring, targets
from evaluations.imports.plans import DatasetPlan, Records, project_for
from evaluations.models import (
    MonitoringProgress,
    MonitoringRound,
    MonitoringSpending,
    Project,
    Report,
    TargetAdjustment,
)
from evaluations.models.monitoring import validate_month
from indicators.models import Indicator

# Which column a model field's error is shown in.
COLUMN_OF = {"indicator": "indicator", "project": "project_code", "month": "month",
             "funding_source": "funding_source", "status": "status"}


def _refused(run, number: int, error: ValidationError) -> None:
    for name, messages in error.message_dict.items():
        for message in messages:
            run.error(number, COLUMN_OF.get(name, name if name != "__all__" else ""), message)


def _projects(reports: list[Report], records: Records) -> dict[tuple[int, str], Project]:
    codes = {r.get("project_code") for _n, r in records} - {None}
    return {
        (p.report_id, p.code): p
        for p in Project.objects.filter(report__in=reports, code__in=codes).only(
            "id", "code", "name", "report_id", "funding_source_id", "adjusted_budget")
    }


def _indicators(reports: list[Report], records: Records, column: str) -> dict[tuple, Indicator]:
    names = {r.get(column) for _n, r in records} - {None}
    return {
        (i.report_id, i.project_id, i.name): i
        for i in Indicator.objects.filter(report__in=reports, name__in=names)
    }


def _report_of(run, number: int, record: dict) -> Report | None:
    """The row's stored report; an error when the department has none that year."""
    report = run.report_for(number, record, create=False)
    if report is None and run.department_ok(record):
        run.error(number, "year", _("部门“%(department)s”%(year)s年度没有报告。") % {
            "department": record["department_code"], "year": record["year"]})
    return report


def _indicator_of(run, number, record, report, projects, indicators, column: str):
    project = None
    if record.get("project_code"):
        project = project_for(run, number, record, report, projects)
        if project is None:
            return False, None
    if not record.get(column):
        return project, None
    indicator = indicators.get((report.pk, project.pk if project else None, record[column]))
    if indicator is None:
        run.error(number, column, _("没有名为“%(name)s”的指标。") % {"name": record[column]})
        return False, None
    return project, indicator


class TargetAdjustmentsPlan(DatasetPlan):
    dataset = ds.TARGET_ADJUSTMENTS
    saves_each = True  # few rows, each with its ordinary history

    def plan(self, records: Records) -> None:
        run = self.run
        reports = run.load_reports(records)
        projects = _projects(reports, records)
        indicators = _indicators(reports, records, "indicator")
        existing = {
            (a.report_id, a.project_id, a.indicator_id, a.field, a.new_value): a
            for a in TargetAdjustment.objects.filter(report__in=reports)
        }
        for number, record in records:
            key = tuple(record.get(k) for k in self.dataset.key)
            if not run.check_unique(number, key, "new_value"):
                continue
            report = _report_of(run, number, record)
            if report is None:
                continue
            project, indicator = _indicator_of(run, number, record, report, projects, indicators, "indicator")
            if project is False:
                continue
            if project is None and indicator is None:
                run.error(number, "indicator", _("请填写三级指标，或调整项目内容时填写项目编码。"))
                continue
            match = (report.pk, project.pk if project else None, indicator.pk if indicator else None,
                     record["field"], record["new_value"])
            self.plan_one(number, record, report, project, indicator, existing.get(match), key)

    def plan_one(self, number, record, report, project, indicator, adjustment, key) -> None:
        run = self.run
        status = record.get("status") or TargetAdjustment.Status.PENDING
        values = {**run.field_values(record), "field": record["field"]}
        if adjustment is not None:  # decided in the admin, not by a file
            if status != adjustment.status:
                run.error(number, "status", _("调整状态只能由审核人在管理后台审核。"))
                return
            run.plan_row(number, record, adjustment, values, self.key_text(key), report=report)
            return
        adjustment = TargetAdjustment(report=report, project=project, indicator=indicator,
                                      requested_by=run.user, **values)
        restoring = run.is_admin and status != TargetAdjustment.Status.PENDING
        if status != TargetAdjustment.Status.PENDING and not restoring:
            run.error(number, "status", _("导入的调整只能是待审核，由审核人在管理后台批准。"))
            return
        try:
            if restoring:  # restoring an export: the decision as recorded, the target as it is
                if record["field"] not in targets.target_fields(adjustment.target):
                    raise ValidationError({"field": _("不是绩效目标的内容，不能调整。")})
                values["old_value"] = record.get("old_value") or ""
            else:
                targets.check_adjustment(adjustment)
                values["new_value"] = adjustment.new_value
                values["old_value"] = targets.value_text(getattr(adjustment.target, record["field"]))
        except ValidationError as exc:
            _refused(run, number, exc)
            return
        values["status"] = status
        run.plan_row(number, record, adjustment, values, self.key_text(key), report=report)


class _MonitoringPlan(DatasetPlan):
    """Rows of monitoring rounds: the month's round found, or created as a draft before the
    rows are written (``before_write``); lights recomputed after."""

    def __init__(self, run) -> None:
        super().__init__(run)
        self.rounds: dict[tuple[int, int], MonitoringRound] = {}
        self.touched: dict[int, MonitoringRound] = {}

    def load_rounds(self, reports: list[Report]) -> None:
        for round_ in MonitoringRound.objects.filter(report__in=reports):
            self.rounds.setdefault((round_.report_id, round_.month), round_)

    def round_for(self, number: int, report: Report, month: int) -> MonitoringRound | None:
        try:
            validate_month(month)
        except ValidationError as exc:
            self.run.error(number, "month", exc.messages[0])
            return None
        round_ = self.rounds.get((report.pk, month))
        if round_ is None:
            round_ = MonitoringRound(report=report, month=month)
            try:
                round_.clean()
            except ValidationError as exc:
                _refused(self.run, number, exc)
                return None
            self.rounds[(report.pk, month)] = round_
        elif round_.status != MonitoringRound.Status.DRAFT:
            self.run.error(number, "month", _("%(month)s月的监控已%(status)s，不能通过导入修改。") % {
                "month": month, "status": round_.get_status_display()})
            return None
        self.touched[id(round_)] = round_
        return round_

    def before_write(self) -> None:
        for round_ in self.touched.values():
            if round_.pk is None:
                round_._change_reason = _("数据导入")
                round_.save()

    def after_write(self) -> None:
        for round_ in self.touched.values():
            monitoring.refresh_light(round_)
        self.touched = {}


class MonitoringSpendingPlan(_MonitoringPlan):
    dataset = ds.MONITORING_SPENDING

    def plan(self, records: Records) -> None:
        run = self.run
        reports = run.load_reports(records)
        self.load_rounds(reports)
        projects = _projects(reports, records)
        budgets = monitoring.budgets_of(r.pk for r in reports)
        existing = {
            (s.round_id, s.funding_source_id, s.project_id): s
            for s in MonitoringSpending.objects.filter(round__report__in=reports)
        }
        for number, record in records:
            key = tuple(record.get(k) for k in self.dataset.key)
            if not run.check_unique(number, key, "spent_to_date"):
                continue
            report = _report_of(run, number, record)
            if report is None:
                continue
            project, _none = _indicator_of(run, number, record, report, projects, {}, "indicator")
            round_ = project is not False and self.round_for(number, report, record["month"])
            if not round_:
                continue
            source = run.sources[record["funding_source"]]
            row = existing.get((round_.pk, source.pk, project.pk if project else None)) or MonitoringSpending(
                round=round_, funding_source=source, project=project)
            values = run.field_values(record)
            row.spent_to_date = values["spent_to_date"]
            try:
                row.check_budget(project.adjusted_budget if project else budgets[report.pk].get(source.pk))
            except ValidationError as exc:
                _refused(run, number, exc)
                continue
            run.plan_row(number, record, row, values, self.key_text(key), report=report)


class MonitoringProgressPlan(_MonitoringPlan):
    dataset = ds.MONITORING_PROGRESS

    def plan(self, records: Records) -> None:
        run = self.run
        reports = run.load_reports(records)
        self.load_rounds(reports)
        projects = _projects(reports, records)
        indicators = _indicators(reports, records, "indicator")
        existing = {
            (p.round_id, p.indicator_id): p
            for p in MonitoringProgress.objects.filter(round__report__in=reports)
        }
        for number, record in records:
            key = tuple(record.get(k) for k in self.dataset.key)
            if not run.check_unique(number, key, "indicator"):
                continue
            report = _report_of(run, number, record)
            if report is None:
                continue
            project, indicator = _indicator_of(run, number, record, report, projects, indicators, "indicator")
            round_ = project is not False and self.round_for(number, report, record["month"])
            if not round_:
                continue
            row = existing.get((round_.pk, indicator.pk)) or MonitoringProgress(round=round_, indicator=indicator)
            values = run.field_values(record)
            values["outlook"] = record.get("outlook") or "on_track"
            run.plan_row(number, record, row, values, self.key_text(key), report=report)


TARGET_PLANS = (TargetAdjustmentsPlan, MonitoringSpendingPlan, MonitoringProgressPlan)
