"""Deterministic synthetic reports for benchmarks (``manage.py generate_data``).

The same plan and seed always give the same rows: every report draws from its own random
generator seeded with (seed, department code, year), so the output does not depend on batch
sizes or the database. Rows go in through bulk paths only — ``bulk_create`` in batches, and
on PostgreSQL a ``COPY … FROM STDIN`` for the indicators, which are most of the volume. No
history rows are written: this is benchmark data, not anyone's edits.

Every generated report is consistent: published, its projects' spending adds up to each
budget's project spending, each table's weights add up to 100 with the execution row, and
every missed target carries a deviation reason.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from evaluations import scores
from evaluations.exports import storing
from evaluations.models import (
    BudgetExecution,
    Department,
    FiscalYear,
    FundingSource,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from indicators import scoring
from indicators.models import Indicator, RuleSet

CODE_PREFIX = "syn-"
FIRST_YEAR = 2020
REPORT_BATCH = 500  # reports generated and written per round; bounds memory
BATCH_SIZE = 2000  # rows per INSERT

# 万元 with four decimals: amounts are drawn as integers of 0.0001 万元 (one yuan).
YUAN = Decimal("0.0001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Plan:
    """What to generate: N departments × Y years of reports, P projects each, I indicators
    in every 自评表 (the department-wide table and each project's)."""

    departments: int
    years: int
    projects: int
    indicators: int
    seed: int = 0
    first_year: int = FIRST_YEAR

    def __post_init__(self) -> None:
        if min(self.departments, self.years) < 1 or min(self.projects, self.indicators) < 0:
            raise ValueError("departments and years must be at least 1, the rest at least 0")

    @property
    def year_list(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.years))

    @property
    def reports(self) -> int:
        return self.departments * self.years

    @property
    def total_projects(self) -> int:
        return self.reports * self.projects

    @property
    def total_indicators(self) -> int:
        return self.reports * (self.projects + 1) * self.indicators


def department_code(index: int) -> str:
    return f"{CODE_PREFIX}{index:05d}"


# --- Text and indicator banks ---------------------------------------------------------

_AREAS = ["教育", "卫生健康", "交通运输", "农业农村", "生态环境", "住房城乡建设", "文化旅游",
          "市场监管", "应急管理", "民政", "人力资源社会保障", "科技", "水利", "商务"]
_SENTENCES = [
    "{d}认真贯彻落实年度工作部署，围绕中心任务统筹安排预算资金。",
    "本年度共完成重点工作任务{n}项，各项工作总体按计划推进。",
    "资金使用严格执行预算管理制度，未发现挤占挪用情况。",
    "部分项目前期论证不够充分，导致预算执行进度偏慢。",
    "绩效目标设置的细化量化程度仍需提高，个别指标难以衡量。",
    "下一步将加强预算执行监控，对进度滞后的项目及时督促整改。",
    "进一步完善绩效目标管理，提高指标的可衡量性和可比性。",
    "自评结果将作为以后年度预算安排的重要参考，并按规定向社会公开。",
    "全年服务群众{n}万人次，群众满意度保持较高水平。",
    "通过政府采购节约资金{n}万元，资金使用效益进一步提高。",
]
# (level2, name, unit, nature, low target, high target): values are whole units.
_BANK = {
    "quantity": [("完成{a}项目数量", "个", "gte", 5, 200), ("开展培训人次", "人次", "gte", 100, 5000),
                 ("新引进项目", "个", "gte", 3, 40), ("检查覆盖企业数", "家", "gte", 20, 800)],
    "quality": [("项目验收合格率", "%", "gte", 95, 100), ("资金拨付准确率", "%", "gte", 98, 100)],
    "timeliness": [("按期完成率", "%", "gte", 90, 100), ("资金拨付及时率", "%", "gte", 95, 100)],
    "cost": [("单位成本控制", "万元", "lte", 10, 500), ("{a}项目总成本", "万元", "lte", 100, 5000)],
    "economic": [("带动{a}产业产值", "亿元", "gte", 1, 300), ("节约财政资金", "万元", "gte", 10, 900)],
    "social": [("{a}公共服务水平", "", "qualitative", 0, 0), ("群众办事便利程度", "", "qualitative", 0, 0)],
    "ecological": [("生态环境质量", "", "qualitative", 0, 0), ("空气质量优良天数", "天", "gte", 250, 330)],
    "sustainability": [("长效管理机制", "", "qualitative", 0, 0)],
    "satisfaction": [("服务对象满意度", "%", "gte", 85, 95)],
}
_LEVEL2 = {
    "output": ["quantity", "quality", "timeliness", "cost"],
    "outcome": ["economic", "social", "ecological", "sustainability"],
    "satisfaction": ["satisfaction"],
}
_LEVEL1_WEIGHT = {"output": 50, "outcome": 30, "satisfaction": 10}  # + execution 10 = 100


