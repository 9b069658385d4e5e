"""Create the role groups of docs/design.md with their permissions.

Permissions are normally created after migrations run, so they are created here first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ENTRY_MODELS = [
    ("evaluations", "report"),
    ("evaluations", "budgetexecution"),
    ("evaluations", "project"),
    ("evaluations", "projectfund"),
    ("evaluations", "outcomenarrative"),
    ("indicators", "indicator"),
]
REFERENCE_MODELS = [
    ("evaluations", "department"),
    ("evaluations", "fiscalyear"),
    ("evaluations", "fundingsource"),
]


def _crud(models, actions):
    return [(app, f"{action}_{model}") for app, model in models for action in actions]


ROLES = {
    # 填报人: their own departments' reports, figures and indicators.
    "data_entry": _crud(ENTRY_MODELS, ["view", "add", "change", "delete"])
    + _crud(REFERENCE_MODELS, ["view"])
    + [("evaluations", "submit_report"), ("evaluations", "import_data")],
    # 审核人: every department; returns, approves, publishes, reopens.
    "reviewer": _crud(ENTRY_MODELS, ["view", "add", "change", "delete"])
    + _crud(REFERENCE_MODELS, ["view", "add", "change"])
    + [
        ("evaluations", "view_all_departments"),
        ("evaluations", "review_report"),
        ("evaluations", "publish_report"),
        ("evaluations", "import_data"),
        ("evaluations", "export_data"),
    ],
    # 审计: reads everything, changes nothing, exports.
    "auditor": _crud(ENTRY_MODELS + REFERENCE_MODELS, ["view"])
    + [("evaluations", "view_all_departments"), ("evaluations", "export_data")],
}


def create_groups(apps, schema_editor):
    for app_label in ("evaluations", "indicators"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in codes
        ]
        group.permissions.set(perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0002_seed_funding_sources"),
        ("indicators", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
