"""One reading of numbers for the admin's forms and the importer (issue 15.12/15.16)."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from common.forms import PlainDecimalField
from common.numbers import NumberError, parse_decimal
from common.text import clean_text
from evaluations import datasets as ds
from evaluations.admin.indicators import IndicatorAdmin
from evaluations.imports.cells import CellError, CellParser
from evaluations.models import BudgetExecution
from indicators.models import Indicator

CASES = [
    ("1,234.50", Decimal("1234.5")),
    ("5.", Decimal("5")),
    (".5", Decimal("0.5")),
    ("-0", Decimal("0")),
    ("1e5", "不是有效的数字"),
    ("１２３", "含全角字符：请用半角数字"),  # said why: on screen it reads as 123
    ("1，234.50", "含全角字符"),
    ("1,8,2", "不是有效的数字"),
    ("1_000", "不是有效的数字"),
    ("0.00001", "最多 4 位小数"),
    # Past the decimal context's 28 digits once given its places: refused, not a crash.
    ("1" * 30, "数值过大"),
    ("1" * 25 + ".5", "数值过大"),
    ("100000000000000", "数值过大"),  # 15 whole digits where 14 fit
    ("99999999999999.9999", Decimal("99999999999999.9999")),
    (".", "不是有效的数字"),
    ("-", "不是有效的数字"),
    ("+.5", Decimal("0.5")),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_the_parser_decides(text, expected):
    if isinstance(expected, Decimal):
        assert parse_decimal(text, places=4, digits=18, negative=True) == expected
    else:
        with pytest.raises(NumberError, match=expected):
            parse_decimal(text, places=4, digits=18, negative=True)


def outcome(call):
    try:
        return call()
    except (ValidationError, CellError) as exc:
        return getattr(exc, "messages", [str(exc)])[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "_expected"), CASES)
def test_the_admin_form_and_the_importer_agree(text, _expected, superuser):
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = IndicatorAdmin(Indicator, admin.site)
    form_field = model_admin.formfield_for_dbfield(Indicator._meta.get_field("target_value"), request)
    assert isinstance(form_field, PlainDecimalField)
    cell = CellParser(ds.INDICATORS, ds.INDICATORS.column("target_value"), {})
    assert outcome(lambda: form_field.clean(text)) == outcome(lambda: cell(text))


@pytest.mark.django_db
def test_the_same_digit_limits_in_forms_and_imports(superuser):
    from django.db import connection

    field = BudgetExecution._meta.get_field("adjusted_budget")
    form_field = PlainDecimalField(max_digits=field.max_digits, decimal_places=field.decimal_places)
    cell = CellParser(ds.BUDGET_EXECUTIONS, ds.BUDGET_EXECUTIONS.column("adjusted_budget"), {})
    eighteen = "99999999999999.9999"
    if connection.vendor == "sqlite":  # a REAL keeps 15 digits: both refuse, neither rounds
        assert "SQLite" in outcome(lambda: form_field.clean(eighteen)) == outcome(lambda: cell(eighteen))
    else:
        assert form_field.clean(eighteen) == cell(eighteen) == Decimal(eighteen)
    assert "数值过大" in outcome(lambda: form_field.clean("1" + eighteen))


def test_control_characters_are_cleaned_keeping_tabs_and_line_breaks():
    assert clean_text("a\x0bb\x01c\td\r\ne\x7f") == "a\nbc\td\r\ne"
    assert clean_text("普通文字") == "普通文字"
    # Direction overrides and isolates: what the page showed was not what was stored.
    assert clean_text("完成率\u202e%05.99\u202c，\u2067甲\u2069") == "完成率%05.99，甲"
    assert clean_text("\u200d👨\u200d👩") == "\u200d👨\u200d👩"  # a joiner is part of the text


def test_admin_text_fields_clean_control_characters():
    from evaluations.admin.mixins import MultilineField

    assert MultilineField().clean("第一行\x0b第二行\x01") == "第一行\n第二行"


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["p01", "epidemic-control", "项目一", "p 01", "a/b"])
def test_a_code_is_refused_alike_by_the_form_and_the_importer(text, superuser):
    """项目编码 "项目一" in the admin said “输入由字母，数字，下划线或连字符号组成的有效“字段”” —
    neither the field nor the value; the form now says what the importer says."""
    from evaluations.admin.projects import ProjectAdmin
    from evaluations.models import Project

    request = RequestFactory().get("/")
    request.user = superuser
    form_field = ProjectAdmin(Project, admin.site).formfield_for_dbfield(Project._meta.get_field("code"), request)
    cell = CellParser(ds.PROJECTS, ds.PROJECTS.column("code"), {})
    assert outcome(lambda: form_field.clean(text)) == outcome(lambda: cell(text))
    if text in ("p01", "epidemic-control"):
        assert form_field.clean(text) == text
    else:
        assert outcome(lambda: form_field.clean(text)) == f"编码只能包含字母、数字、连字符和下划线（{text}）。"


@pytest.mark.django_db
def test_a_rule_sets_code_is_refused_as_every_code_is(superuser):
    from evaluations.admin.rule_sets import RuleSetAdmin
    from indicators.models import RuleSet

    request = RequestFactory().get("/")
    request.user = superuser
    field = RuleSetAdmin(RuleSet, admin.site).formfield_for_dbfield(RuleSet._meta.get_field("code"), request)
    assert outcome(lambda: field.clean("规则 一")) == "编码只能包含字母、数字、连字符和下划线（规则 一）。"
