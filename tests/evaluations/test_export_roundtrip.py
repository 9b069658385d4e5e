"""An export imported into an empty database and exported again is the same file, byte for byte."""

import io

import pytest
from django.core.management import call_command

from evaluations.models import Report
from indicators.models import Indicator
from tests.evaluations.data_helpers import DATASET_ORDER, export, rich_report, wipe_domain_data

# Exports read through COPY on PostgreSQL (streams._read_flat): `make test` runs both.
pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


@pytest.mark.parametrize("header", ["labels", "keys"])
def test_every_dataset_round_trips_byte_identical(sample_report, header, tmp_path):
    rich_report()
    rich_report(year=2022, code="second")
    first = {name: export(name, "--header", header) for name in DATASET_ORDER}
    # Every dataset has rows, and the awkward cells are there.
    assert all(text.count("\n") > 1 for text in first.values())
    assert "'=" in first["departments"] and "0.125" in first["budget_executions"]

    wipe_domain_data()
    assert not Report.objects.exists()
    for name in DATASET_ORDER:
        path = tmp_path / f"{name}.csv"
        path.write_bytes(first[name].encode("utf-8"))
        call_command("import_data", name, str(path), stdout=io.StringIO())

    for name in DATASET_ORDER:
        assert export(name, "--header", header) == first[name], name
    assert Report.objects.get(department__code="dongjiaduan").published_at is not None


def test_bom_file_round_trips(sample_report, tmp_path):
    text = export("indicators", "--bom")
    Indicator.objects.all().delete()
    path = tmp_path / "indicators.csv"
    path.write_bytes(text.encode("utf-8"))
    call_command("import_data", "indicators", str(path), stdout=io.StringIO())
    assert export("indicators", "--bom") == text


def test_edge_values_and_awkward_text_round_trip(tmp_path):
    """0.0001 and the largest amount a column holds; text with commas, quotes, line breaks
    and formula starts. SQLite keeps decimals as REAL (15 significant digits): there the
    largest value is 99999999999.9999; PostgreSQL holds the full 18 digits."""
    from decimal import Decimal

    from django.db import connection

    from evaluations.models import BudgetExecution, Project

    biggest = Decimal("99999999999999.9999" if connection.vendor == "postgresql" else "99999999999.9999")
    report = rich_report()
    budget = BudgetExecution.objects.filter(report=report).first()
    budget.initial_budget, budget.adjusted_budget = Decimal("0.0001"), biggest
    budget.income = budget.personnel = budget.public = budget.project = biggest
    budget.save()
    project = Project.objects.filter(report=report).first()
    project.name = '含,逗号"引号"\n换行\r\n再换'
    project.goal, project.outcome = "+1+1", "\r回车开头"
    project.initial_budget = Decimal("0.0001")
    project.save()
    indicator = Indicator.objects.filter(report=report).first()
    indicator.target_value, indicator.actual_value = Decimal("0.0001"), biggest
    indicator.unit = "@单位"
    indicator.save()
    first = {name: export(name) for name in DATASET_ORDER}
    assert str(biggest) in first["budget_executions"] and "0.0001" in first["indicators"]
    assert "'+1+1" in first["projects"] and "'@单位" in first["indicators"]

    wipe_domain_data()
    for name in DATASET_ORDER:
        path = tmp_path / f"{name}.csv"
        path.write_bytes(first[name].encode("utf-8"))
        call_command("import_data", name, str(path), stdout=io.StringIO())
    for name in DATASET_ORDER:
        assert export(name) == first[name], name
    assert Project.objects.get(code="proj-a").name == '含,逗号"引号"\n换行\r\n再换'
