"""Checks of the 自评表s: execution explanations, deviation reasons, score bands, weights,
cost indicators' nature, and a draft's stored scores against a fresh computation."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

from django.utils.translation import gettext as _

from common.formatting import amount, percent
from evaluations.checks.findings import (
    COST_NOT_LTE,
    DEVIATION_MISSING,
    ERROR,
    EXECUTION_EXPLANATION_MISSING,
    RESULT_MISSING,
    SCORE_OUT_OF_BAND,
    STORED_SCORES_STALE,
    WARNING,
    WEIGHTS_MISMATCH,
    ZERO,
    Finding,
)
from evaluations.checks.rows import ReportData
from evaluations.models import Report
from indicators import scoring, tables
from indicators.vocabulary import Nature, is_cost


def scored_tables(data: ReportData) -> list[Finding]:
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
        found += _indicator_findings(scored, table.is_scored, subject, project_id)
    if table.is_scored:
        found += _weights_add_up(table, subject, project_id, rules)
    return found


def _indicator_findings(scored, table_scored: bool, subject: str, project_id: int | None) -> list[Finding]:
    """A result, a deviation reason or a score in its band that one indicator row lacks."""
    found = []
    indicator = scored.indicator
    if table_scored and tables.counts_in_total(indicator) and not indicator.reported:
        # Counted as 0 in the total (scoring.total_score): a result left blank — a copied
        # report's cleared actuals — would be published as a silent zero.
        found.append(Finding(
            RESULT_MISSING, ERROR,
            _("%(subject)s的指标“%(name)s”设有分值 %(weight)s，尚未填写实际完成值。")
            % {"subject": subject, "name": indicator.name, "weight": indicator.weight},
            {"weight": indicator.weight},
            f"{subject} · {indicator.name}",
            project_id=project_id, indicator_id=indicator.pk,
        ))
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
        # The table's first weighted row: where a link to this finding leads (admin/anchors.py).
        first = next((s.indicator.pk for s in table.indicators if s.indicator.weight is not None), None)
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
            project_id=project_id, indicator_id=first,
        )]
    return []


def cost_natures(data: ReportData) -> list[Finding]:
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


def stored_scores(data: ReportData) -> list[Finding]:
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