def _paragraph(rng: random.Random, department: str, sentences: int) -> str:
    return "".join(
        rng.choice(_SENTENCES).format(d=department, n=rng.randint(2, 90))
        for _ in range(sentences)
    )


def _amount(units: int) -> Decimal:
    return Decimal(units) * YUAN


def _level_plan(count: int) -> list[tuple[str, Decimal]]:
    """(level1, weight) for each of ``count`` indicators; weights add up to 90."""
    if count == 0:
        return []
    satisfaction = 1 if count >= 3 else 0
    outcome = max(1, round(count * 0.3)) if count >= 2 else 0
    groups = {"output": count - outcome - satisfaction, "outcome": outcome,
              "satisfaction": satisfaction}
    # A missing group's weight goes to the outputs so every scored table still adds up.
    cents = {level: _LEVEL1_WEIGHT[level] * 100 for level in groups}
    for level in ("outcome", "satisfaction"):
        if groups[level] == 0:
            cents["output"] += cents.pop(level)
    plan = []
    for level, n in groups.items():
        if n == 0:
            continue
        each, rest = divmod(cents[level], n)
        plan += [(level, Decimal(each + (rest if i == 0 else 0)) * CENT) for i in range(n)]
    return plan


def _indicator_rows(
    rng: random.Random, area: str, count: int, report_id: int, project_id: int | None,
    rules: scoring.Rules,
) -> Iterator[tuple]:
    """Indicator rows in ``INDICATOR_COLUMNS`` order, each with its score under ``rules``
    (the engine's, as evaluations/scores.py stores it: the closing recompute then writes no
    indicator again, which cost 100 s of a million rows).

    Names are unique within the table, as imports require (the name identifies an
    indicator of a table): a repeated one gets a numbered suffix.
    """
    seen: dict[str, int] = {}
    for position, (level1, weight) in enumerate(_level_plan(count), start=1):
        level2 = _LEVEL2[level1][(position - 1) % len(_LEVEL2[level1])]
        name, unit, nature, low, high = rng.choice(_BANK[level2])
        name = name.format(a=area)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}（{seen[name]}）"
        target_value = actual_value = score = None
        target_text = actual_text = tier = deviation = ""
        if nature == "qualitative":
            target_text = "明显提升"
            roll = rng.random()
            tier = "achieved" if roll < 0.8 else "partial" if roll < 0.95 else "not_achieved"
            actual_text = {"achieved": "目标达成", "partial": "部分达成", "not_achieved": "未达成"}[tier]
            # A score inside the tier's band: 90%, 70% or 40% of the weight.
            share = {"achieved": 90, "partial": 70, "not_achieved": 40}[tier]
            score = (weight * share / 100).quantize(CENT)
            missed = tier != "achieved"
        else:
            target = rng.randint(low, high)
            # Most targets are met; about one in six is missed by up to a fifth.
            percent = rng.randint(100, 115) if rng.random() < 0.84 else rng.randint(80, 99)
            if nature == "lte":
                percent = 200 - percent  # spending under the cap is the good side
            actual = target * percent  # hundredths of a unit
            if unit == "%":
                actual = min(actual, 10000)
            target_value = Decimal(target).quantize(YUAN)
            actual_value = (Decimal(actual) / 100).quantize(YUAN)
            missed = actual_value > target_value if nature == "lte" else actual_value < target_value
        if missed:
            deviation = "受客观因素影响未完全达到目标，下一年度将加强过程管理和跟踪督导。"
        final_score = scoring.indicator_score(
            nature=nature, weight=weight, target=target_value, actual=actual_value, tier=tier,
            entered=score, rules=rules,
        )
        yield (
            report_id, project_id, level1, level2, name, nature, unit, target_value, target_text,
            actual_value, actual_text, weight, tier, True, score, deviation, position, final_score,
        )


