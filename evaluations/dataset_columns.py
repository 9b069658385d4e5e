"""The datasets' building blocks: column types, ``Column`` and ``Dataset``, and the columns
several datasets share. ``datasets.py`` (the registry), ``cycle_datasets.py`` and
``target_datasets.py`` build on this module, which imports none of them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from evaluations.models import (
    FundingSource,
    Report,
)
from indicators.scoring import GRADE_BELOW, GRADE_FLOORS
from indicators.vocabulary import GRADE_LABELS, Grade

# Column types. The canonical written form of each is documented in docs/data-dictionary.md.
TEXT = "text"  # free text
CODE = "code"  # a readable identifier (department code, project code)
YEAR = "year"  # a fiscal year, 4 digits
INTEGER = "integer"  # a position (序号)
AMOUNT = "amount"  # 万元, up to 4 decimals, written with 2 or more: 1524.91, 0.125
VALUE = "value"  # an indicator value, up to 4 decimals, written as entered: 275, 4.96, -3.5
POINTS = "points"  # a weight or score, up to 2 decimals, written with 2: 20.00
RATE = "rate"  # a percentage with 2 decimals: 98.53 means 98.53%
BOOLEAN = "boolean"  # 是/否 (labels) or true/false (keys)
CHOICE = "choice"  # one of a fixed list of codes
FUNDING_SOURCE = "funding_source"  # a FundingSource code (the table is editable by admins)
DATE = "date"  # a calendar date, written YYYY-MM-DD

TYPE_LABELS = {
    TEXT: _("文本"),
    CODE: _("编码"),
    YEAR: _("年度"),
    INTEGER: _("整数"),
    AMOUNT: _("金额"),
    VALUE: _("数值"),
    POINTS: _("分数"),
    RATE: _("百分比"),
    BOOLEAN: _("是/否"),
    CHOICE: _("代码"),
    FUNDING_SOURCE: _("代码"),
    DATE: _("日期"),
}

BOOLEAN_CHOICES = (("true", _("是")), ("false", _("否")))
WAN_YUAN = _("万元")
POINTS_UNIT = _("分")


@dataclass(frozen=True)
class Column:
    """One column of a dataset."""

    key: str
    label: str
    type: str = TEXT
    meaning: str = ""
    unit: str = ""
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    # For FUNDING_SOURCE columns: which kind of source is allowed.
    source_kind: str = ""
    # The model field the column writes (for max lengths and decimal places); "" if none.
    field: str = ""
    derived: bool = False

    @property
    def chinese_label(self) -> str:
        with translation.override("zh-hans"):
            return str(self.label)

    def header(self, mode: str) -> str:
        return self.key if mode == "keys" else str(self.label)

    @property
    def negative_allowed(self) -> bool:
        """Whether a number below zero is read (an indicator's value: a growth rate may fall);
        amounts, weights and scores are never negative."""
        return self.type == VALUE


@dataclass(frozen=True)
class Dataset:
    """One dataset: its name in URLs and commands, its columns, and its matching key."""

    name: str
    label: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the readable key a row is matched on
    model: type = Report
    # False: not open data (/data/<year>/<name>.csv answers 404); reviewers' notes such as
    # budget recommendations go only to users with the export permission.
    public: bool = True

    @property
    def import_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.derived)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def headers(self, mode: str = "labels", *, derived: bool = True) -> list[str]:
        columns = self.columns if derived else self.import_columns
        return [c.header(mode) for c in columns]


def _choices(choices) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), label) for value, label in choices)


def _year() -> Column:
    return Column("year", _("年度"), YEAR, _("报告所属预算年度。"), required=True)


def _department_code() -> Column:
    return Column(
        "department_code", _("部门编码"), CODE, _("部门的编码，见 departments 数据集。"),
        required=True,
    )


def _amount(key: str, label, meaning, *, field_name: str | None = None, derived=False) -> Column:
    return Column(
        key, label, AMOUNT, meaning, unit=WAN_YUAN,
        field="" if derived else (field_name or key), derived=derived,
    )


def _budget_source(meaning) -> Column:
    return Column(
        "funding_source", _("预算类别"), FUNDING_SOURCE, meaning, required=True,
        source_kind=FundingSource.Kind.BUDGET,
    )


def _rate(meaning) -> Column:
    return Column("execution_rate", _("预算执行率"), RATE, meaning, unit="%", derived=True)


def _grade_floors() -> str:
    return pgettext("list separator", "，").join(
        f"≥{lowest} {GRADE_LABELS[code]}" for code, lowest in GRADE_FLOORS
    )


def _grade_meaning():
    """The grade column's meaning, stated from scoring.GRADE_FLOORS rather than restated."""
    return format_lazy(
        _("{floors}，其余为{below}；无总分时为空。"),
        floors=lazy(_grade_floors, str)(), below=GRADE_LABELS[GRADE_BELOW],
    )


def _score_columns(what) -> tuple[Column, ...]:
    return (
        Column(
            "execution_score", _("预算执行率得分"), POINTS,
            _("预算执行率分值 × min(执行率, 100%)，保留2位小数。"), unit=POINTS_UNIT, derived=True,
        ),
        Column(
            "total_score", _("总分"), POINTS,
            _("%(what)s自评表总分：各项得分之和 × 100 ÷ 适用项分值之和；无计分指标时为空。")
            % {"what": what},
            unit=POINTS_UNIT, derived=True,
        ),
        Column(
            "grade", _("评价等级"), CHOICE, _grade_meaning(),
            choices=_choices(Grade.choices), derived=True,
        ),
    )
