"""基本支出 = 人员经费 + 公用经费 and 支出 = 基本支出 + 项目支出, stated once (BudgetExecution) and
read the same by a row, an export row and a database sum."""

from decimal import Decimal

import pytest
from django.db.models import F, Sum

from evaluations.models import BudgetExecution, Report
from tests.factories import BudgetExecutionFactory, ReportFactory, source

pytestmark = pytest.mark.django_db

D = Decimal


def test_missing_parts_count_as_zero():
    assert BudgetExecution.basic_of(D("1.5"), None) == D("1.5")
    assert BudgetExecution.expenditure_of(None, D("2"), D("3")) == D("5")
    row = BudgetExecution(personnel=D("60"), public=D("10"), project=D("20"))
    assert (row.basic, row.expenditure) == (D("70"), D("90"))


def test_the_database_sum_compiles_the_same_rule():
    report = ReportFactory()
    rows = [
        BudgetExecutionFactory(report=report, personnel=D("60.25"), public=D("10"), project=D("20")),
        BudgetExecutionFactory(report=report, funding_source=source("fund"), personnel=D("0"),
                               public=D("1.5"), project=D("7")),
    ]
    total = Report.objects.filter(pk=report.pk).aggregate(total=Sum(BudgetExecution.expenditure_of(
        F("budget_executions__personnel"), F("budget_executions__public"),
        F("budget_executions__project"),
    )))["total"]
    assert total == sum(row.expenditure for row in rows) == D("98.75")
