"""Consistency checks of a report (docs/design.md, "Consistency checks"): what a reviewer would otherwise catch by hand.

Each finding has a stable ``code``, a ``severity`` (errors block submission, warnings are
shown to reviewers), a message in the active language and the figures it compared.
``check_report`` reads a report with a fixed number of queries; ``run_checks`` works on rows
already in memory, so unsaved or crafted data can be checked too. This module alone decides a
finding: submission (workflow.py) refuses the errors, and the admin's report and project pages
render the same findings (evaluations/admin/indicators.py), never a check of their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from common.formatting import amount, percent
from common.text import is_sentence
from evaluations.models import (
    BudgetExecution,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
    TargetAdjustment,
    amount_names,
)
from evaluations.models import Finding as RectificationFinding
from indicators import scoring, tables
from indicators.models import Indicator, RuleSet
from indicators.vocabulary import Nature, is_cost

ERROR = "error"
WARNING = "warning"
ZERO = Decimal("0")

# Codes, stable for tests, exports and anyone filtering findings.
NEGATIVE_AMOUNT = "negative_amount"
PROJECTS_SUM = "projects_sum"
PROJECTS_NOT_LISTED = "projects_not_listed"
PROJECT_FUNDS_SUM = "project_funds_sum"
OUTCOME_MISSING = "outcome_missing"
DEVIATION_MISSING = "deviation_missing"
EXECUTION_EXPLANATION_MISSING = "execution_explanation_missing"
WEIGHTS_MISMATCH = "weights_mismatch"
SCORE_OUT_OF_BAND = "score_out_of_band"
FINDING_OVERDUE = "finding_overdue"
FINDING_CARRIED_OVER = "finding_carried_over"
TARGETS_IN_REVIEW = "targets_in_review"
ADJUSTMENTS_PENDING = "adjustments_pending"
SECTION_MISSING = "section_missing"

# The sections of the official outline a report must write (docs/design.md, "Consistency
# checks"): the report's field and the section's number and title in the outline. 六（一）
# is also written by its numbered 绩效情况 paragraphs (narratives).
REQUIRED_SECTIONS = (
    ("profile", _lazy("一（一）部门基本情况")),
    ("overall_summary", _lazy("六（一）部门整体支出绩效情况")),
    ("problems", _lazy("七、存在的问题及原因分析")),
    ("improvements", _lazy("八、下一步改进措施")),
    ("result_application", _lazy("九、绩效自评结果拟应用和公开情况")),
)
COST_NOT_LTE = "cost_not_lte"
STORED_SCORES_STALE = "stored_scores_stale"

AMOUNT_FIELDS = {model: amount_names(model) for model in (BudgetExecution, Project, ProjectFund)}


@dataclass(frozen=True)
class Finding:
    """One thing wrong (error) or worth a look (warning) in a report."""

    code: str
    severity: str
    message: str
    figures: dict[str, Any] = field(default_factory=dict)
    subject: str = ""  # what it is about: a budget, a project, an indicator
    # The project (and indicator) it is about, so a page of one project or one indicator row
    # shows its own findings; None for what belongs to the report as a whole.
    project_id: int | None = None
    indicator_id: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass
class ReportData:
    """The rows of one report the checks read; ``indicators`` holds the department's and projects'.

    ``report`` is None for the rows of one project alone (``load_project``). The 自评表s are
    computed once, on first use, from the rows as they are then: pages show the same tables
    the checks read.
    """

    report: Report | None
    budget_executions: Sequence[BudgetExecution]
    projects: Sequence[Project]
    project_funds: Sequence[ProjectFund] = ()
    indicators: Sequence[Indicator] = ()
    # The report's findings (整改问题) and last year's unverified ones of its department.
    findings: Sequence[RectificationFinding] = ()
    # Adjustments of approved targets still awaiting a reviewer (read only once approved).
    pending_adjustments: int = 0
    narratives: Sequence[OutcomeNarrative] = ()
    # The report's rule set (indicators.rule_sets): the tables here are scored afresh under it.
    rules: scoring.Rules = scoring.NATIONAL_2020

    @cached_property
    def _indicators_by_project(self) -> dict[int | None, list[Indicator]]:
        by_project: dict[int | None, list[Indicator]] = defaultdict(list)
        for indicator in self.indicators:
            by_project[indicator.project_id].append(indicator)
        return by_project

    @cached_property
    def department_table(self) -> tables.SelfEvaluationTable:
        """部门整体支出绩效自评表, from the budgets and the department-level indicators."""
        return tables.score_department_table(
            self.report, self.budget_executions, self._indicators_by_project.get(None, []),
            self.rules,
        )

    @cached_property
    def _project_tables(self) -> dict[int, tables.SelfEvaluationTable]:
        return {
            project.pk: tables.score_project_table(
                project, self._indicators_by_project.get(project.pk, []), self.rules
            )
            for project in self.projects
        }

    def project_table(self, project: Project) -> tables.SelfEvaluationTable:
        """项目支出绩效自评表 of one of ``projects``."""
        return self._project_tables[project.pk]


def load(report: Report) -> ReportData:
    """Fetch what the checks need in five queries, however large the report."""
    return ReportData(
        report=report,
        rules=report.rules,
        budget_executions=list(
            report.budget_executions.select_related("funding_source").order_by(
                "funding_source__position", "pk"
            )
        ),
        projects=list(report.projects.select_related("funding_source").order_by("position", "pk")),
        project_funds=list(
            ProjectFund.objects.filter(project__report=report).select_related("funding_source")
        ),
        # With their re-check scores (a join, no query), which the report's page shows.
        indicators=list(report.indicators.select_related("recheck").order_by("position", "pk")),
        findings=list(
            RectificationFinding.objects.filter(
                report__department_id=report.department_id,
                report__fiscal_year__year__in=[report.fiscal_year.year, report.fiscal_year.year - 1],
            ).select_related("report__fiscal_year").order_by("-report__fiscal_year__year", "position")
        ),
        pending_adjustments=(
            report.target_adjustments.filter(status=TargetAdjustment.Status.PENDING).count()
            if report.targets_status == Report.TargetsStatus.APPROVED else 0
        ),
        narratives=list(report.narratives.order_by("position")),
    )


def load_project(project: Project) -> ReportData:
    """The rows of one project (its fund rows and indicators), in four queries."""
    return ReportData(
        report=None,
        rules=_rules_of(project),
        budget_executions=(),
        projects=[project],
        project_funds=list(project.funds.select_related("funding_source")),
        indicators=list(project.indicators.order_by("position", "pk")),
    )


def _rules_of(project: Project) -> scoring.Rules:
    """The rules of the project's report: one query, none when the report's rule set is loaded."""
    if Project.report.is_cached(project):
        return project.report.rules
    return RuleSet.objects.get(reports__pk=project.report_id).rules


def check_report(report: Report) -> list[Finding]:
    return run_checks(load(report))


def check_project(project: Project) -> list[Finding]:
    """The findings about one project: those check_report gives with its ``project_id``."""
    return project_findings(load_project(project), project.pk)


def project_findings(data: ReportData, project_id: int) -> list[Finding]:
    # A project's findings read only its own rows (its amounts, funds, outcome and table),
    # so the rows of that project alone give them; what needs the whole report (the
    # budgets' project sums) has no project_id.
    return [f for f in run_checks(data) if f.project_id == project_id]


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == WARNING]


def run_checks(data: ReportData) -> list[Finding]:
    """Every check over one report's rows, errors and warnings in document order."""
    findings: list[Finding] = []
    if data.report is not None:
        findings += _sections_written(data)
    findings += _negative_amounts(data)
    if data.report is not None:  # the budgets' sums need the whole report's projects
        findings += _projects_add_up(data)
    findings += _project_funds_add_up(data)
    findings += _outcomes_present(data)
    findings += _tables(data)
    if data.report is not None:
        findings += _rectification(data)
    findings += _targets(data)
    findings += _cost_natures(data)
    if data.report is not None and data.report.status == Report.Status.DRAFT:
        findings += _stored_scores(data)
    return findings


