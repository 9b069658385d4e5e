"""The API's JSON shapes. They document the schema (drf-spectacular) and write the answers.

Numbers are the CSV files' strings, written by the dataset registry's one formatter
(datasets.format_decimal): amounts in 万元 with at least 2 decimals (``1524.91``), indicator
values as entered (``275``), weights and scores with 2 (``20.00``), rates in percent with
2 (``98.53``). Never floats. Codes are the datasets' codes (docs/data-dictionary.md).
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evaluations import datasets as ds
from indicators.vocabulary import Grade, Level1, Level2, Nature, Tier

NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


@extend_schema_field({"type": "string", "format": "decimal", "pattern": NUMBER_PATTERN})
class Number(serializers.Field):
    """A Decimal as the CSV writes it, for one of the registry's number types."""

    def __init__(self, kind: str, **kwargs) -> None:
        self.kind = kind
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return ds.format_decimal(self.kind, Decimal(value))


def amount(**kwargs) -> Number:
    return Number(ds.AMOUNT, **{"help_text": "万元", **kwargs})


def points(**kwargs) -> Number:
    return Number(ds.POINTS, **{"help_text": "分", **kwargs})


def rate(**kwargs) -> Number:
    return Number(ds.RATE, **{"help_text": "%", **kwargs})


def choice(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=[c for c, _label in choices], allow_null=True, **kwargs)


class Link(serializers.Serializer):
    """Where the same thing is, as JSON and as a page."""

    api = serializers.URLField()
    html = serializers.URLField()


class Year(serializers.Serializer):
    year = serializers.IntegerField()
    reports = serializers.IntegerField(help_text="published reports of the year")
    reports_url = serializers.URLField()
    datapackage_url = serializers.URLField()


class Department(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField(allow_blank=True)
    parent_code = serializers.CharField(allow_null=True)
    years = serializers.ListField(child=serializers.IntegerField(), help_text="years published")
    html_url = serializers.URLField()


class Scores(serializers.Serializer):
    """A 自评表's execution row and total, as the public page and the CSV show them."""

    execution_rate = rate()
    execution_score = points()
    total_score = points()
    grade = choice(Grade.choices)


class BudgetSpending(serializers.Serializer):
    funding_source = serializers.CharField()
    expenditure = amount()


class ReportSummary(serializers.Serializer):
    year = serializers.IntegerField()
    department_code = serializers.CharField()
    department_name = serializers.CharField()
    budgets = BudgetSpending(many=True)
    total_expenditure = amount()
    execution_rate = rate()
    total_score = points()
    grade = choice(Grade.choices)
    links = Link()


class Budget(serializers.Serializer):
    funding_source = serializers.CharField()
    funding_source_name = serializers.CharField()
    initial_budget = amount()
    adjusted_budget = amount()
    income = amount()
    personnel = amount()
    public = amount()
    project = amount()
    basic = amount()
    expenditure = amount()
    execution_rate = rate()


class Indicator(serializers.Serializer):
    level1 = choice(Level1.choices)
    level2 = choice(Level2.choices)
    name = serializers.CharField()
    nature = choice(Nature.choices)
    unit = serializers.CharField(allow_blank=True)
    target_value = Number(ds.VALUE)
    target_text = serializers.CharField(allow_blank=True)
    actual_value = Number(ds.VALUE)
    actual_text = serializers.CharField(allow_blank=True)
    weight = points()
    tier = serializers.ChoiceField(choices=Tier.values, allow_blank=True, help_text="qualitative only")
    applicable = serializers.BooleanField()
    score = points(help_text="entered (qualitative indicators)")
    final_score = points(help_text="by the scoring rules, as on the public page")
    deviation = serializers.CharField(allow_blank=True)


class ProjectFund(serializers.Serializer):
    funding_source = serializers.CharField()
    initial_budget = amount()
    adjusted_budget = amount()
    expenditure = amount()


class Project(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    funding_source = serializers.CharField()
    initial_budget = amount()
    adjusted_budget = amount()
    expenditure = amount()
    goal = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField(allow_blank=True)
    funds = ProjectFund(many=True)
    indicators = Indicator(many=True)
    scores = Scores()


class Narrative(serializers.Serializer):
    position = serializers.IntegerField()
    headline = serializers.CharField()
    body = serializers.CharField(allow_blank=True)


class Finding(serializers.Serializer):
    """整改: a finding and its rectification (the `findings` dataset's columns)."""

    position = serializers.IntegerField()
    source = serializers.CharField()
    description = serializers.CharField()
    measure = serializers.CharField(allow_blank=True)
    owner = serializers.CharField(allow_blank=True)
    due_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class ReportDetail(serializers.Serializer):
    year = serializers.IntegerField()
    department_code = serializers.CharField()
    department_name = serializers.CharField()
    title = serializers.CharField()
    revision = serializers.IntegerField()
    published_at = serializers.DateTimeField(allow_null=True)
    texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="the narrative sections, keyed as in the reports dataset",
    )
    scores = Scores()
    budgets = Budget(many=True)
    projects = Project(many=True)
    indicators = Indicator(many=True, help_text="the department's own (部门整体) indicators")
    narratives = Narrative(many=True)
    findings = Finding(many=True)
    links = Link()


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The envelope of a paginated list of ``item``."""
    return type(name, (serializers.Serializer,), {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
        "__doc__": f"A page of {item.__name__} rows.",
    })


YearPage = page_of(Year, "YearPage")
DepartmentPage = page_of(Department, "DepartmentPage")
ReportPage = page_of(ReportSummary, "ReportPage")