INDICATOR_COLUMNS = [
    "report_id", "project_id", "level1", "level2", "name", "nature", "unit", "target_value",
    "target_text", "actual_value", "actual_text", "weight", "tier", "applicable", "score",
    "deviation", "position", "final_score",
]


# --- Writing ----------------------------------------------------------------------


class _Table:
    """Rows of one model written as tuples: COPY on PostgreSQL, bulk_create elsewhere.

    COPY skips building a model instance and an INSERT statement per row, which is most of
    the cost at a million rows. Where the caller needs the new ids (projects, to hang their
    funds and indicators on), PostgreSQL hands out a block of the table's sequence first.
    """

    def __init__(self, model, columns: list[str]) -> None:
        self.model = model
        self.fields = [model._meta.get_field(c.removesuffix("_id")) for c in columns]
        self.attnames = [f.attname for f in self.fields]
        self.copy = connection.vendor == "postgresql"
        self.table = connection.ops.quote_name(model._meta.db_table)

    def _copy_sql(self, with_id: bool) -> str:
        columns = [f.column for f in self.fields]
        if with_id:
            columns.insert(0, self.model._meta.pk.column)
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        return f"COPY {self.table} ({quoted}) FROM STDIN"

    def _reserve_ids(self, count: int) -> list[int]:
        pk = self.model._meta.pk.column
        with connection.cursor() as cursor:
            # The sequence named first: inside the statement it was looked up once a row.
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [self.model._meta.db_table, pk])
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                           [sequence, count])
            return [row[0] for row in cursor.fetchall()]

    def write(self, rows: list[tuple], *, return_ids: bool = False) -> list[int]:
        """Write the rows; the new ids when asked for them."""
        if not rows:
            return []
        if self.copy:
            ids = self._reserve_ids(len(rows)) if return_ids else []
            with connection.cursor() as cursor, cursor.copy(self._copy_sql(return_ids)) as pipe:
                if return_ids:
                    for pk, row in zip(ids, rows, strict=True):
                        pipe.write_row((pk, *row))
                else:
                    for row in rows:
                        pipe.write_row(row)
            return ids
        objs = [self.model(**dict(zip(self.attnames, row, strict=True))) for row in rows]
        self.model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        return [obj.pk for obj in objs]

    def stream(self, rows: Iterable[tuple]) -> int:
        """Write rows as they are generated and return how many there were.

        On PostgreSQL the server stores rows while Python makes the next ones, so the two
        cores work at once; elsewhere the rows go in batches.
        """
        count = 0
        if self.copy:
            with connection.cursor() as cursor, cursor.copy(self._copy_sql(False)) as pipe:
                for row in rows:
                    pipe.write_row(row)
                    count += 1
            return count
        for batch in _batched(rows):
            self.write(batch)
            count += len(batch)
        return count