def _targets(data: ReportData) -> list[Finding]:
    """The self-evaluation is scored against the approved targets (the indicators' target
    fields, locked once approved: access.target_refusal): not while they are in review,
    and a reviewer should see adjustments still pending."""
    report = data.report
    if report is None:
        return []
    if report.targets_status == Report.TargetsStatus.SUBMITTED:
        return [Finding(TARGETS_IN_REVIEW, ERROR, _(
            "绩效目标尚在审核中：请审核人先批复或退回，再按批复的目标提交自评。"))]
    if data.pending_adjustments:
        return [Finding(ADJUSTMENTS_PENDING, WARNING, _(
            "有%(count)s项绩效目标调整尚待审核，自评按已批复的目标计分。") % {"count": data.pending_adjustments},
            figures={"count": data.pending_adjustments})]
    return []


def _project_id(row) -> int | None:
    if isinstance(row, Project):
        return row.pk
    if isinstance(row, ProjectFund):
        return row.project_id
    return None


# --- The checks -----------------------------------------------------------------


def _label(row) -> str:
    if isinstance(row, BudgetExecution):
        return str(row.funding_source)
    if isinstance(row, ProjectFund):
        return f"{row.project} · {row.funding_source}" if row.project_id else str(row.funding_source)
    return str(row)


