"""Issue 14.9: one number format everywhere in the admin — thousands separators, two decimals
(common/formatting.py) — in inputs and read-only figures alike; a figure typed that way reads back."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from common.forms import PlainDecimalField
from evaluations.models import BudgetExecution
from tests.indicators.test_admin_indicators import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(db):
    from evaluations.sample import load_sample_report

    return load_sample_report(publish=False)


def test_inputs_and_figures_read_alike_on_the_report_page(client, superuser, draft):
    client.force_login(superuser)
    content = client.get(reverse("admin:evaluations_report_change", args=[draft.pk])).content.decode()
    values = re.findall(r'name="budget_executions-\d+-\w+" value="([^"]*)"', content)
    assert "1,828.90" in values and "392.69" in values
    assert not [v for v in values if re.fullmatch(r"-?\d+\.\d{4}", v)]  # no "1828.9000"
    text = re.sub(r"<[^>]+>", " ", content)
    assert not re.search(r"(?<![\d,])\d{4,}\.\d{2}\b", text), "a figure without separators"


def test_a_formatted_figure_saves_unchanged(client, superuser, draft):
    client.force_login(superuser)
    url = reverse("admin:evaluations_report_change", args=[draft.pk])
    before = list(BudgetExecution.objects.order_by("pk").values_list("income", "personnel"))
    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302
    assert list(BudgetExecution.objects.order_by("pk").values_list("income", "personnel")) == before


def test_the_decimal_field_shows_what_formatting_shows():
    field = PlainDecimalField(max_digits=18, decimal_places=4)
    assert field.prepare_value(Decimal("1925.0000")) == "1,925.00"
    assert field.prepare_value(Decimal("0.1250")) == "0.125"
    assert field.clean("1,925.00") == Decimal("1925.0000")
