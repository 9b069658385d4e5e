"""A table's own execution weight (``execution_weight_override``; blank takes its rule set's)
beside the weight it was scored with (``execution_weight``, now stored with the scores):
docs/design.md, "Scoring rule sets". A table whose weight differs from its rule set's keeps
it as its own; every other table follows its rule set, so no stored score moves."""

import django.core.validators
from decimal import Decimal
from django.db import migrations, models
from django.db.models import F


def keep_own_weights(apps, schema_editor):
    Report = apps.get_model("evaluations", "Report")
    Project = apps.get_model("evaluations", "Project")
    Report.objects.exclude(execution_weight=F("rule_set__execution_weight")).update(
        execution_weight_override=F("execution_weight")
    )
    Project.objects.exclude(execution_weight=F("report__rule_set__execution_weight")).update(
        execution_weight_override=F("execution_weight")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0012_stored_scores'),
        ('indicators', '0003_rule_set_parameters'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalproject',
            name='execution_weight_override',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='留空则按评分规则的预算执行率分值计分；填写则本表按所填分值计分。', max_digits=6, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='本表预算执行率分值'),
        ),
        migrations.AddField(
            model_name='historicalreport',
            name='execution_weight_override',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='留空则按评分规则的预算执行率分值计分；填写则本表按所填分值计分。', max_digits=6, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='本表预算执行率分值'),
        ),
        migrations.AddField(
            model_name='project',
            name='execution_weight_override',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='留空则按评分规则的预算执行率分值计分；填写则本表按所填分值计分。', max_digits=6, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='本表预算执行率分值'),
        ),
        migrations.AddField(
            model_name='report',
            name='execution_weight_override',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='留空则按评分规则的预算执行率分值计分；填写则本表按所填分值计分。', max_digits=6, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='本表预算执行率分值'),
        ),
        migrations.AlterField(
            model_name='historicalproject',
            name='execution_weight',
            field=models.DecimalField(decimal_places=2, default=Decimal('10'), editable=False, max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='预算执行率分值'),
        ),
        migrations.AlterField(
            model_name='historicalreport',
            name='execution_weight',
            field=models.DecimalField(decimal_places=2, default=Decimal('10'), editable=False, max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='预算执行率分值'),
        ),
        migrations.AlterField(
            model_name='project',
            name='execution_weight',
            field=models.DecimalField(decimal_places=2, default=Decimal('10'), editable=False, max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='预算执行率分值'),
        ),
        migrations.AlterField(
            model_name='report',
            name='execution_weight',
            field=models.DecimalField(decimal_places=2, default=Decimal('10'), editable=False, max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='预算执行率分值'),
        ),
        migrations.RunPython(keep_own_weights, migrations.RunPython.noop),
    ]