def _sections_written(data: ReportData) -> list[Finding]:
    """Each section the outline requires says at least a sentence (common.text.is_sentence)."""
    found = []
    for name, section in REQUIRED_SECTIONS:
        text = getattr(data.report, name)
        if name == "overall_summary":
            text = "\n".join([text, *(f"{n.headline}{n.body}" for n in data.narratives)])
        if not is_sentence(text):
            found.append(Finding(
                SECTION_MISSING, ERROR,
                _("“%(section)s”未填写：报告提纲要求这一部分，请至少写一句话（不能只写“无”）。")
                % {"section": section},
                {"field": name},
                str(section),
            ))
    return found


def _negative_amounts(data: ReportData) -> list[Finding]:
    found = []
    rows = [*data.budget_executions, *data.projects, *data.project_funds]
    for row in rows:
        for name in AMOUNT_FIELDS[type(row)]:
            value = getattr(row, name)
            if value is not None and value < 0:
                verbose = row._meta.get_field(name).verbose_name
                found.append(Finding(
                    NEGATIVE_AMOUNT, ERROR,
                    _("%(subject)s的“%(field)s”为 %(value)s 万元，金额不能为负数。")
                    % {"subject": _label(row), "field": verbose, "value": amount(value)},
                    {"field": name, "value": value},
                    _label(row),
                    project_id=_project_id(row),
                ))
    return found


def _projects_add_up(data: ReportData) -> list[Finding]:
    """Per budget source, the listed projects' expenditure equals the budget's project spending.

    A budget whose projects are not listed (the sample's 政府性基金) is only a warning.
    """
    by_source: dict[int, list[Project]] = defaultdict(list)
    for project in data.projects:
        by_source[project.funding_source_id].append(project)
    found = []
    budgets = {b.funding_source_id: b for b in data.budget_executions}
    for source_id, budget in budgets.items():
        projects = by_source.get(source_id)
        budget_project = budget.project or ZERO
        if not projects:
            if budget_project != 0:
                found.append(Finding(
                    PROJECTS_NOT_LISTED, WARNING,
                    _("%(source)s项目支出 %(budget)s 万元，未列出项目明细。")
                    % {"source": budget.funding_source, "budget": amount(budget_project)},
                    {"budget_project": budget_project},
                    str(budget.funding_source),
                ))
            continue
        total = sum((p.expenditure or ZERO for p in projects), ZERO)
        if total != budget_project:
            found.append(_sum_mismatch(str(budget.funding_source), budget_project, total))
    for source_id, projects in by_source.items():
        if source_id not in budgets:
            total = sum((p.expenditure or ZERO for p in projects), ZERO)
            found.append(_sum_mismatch(str(projects[0].funding_source), ZERO, total))
    return found


def _sum_mismatch(source: str, budget_project: Decimal, total: Decimal) -> Finding:
    return Finding(
        PROJECTS_SUM, ERROR,
        _("%(source)s：各项目全年执行数合计 %(projects)s 万元，与预算支出情况中的项目支出 "
          "%(budget)s 万元不一致，相差 %(difference)s 万元。")
        % {
            "source": source, "projects": amount(total), "budget": amount(budget_project),
            "difference": amount(total - budget_project),
        },
        {"budget_project": budget_project, "projects_total": total, "difference": total - budget_project},
        source,
    )


