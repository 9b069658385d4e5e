"""factory_boy factories for the domain models."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

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
from indicators.models import Indicator


def source(code: str) -> FundingSource:
    """A funding source seeded by the data migration."""
    return FundingSource.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"dept-{n:04d}")
    name = factory.Sequence(lambda n: f"测试部门{n}")
    short_name = factory.Sequence(lambda n: f"部门{n}")


class FiscalYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiscalYear
        django_get_or_create = ["year"]

    year = 2023


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    department = factory.SubFactory(DepartmentFactory)
    fiscal_year = factory.SubFactory(FiscalYearFactory)
    # Every section the outline requires (checks.REQUIRED_SECTIONS) says a sentence.
    profile = "部门基本情况。"
    overall_summary = "部门整体支出绩效情况良好。"
    problems = "存在的问题。"
    improvements = "下一步改进措施。"
    result_application = "自评结果用于预算安排。"


class BudgetExecutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetExecution

    report = factory.SubFactory(ReportFactory)
    funding_source = factory.LazyFunction(lambda: source("general"))
    initial_budget = Decimal("100.0000")
    adjusted_budget = Decimal("120.0000")
    income = Decimal("120.0000")
    personnel = Decimal("50.0000")
    public = Decimal("10.0000")
    project = Decimal("55.0000")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    report = factory.SubFactory(ReportFactory)
    funding_source = factory.LazyFunction(lambda: source("general"))
    code = factory.Sequence(lambda n: f"p{n:04d}")
    name = factory.Sequence(lambda n: f"项目{n}")
    position = factory.Sequence(lambda n: n + 1)
    adjusted_budget = Decimal("10.0000")
    expenditure = Decimal("9.5000")
    goal = "年度目标。"
    outcome = "完成情况。"


class ProjectFundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectFund

    project = factory.SubFactory(ProjectFactory)
    funding_source = factory.LazyFunction(lambda: source("appropriation"))
    adjusted_budget = Decimal("10.0000")
    expenditure = Decimal("9.5000")


class OutcomeNarrativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeNarrative

    report = factory.SubFactory(ReportFactory)
    position = factory.Sequence(lambda n: n + 1)
    headline = factory.Sequence(lambda n: f"着力第{n}项工作。")
    body = "正文。"


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    report = factory.SubFactory(ReportFactory)
    project = None
    level1 = "output"
    level2 = "quantity"
    name = factory.Sequence(lambda n: f"指标{n}")
    nature = "gte"
    unit = "个"
    target_value = Decimal("10")
    actual_value = Decimal("10")
    position = factory.Sequence(lambda n: n + 1)


def seed_funding_sources():
    """Recreate the data migration's funding sources when an earlier transactional test on the
    same worker flushed them (a flush empties every table, migrated rows included).

    serialized_rollback restores them only when the test database was serialized for this
    connection, which does not hold once Playwright's loop runs in the test thread.
    """
    import importlib

    from evaluations.models import FundingSource

    migration = importlib.import_module("evaluations.migrations.0002_seed_funding_sources")
    for code, name, kind, position in migration.SOURCES:
        FundingSource.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "position": position}
        )
