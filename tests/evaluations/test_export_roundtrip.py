"""An export imported into an empty database and exported again is the same file, byte for byte."""

import io

import pytest
from django.core.management import call_command

from evaluations.models import Report
from indicators.models import Indicator
from tests.evaluations.data_helpers import DATASET_ORDER, export, rich_report, wipe_domain_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header", ["labels", "keys"])
def test_every_dataset_round_trips_byte_identical(sample_report, header, tmp_path):
    rich_report()
    rich_report(year=2022, code="second")
    first = {name: export(name, "--header", header) for name in DATASET_ORDER}
    # Every dataset has rows, and the awkward cells are there.
    assert all(text.count("\r\n") > 1 for text in first.values())
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