def _project_funds_add_up(data: ReportData) -> list[Finding]:
    """The 其中 rows of a project's table, where entered, add up to its expenditure."""
    funds: dict[int, list[ProjectFund]] = defaultdict(list)
    for fund in data.project_funds:
        funds[fund.project_id].append(fund)
    found = []
    for project in data.projects:
        rows = funds.get(project.pk)
        if not rows:
            continue
        total = sum((r.expenditure or ZERO for r in rows), ZERO)
        if total != (project.expenditure or ZERO):
            found.append(Finding(
                PROJECT_FUNDS_SUM, WARNING,
                _("项目“%(project)s”各资金来源执行数合计 %(funds)s 万元，与全年执行数 %(expenditure)s 万元不一致。")
                % {"project": project.name, "funds": amount(total), "expenditure": amount(project.expenditure)},
                {"funds_total": total, "expenditure": project.expenditure},
                project.name,
                project_id=project.pk,
            ))
    return found


def _outcomes_present(data: ReportData) -> list[Finding]:
    return [
        Finding(
            OUTCOME_MISSING, ERROR,
            _("项目“%(project)s”未填写专项资金支出绩效情况。") % {"project": project.name},
            {},
            project.name,
            project_id=project.pk,
        )
        for project in data.projects
        if not (project.outcome or "").strip()
    ]


def _tables(data: ReportData) -> list[Finding]:
    """Execution explanation, deviation reasons, score bands and weights, table by table."""
    found = []
    if data.report is not None:
        found += _table_findings(
            data.department_table, _("部门整体"), data.report.execution_explanation, None,
            data.rules,
        )
    for project in data.projects:
        found += _table_findings(
            data.project_table(project), _("项目“%(project)s”") % {"project": project.name},
            project.execution_explanation, project.pk, data.rules,
        )
    return found


def _table_findings(
    table: tables.SelfEvaluationTable, subject: str, explanation: str, project_id: int | None,
    rules: scoring.Rules,
) -> list[Finding]:
    found = []
    if scoring.needs_execution_explanation(table.execution_rate, rules) and not explanation.strip():
        found.append(Finding(
            EXECUTION_EXPLANATION_MISSING, ERROR,
            _("%(subject)s预算执行率 %(rate)s（全年执行数 %(expenditure)s 万元 ÷ 全年预算数 "
              "%(budget)s 万元）低于%(threshold)s%%，须填写执行率偏低说明。")
            % {
                "subject": subject, "rate": percent(table.execution_rate),
                "expenditure": amount(table.expenditure), "budget": amount(table.adjusted_budget),
                "threshold": f"{rules.explanation_below.normalize():f}",
            },
            {
                "execution_rate": table.execution_rate, "expenditure": table.expenditure,
                "adjusted_budget": table.adjusted_budget,
            },
            subject,
            project_id=project_id,
        ))
    for scored in table.indicators:
        indicator = scored.indicator
        if scored.missed and not indicator.deviation.strip():
            found.append(Finding(
                DEVIATION_MISSING, ERROR,
                _("%(subject)s的指标“%(name)s”未完成目标（目标 %(target)s，实际 %(actual)s），"
                  "须填写偏差原因分析及改进措施。")
                % {
                    "subject": subject, "name": indicator.name,
                    "target": indicator.target_display or "—",
                    "actual": indicator.actual_display or indicator.get_tier_display() or "—",
                },
                {
                    "target": indicator.target_value, "actual": indicator.actual_value,
                    "tier": indicator.tier,
                },
                f"{subject} · {indicator.name}",
                project_id=project_id, indicator_id=indicator.pk,
            ))
        if scored.error:
            found.append(Finding(
                SCORE_OUT_OF_BAND, ERROR,
                _("%(subject)s的指标“%(name)s”得分 %(score)s 不在“%(tier)s”档的分数范围 %(band)s 内。")
                % {
                    "subject": subject, "name": indicator.name, "score": indicator.score,
                    "tier": indicator.get_tier_display(), "band": scored.error,
                },
                {"score": indicator.score, "weight": indicator.weight, "tier": indicator.tier},
                f"{subject} · {indicator.name}",
                project_id=project_id, indicator_id=indicator.pk,
            ))
    if table.is_scored:
        found += _weights_add_up(table, subject, project_id, rules)
    return found


