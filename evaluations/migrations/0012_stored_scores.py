"""Scores stored and frozen at publication (docs/design.md, "Scoring rule sets").

Years take national-2020 as their default rule set and every report its year's; the stored
scores of every existing report are then computed once under national-2020, whatever its
status (so a report published before this migration keeps the scores it was published with,
except a qualitative score exactly on a band edge, now counted in the higher tier).
Reviewers, auditors and data entry read the rule sets; administrators change them.
"""

import django.db.models.deletion
import indicators.rule_sets
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def reports_take_their_years_rule_set(apps, schema_editor):
    Report = apps.get_model("evaluations", "Report")
    FiscalYear = apps.get_model("evaluations", "FiscalYear")
    for year in FiscalYear.objects.all():
        Report.objects.filter(fiscal_year=year, rule_set__isnull=True).update(rule_set=year.rule_set_id)


def score_existing_reports(apps, schema_editor):
    # The one engine, run on the rows as they are at this migration: it selects only the
    # columns named in evaluations.scores, all of which exist from here on. An empty database
    # (a fresh install, the test database) has no report and makes no query.
    from evaluations import scores

    ids = list(apps.get_model("evaluations", "Report").objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 200):
        scores.recompute(ids[start:start + 200])


READERS = ("data_entry", "reviewer", "auditor")


def grant_reading(apps, schema_editor):
    app_config = apps.get_app_config("indicators")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(content_type__app_label="indicators", codename="view_ruleset")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=READERS):
        group.permissions.add(view)


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0011_targets_monitoring'),
        ('indicators', '0002_rule_sets'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.AddField(
            model_name='fiscalyear',
            name='rule_set',
            field=models.ForeignKey(default=indicators.rule_sets.default_rule_set, help_text='本年度新建报告采用的评分规则；每份报告保留自己的评分规则。', on_delete=django.db.models.deletion.PROTECT, related_name='fiscal_years', to='indicators.ruleset', verbose_name='默认评分规则'),
        ),
        migrations.AddField(
            model_name='historicalfiscalyear',
            name='rule_set',
            field=models.ForeignKey(blank=True, db_constraint=False, default=indicators.rule_sets.default_rule_set, help_text='本年度新建报告采用的评分规则；每份报告保留自己的评分规则。', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='indicators.ruleset', verbose_name='默认评分规则'),
        ),
        migrations.AddField(
            model_name='historicalproject',
            name='execution_rate',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=30, null=True, verbose_name='预算执行率'),
        ),
        migrations.AddField(
            model_name='historicalproject',
            name='execution_score',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=6, null=True, verbose_name='预算执行率得分'),
        ),
        migrations.AddField(
            model_name='historicalproject',
            name='grade',
            field=models.CharField(blank=True, choices=[('excellent', '优'), ('good', '良'), ('fair', '中'), ('poor', '差')], db_default='', default='', editable=False, max_length=20, verbose_name='评价等级'),
        ),
        migrations.AddField(
            model_name='historicalproject',
            name='total_score',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=5, null=True, verbose_name='总分'),
        ),
        migrations.AddField(
            model_name='historicalreport',
            name='execution_rate',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=30, null=True, verbose_name='预算执行率'),
        ),
        migrations.AddField(
            model_name='historicalreport',
            name='execution_score',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=6, null=True, verbose_name='预算执行率得分'),
        ),
        migrations.AddField(
            model_name='historicalreport',
            name='grade',
            field=models.CharField(blank=True, choices=[('excellent', '优'), ('good', '良'), ('fair', '中'), ('poor', '差')], db_default='', default='', editable=False, max_length=20, verbose_name='评价等级'),
        ),
        migrations.AddField(
            model_name='historicalreport',
            name='rule_set',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='留空则采用本年度的默认评分规则。公开后得分不再随规则变化。', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='indicators.ruleset', verbose_name='评分规则'),
        ),
        migrations.AddField(
            model_name='historicalreport',
            name='total_score',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=5, null=True, verbose_name='总分'),
        ),
        migrations.AddField(
            model_name='project',
            name='execution_rate',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=30, null=True, verbose_name='预算执行率'),
        ),
        migrations.AddField(
            model_name='project',
            name='execution_score',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=6, null=True, verbose_name='预算执行率得分'),
        ),
        migrations.AddField(
            model_name='project',
            name='grade',
            field=models.CharField(blank=True, choices=[('excellent', '优'), ('good', '良'), ('fair', '中'), ('poor', '差')], db_default='', default='', editable=False, max_length=20, verbose_name='评价等级'),
        ),
        migrations.AddField(
            model_name='project',
            name='total_score',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=5, null=True, verbose_name='总分'),
        ),
        migrations.AddField(
            model_name='report',
            name='execution_rate',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=30, null=True, verbose_name='预算执行率'),
        ),
        migrations.AddField(
            model_name='report',
            name='execution_score',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=6, null=True, verbose_name='预算执行率得分'),
        ),
        migrations.AddField(
            model_name='report',
            name='grade',
            field=models.CharField(blank=True, choices=[('excellent', '优'), ('good', '良'), ('fair', '中'), ('poor', '差')], db_default='', default='', editable=False, max_length=20, verbose_name='评价等级'),
        ),
        migrations.AddField(
            model_name='report',
            name='rule_set',
            field=models.ForeignKey(blank=True, help_text='留空则采用本年度的默认评分规则。公开后得分不再随规则变化。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='indicators.ruleset', verbose_name='评分规则'),
        ),
        migrations.AddField(
            model_name='report',
            name='total_score',
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=5, null=True, verbose_name='总分'),
        ),
        migrations.RunPython(reports_take_their_years_rule_set, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='report',
            name='rule_set',
            field=models.ForeignKey(blank=True, help_text='留空则采用本年度的默认评分规则。公开后得分不再随规则变化。', on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='indicators.ruleset', verbose_name='评分规则'),
        ),
        migrations.RunPython(score_existing_reports, migrations.RunPython.noop),
        migrations.RunPython(grant_reading, migrations.RunPython.noop),
    ]
