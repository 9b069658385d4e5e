"""Seed the four budgets and the three project fund sources of the national forms."""

from django.db import migrations

SOURCES = [
    ("general", "一般公共预算", "budget", 1),
    ("fund", "政府性基金预算", "budget", 2),
    ("state_capital", "国有资本经营预算", "budget", 3),
    ("social_insurance", "社会保险基金预算", "budget", 4),
    ("appropriation", "当年财政拨款", "project_fund", 1),
    ("carryover", "上年结转资金", "project_fund", 2),
    ("other", "其他资金", "project_fund", 3),
]


def seed(apps, schema_editor):
    FundingSource = apps.get_model("evaluations", "FundingSource")
    for code, name, kind, position in SOURCES:
        FundingSource.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "position": position}
        )


def unseed(apps, schema_editor):
    FundingSource = apps.get_model("evaluations", "FundingSource")
    FundingSource.objects.filter(code__in=[code for code, *_ in SOURCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