def _weights_add_up(
    table: tables.SelfEvaluationTable, subject: str, project_id: int | None, rules: scoring.Rules,
) -> list[Finding]:
    """A scored table's weights and the execution weight add up to 100."""
    by_level1: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for scored in table.indicators:
        indicator = scored.indicator
        if indicator.weight is not None and indicator.level1 in rules.level1_codes:
            by_level1[indicator.level1] += indicator.weight
    difference = scoring.weights_mismatch(dict(by_level1), table.execution_weight, rules=rules)
    if difference is not None:
        entered = sum(by_level1.values(), ZERO) + table.execution_weight
        return [Finding(
            WEIGHTS_MISMATCH, ERROR,
            _("%(subject)s各指标分值与预算执行率分值合计 %(entered)s，应为 100。")
            % {"subject": subject, "entered": scoring.round2(entered)},
            {
                "entered_total": entered, "expected_total": Decimal("100"),
                "difference": difference, **{k: v for k, v in by_level1.items()},
                "execution": table.execution_weight,
            },
            subject,
            project_id=project_id,
        )]
    return []


def _rectification(data: ReportData) -> list[Finding]:
    """Findings (整改) past their due date with the work not done, and last year's findings
    not yet verified: warnings, so reviewers see them (docs/design.md, "Findings")."""
    found = []
    today = timezone.localdate()
    year = data.report.fiscal_year.year
    for item in data.findings:
        subject = _("整改问题%(position)s") % {"position": item.position}
        if item.report_id == data.report.pk and item.is_overdue(today):
            found.append(Finding(
                FINDING_OVERDUE, WARNING,
                _("整改问题%(position)s“%(text)s”整改期限为 %(due)s，已逾期，状态为“%(status)s”。")
                % {"position": item.position, "text": item.description[:60],
                   "due": item.due_date.isoformat(), "status": item.get_status_display()},
                {"due_date": item.due_date, "status": item.status},
                subject,
            ))
        elif item.report.fiscal_year.year == year - 1 and item.status != item.Status.VERIFIED:
            found.append(Finding(
                FINDING_CARRIED_OVER, WARNING,
                _("%(year)s 年度整改问题%(position)s“%(text)s”尚未验证，状态为“%(status)s”。")
                % {"year": year - 1, "position": item.position, "text": item.description[:60],
                   "status": item.get_status_display()},
                {"year": year - 1, "status": item.status, "overdue": item.is_overdue(today)},
                subject,
            ))
    return found
def _cost_natures(data: ReportData) -> list[Finding]:
    """A cost indicator (成本指标) set as ≥: spending more would score better (a warning)."""
    subjects = {p.pk: _("项目“%(project)s”") % {"project": p.name} for p in data.projects}
    return [
        Finding(
            COST_NOT_LTE, WARNING,
            _("%(subject)s的成本指标“%(name)s”设为“≥”：成本指标通常为“≤”（不超过目标值）。")
            % {"subject": subjects.get(i.project_id, _("部门整体")), "name": i.name},
            {"nature": i.nature, "level1": i.level1, "level2": i.level2},
            i.name,
            project_id=i.project_id, indicator_id=i.pk,
        )
        for i in data.indicators
        if i.nature == Nature.GTE and is_cost(i.level1, i.level2)
    ]


def _stored_scores(data: ReportData) -> list[Finding]:
    """A draft's stored scores (what pages and exports print) equal a fresh computation under
    its rule set; they differ after a rule set changed until ``manage.py rescore`` runs."""
    differences: list[str] = []
    # The report as stored now: the caller's instance may predate its rows' last write.
    stored = Report.objects.filter(pk=data.report.pk).values(
        "execution_rate", "execution_score", "total_score", "grade"
    ).first() or {}
    report = SimpleNamespace(**stored, label=str(data.report))
    tables_by_owner = [(report, data.department_table)] + [
        (project, data.project_table(project)) for project in data.projects
    ]
    for owner, table in tables_by_owner:
        fresh = {
            "execution_rate": table.execution_rate, "execution_score": table.execution_score,
            "total_score": table.total, "grade": table.grade or "",
        }
        label = getattr(owner, "label", None) or str(owner)
        differences += [
            f"{label} · {name}" for name, value in fresh.items() if getattr(owner, name, None) != value
        ]
        differences += [
            f"{label} · {s.indicator.name}" for s in table.indicators
            if s.indicator.final_score != s.score
        ]
    if not differences:
        return []
    return [Finding(
        STORED_SCORES_STALE, WARNING,
        _("%(count)s 项已保存的得分与按评分规则重新计算的结果不一致（如 %(first)s），"
          "请运行 manage.py rescore 或再次保存。")
        % {"count": len(differences), "first": differences[0]},
        {"count": len(differences), "where": differences},
        str(data.report),
    )]