def _batched(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


PROJECT_COLUMNS = [
    "report_id", "funding_source_id", "code", "name", "initial_budget", "adjusted_budget",
    "expenditure", "goal", "outcome", "execution_weight", "execution_explanation", "position",
]
FUND_COLUMNS = ["project_id", "funding_source_id", "initial_budget", "adjusted_budget", "expenditure"]
NARRATIVE_COLUMNS = ["report_id", "position", "headline", "body"]
BUDGET_COLUMNS = [
    "report_id", "funding_source_id", "initial_budget", "adjusted_budget", "income",
    "personnel", "public", "project",
]


def _create_departments(plan: Plan) -> list[Department]:
    """Departments in groups of ten: the first of each group is the others' 归口 department."""
    rng = random.Random(f"{plan.seed}/departments")  # noqa: S311 - reproducible, not secret
    rows = []
    for i in range(1, plan.departments + 1):
        area = rng.choice(_AREAS)
        rows.append(Department(
            code=department_code(i), name=f"第{i}{area}局", short_name=f"{area}{i}",
        ))
    heads = Department.objects.bulk_create(rows[::10], batch_size=BATCH_SIZE)
    others = []
    for i, dept in enumerate(rows):
        if i % 10:
            dept.parent = heads[i // 10]
            others.append(dept)
    Department.objects.bulk_create(others, batch_size=BATCH_SIZE)
    return sorted(heads + others, key=lambda d: d.code)


def _published_at(year: int, index: int) -> dt.datetime:
    """A fixed publication time in the following summer, spread over the departments."""
    return dt.datetime(year + 1, 6, 1, 2, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=index * 7)


def _create_reports(plan: Plan, pairs) -> tuple[list[Report], list[random.Random], list[str]]:
    """The round's published reports, each with the random stream its rows are drawn from."""
    reports, rngs, areas = [], [], []
    # Published reports keep their rule set's parameters (Report.rule_snapshot).
    snapshots = {rule_set.pk: rule_set.snapshot() for rule_set in RuleSet.objects.all()}
    for index, dept, fiscal_year in pairs:
        rng = random.Random(f"{plan.seed}/{dept.code}/{fiscal_year.year}")  # noqa: S311
        area = dept.short_name.rstrip("0123456789")
        reports.append(Report(
            department=dept, fiscal_year=fiscal_year, status=Report.Status.PUBLISHED,
            rule_set_id=fiscal_year.rule_set_id, rule_snapshot=snapshots[fiscal_year.rule_set_id],
            published_at=_published_at(fiscal_year.year, index),
            profile=_paragraph(rng, dept.name, 4), goals=_paragraph(rng, dept.name, 3),
            overall_summary=_paragraph(rng, dept.name, 2), problems=_paragraph(rng, dept.name, 3),
            improvements=_paragraph(rng, dept.name, 3),
            result_application=_paragraph(rng, dept.name, 2), other_matters="无。",
            index_number=f"{dept.code}/{fiscal_year.year}-00001",
            document_number=f"{dept.short_name}〔{fiscal_year.year + 1}〕{index % 90 + 1}号",
        ))
        rngs.append(rng)
        areas.append(area)
    Report.objects.bulk_create(reports, batch_size=BATCH_SIZE)
    return reports, rngs, areas


def _report_rows(plan: Plan, report: Report, rng: random.Random, area: str, sources):
    """One report's projects, narratives and budgets (amounts in whole yuan until written),
    and per project its random stream, area and totals for the funds and indicators."""
    projects, narratives, budgets, project_rngs = [], [], [], []
    execution_weight = Decimal("10.00")
    spent = {"general": 0, "fund": 0}
    for position in range(1, plan.projects + 1):
        source = "fund" if rng.random() < 0.2 else "general"
        adjusted = rng.randint(50, 5000) * 10000 + rng.randint(0, 9999)
        initial = adjusted * rng.randint(85, 100) // 100
        rate = rng.randint(92, 100) if rng.random() < 0.9 else rng.randint(70, 89)
        expenditure = adjusted * rate // 100
        spent[source] += expenditure
        projects.append((
            report.pk, sources[source].pk, f"P{report.fiscal_year.year}{position:03d}",
            f"{area}专项资金项目{position}", _amount(initial), _amount(adjusted),
            _amount(expenditure), _paragraph(rng, report.department.name, 2),
            _paragraph(rng, report.department.name, 2), execution_weight,
            "" if rate >= 90 else "项目实施进度受审批环节影响，部分资金未能按期支付。",
            position,
        ))
        project_rngs.append((rng, area, (initial, adjusted, expenditure)))
    for position in range(1, 4):
        narratives.append((
            report.pk, position, f"（{position}）{area}重点工作推进有力。",
            _paragraph(rng, report.department.name, 3),
        ))
    for source, project_spending in spent.items():
        if source == "fund" and not project_spending:
            continue
        personnel = rng.randint(100, 3000) * 10000 if source == "general" else 0
        public = rng.randint(20, 600) * 10000 if source == "general" else 0
        total = personnel + public + project_spending
        adjusted = total * 100 // rng.randint(92, 100)
        budgets.append((
            report.pk, sources[source].pk, _amount(adjusted * rng.randint(85, 100) // 100),
            _amount(adjusted), _amount(adjusted), _amount(personnel), _amount(public),
            _amount(project_spending),
        ))
    return projects, narratives, budgets, project_rngs


def _fund_rows(project_ids, project_rngs, sources) -> list[tuple]:
    funds = []
    for project_id, (rng, _area, totals) in zip(project_ids, project_rngs, strict=True):
        # 当年财政拨款 most of it, the rest 上年结转资金; the rows add up to the project.
        share = rng.choice([100, 100, 90, 80])
        if share == 100:
            funds.append((project_id, sources["appropriation"].pk, *map(_amount, totals)))
            continue
        first = [whole * share // 100 for whole in totals]
        funds.append((project_id, sources["appropriation"].pk, *map(_amount, first)))
        funds.append((
            project_id, sources["carryover"].pk,
            *(_amount(whole - part) for whole, part in zip(totals, first, strict=True)),
        ))
    return funds


def _generate_round(
    plan: Plan, pairs, sources, tables: dict[str, _Table], rule_sets: dict
) -> dict[str, int]:
    """Reports for a slice of (index, department, fiscal year) and everything under them."""
    reports, rngs, areas = _create_reports(plan, pairs)
    projects, narratives, budgets, project_rngs = [], [], [], []
    for report, rng, area in zip(reports, rngs, areas, strict=True):
        rows = _report_rows(plan, report, rng, area, sources)
        for into, more in zip((projects, narratives, budgets, project_rngs), rows, strict=True):
            into.extend(more)
    project_ids = tables["projects"].write(projects, return_ids=True)
    tables["narratives"].write(narratives)
    tables["budgets"].write(budgets)
    funds = _fund_rows(project_ids, project_rngs, sources)
    tables["funds"].write(funds)

    rules = {report.pk: rule_sets[report.rule_set_id] for report in reports}

    def indicator_rows() -> Iterator[tuple]:
        for report, rng, area in zip(reports, rngs, areas, strict=True):
            yield from _indicator_rows(rng, area, plan.indicators, report.pk, None, rules[report.pk])
        for project, project_id, (rng, area, _totals) in zip(
            projects, project_ids, project_rngs, strict=True
        ):
            report_id = project[0]
            yield from _indicator_rows(
                rng, area, plan.indicators, report_id, project_id, rules[report_id]
            )

    indicator_count = tables["indicators"].stream(indicator_rows())
    # Published as generated: scored once here, as a publication would (evaluations/scores.py);
    # the indicators came scored, so this writes the projects' and reports' totals.
    scores.recompute([report.pk for report in reports], collect=False)
    return {
        "reports": len(reports), "projects": len(projects), "project_funds": len(funds),
        "budget_executions": len(budgets), "narratives": len(narratives),
        "indicators": indicator_count,
    }


class AlreadyGenerated(Exception):
    """Synthetic departments exist already; generate into a fresh database."""


def generate(plan: Plan, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write the plan's rows in one transaction and return how many of each were created."""
    if Department.objects.filter(code__startswith=CODE_PREFIX).exists():
        raise AlreadyGenerated(CODE_PREFIX)
    with transaction.atomic(), scores.suspended():
        if connection.vendor == "postgresql":
            # Benchmark data: a crash may lose this transaction but never corrupts anything,
            # and not waiting for the WAL flush at commit saves seconds on a million rows.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        sources = {s.code: s for s in FundingSource.objects.all()}
        years = []
        for year in plan.year_list:
            fiscal_year, _ = FiscalYear.objects.get_or_create(year=year, defaults={"is_open": False})
            years.append(fiscal_year)
        # Read after the years: a new year on a database without rule sets makes the default.
        rule_sets = {rule_set.pk: rule_set.rules for rule_set in RuleSet.objects.all()}
        departments = _create_departments(plan)
        counts = {"departments": len(departments), "fiscal_years": len(years)}
        pairs = [
            (index, dept, fiscal_year)
            for fiscal_year in years
            for index, dept in enumerate(departments)
        ]
        tables = {
            "projects": _Table(Project, PROJECT_COLUMNS),
            "funds": _Table(ProjectFund, FUND_COLUMNS),
            "narratives": _Table(OutcomeNarrative, NARRATIVE_COLUMNS),
            "budgets": _Table(BudgetExecution, BUDGET_COLUMNS),
            "indicators": _Table(Indicator, INDICATOR_COLUMNS),
        }
        for start in range(0, len(pairs), REPORT_BATCH):
            done = _generate_round(
                plan, pairs[start:start + REPORT_BATCH], sources, tables, rule_sets
            )
            for key, value in done.items():
                counts[key] = counts.get(key, 0) + value
            if progress:
                progress(f"{counts['reports']}/{len(pairs)} reports, {counts['indicators']} indicators")
        # Published as generated: their rows as the exports write them, in bulk (exports/storing.py).
        generated = Report.objects.filter(department__code__startswith=CODE_PREFIX)
        counts["stored_reports"] = storing.store(generated.values_list("pk", flat=True))
    return counts
