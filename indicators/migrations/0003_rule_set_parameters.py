"""Rule sets carry the monitoring lights' thresholds and the grade → budget recommendation map
(docs/design.md, "Scoring rule sets"); every existing rule set, national-2020 among them,
takes the values the product used before (evaluations.lights, indicators.vocabulary), so no
light or suggestion moves."""

import django.core.validators
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0002_rule_sets'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalruleset',
            name='progress_gap',
            field=models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='指标完成进度与支出进度相差超过此数时亮黄灯。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='完成进度与支出进度允许相差（百分点）'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='recommend_excellent',
            field=models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], default='increase', max_length=20, verbose_name='“优”的预算建议'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='recommend_fair',
            field=models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], default='reduce', max_length=20, verbose_name='“中”的预算建议'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='recommend_good',
            field=models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], default='keep', max_length=20, verbose_name='“良”的预算建议'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='recommend_poor',
            field=models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], default='cancel', max_length=20, verbose_name='“差”的预算建议'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='spending_by_april',
            field=models.DecimalField(decimal_places=2, default=Decimal('25'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='4月末支出进度预警线（%）'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='spending_by_august',
            field=models.DecimalField(decimal_places=2, default=Decimal('60'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='8月末支出进度预警线（%）'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='spending_by_june',
            field=models.DecimalField(decimal_places=2, default=Decimal('40'), help_text='7月按6月的预警线。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='6月末支出进度预警线（%）'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='spending_by_october',
            field=models.DecimalField(decimal_places=2, default=Decimal('80'), help_text='其后各月按10月的预警线。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='10月末支出进度预警线（%）'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='progress_gap',
            field=models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='指标完成进度与支出进度相差超过此数时亮黄灯。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='完成进度与支出进度允许相差（百分点）'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='recommend_excellent',
            field=models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], default='increase', max_length=20, verbose_name='“优”的预算建议'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='recommend_fair',
            field=models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], default='reduce', max_length=20, verbose_name='“中”的预算建议'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='recommend_good',
            field=models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], default='keep', max_length=20, verbose_name='“良”的预算建议'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='recommend_poor',
            field=models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], default='cancel', max_length=20, verbose_name='“差”的预算建议'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='spending_by_april',
            field=models.DecimalField(decimal_places=2, default=Decimal('25'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='4月末支出进度预警线（%）'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='spending_by_august',
            field=models.DecimalField(decimal_places=2, default=Decimal('60'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='8月末支出进度预警线（%）'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='spending_by_june',
            field=models.DecimalField(decimal_places=2, default=Decimal('40'), help_text='7月按6月的预警线。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='6月末支出进度预警线（%）'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='spending_by_october',
            field=models.DecimalField(decimal_places=2, default=Decimal('80'), help_text='其后各月按10月的预警线。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='10月末支出进度预警线（%）'),
        ),
        migrations.AlterField(
            model_name='historicalruleset',
            name='execution_weight',
            field=models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='自评表未填写本表分值时按此分值计分；填写了的按其所填。', max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='预算执行率分值'),
        ),
        migrations.AlterField(
            model_name='ruleset',
            name='execution_weight',
            field=models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='自评表未填写本表分值时按此分值计分；填写了的按其所填。', max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='预算执行率分值'),
        ),
    ]
