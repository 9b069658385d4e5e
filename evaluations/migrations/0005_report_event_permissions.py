"""Let every role read the workflow trail (审核记录); the admin scopes it to their departments."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["data_entry", "reviewer", "auditor"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("evaluations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(content_type__app_label="evaluations", codename="view_reportevent")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(view)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    view = Permission.objects.filter(
        content_type__app_label="evaluations", codename="view_reportevent"
    ).first()
    if view is not None:
        for group in Group.objects.filter(name__in=GROUPS):
            group.permissions.remove(view)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0004_report_events")]

    operations = [migrations.RunPython(grant, revoke)]
