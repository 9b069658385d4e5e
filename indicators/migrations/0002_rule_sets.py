"""Scoring rule sets (docs/design.md, "Scoring rule sets"): the RuleSet model, seeded with
national-2020 (财预〔2020〕10号, a band edge counted in the higher tier); the stored
``final_score`` of indicators (filled by evaluations 0009); 一级指标 ``cost`` and its 二级."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


NATIONAL = {
    "code": "national-2020",
    "name": "全国通用（财预〔2020〕10号）",
    "basis": "财预〔2020〕10号《项目支出绩效评价管理办法》",
    # The band edges, ≤ formula, execution weight and threshold, default 一级 weights and
    # grade floors the product used before rule sets (indicators.scoring.NATIONAL_2020).
    "achieved_min": Decimal("80"), "partial_max": Decimal("80"),
    "partial_min": Decimal("60"), "not_achieved_max": Decimal("60"),
    "lte_formula": "ratio", "over_target": "full", "over_target_beyond": Decimal("50"),
    "execution_weight": Decimal("10"), "explanation_below": Decimal("90"),
    "output_weight": Decimal("50"), "outcome_weight": Decimal("30"),
    "satisfaction_weight": Decimal("10"), "cost_weight": Decimal("0"),
    "excellent_from": Decimal("90"), "good_from": Decimal("80"), "fair_from": Decimal("60"),
    "cost_level1": False,
}


def seed_national(apps, schema_editor):
    RuleSet = apps.get_model("indicators", "RuleSet")
    values = dict(NATIONAL)
    RuleSet.objects.get_or_create(code=values.pop("code"), defaults=values)


def unseed_national(apps, schema_editor):
    apps.get_model("indicators", "RuleSet").objects.filter(code=NATIONAL["code"]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RuleSet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='规则编码')),
                ('name', models.CharField(max_length=100, verbose_name='规则名称')),
                ('basis', models.CharField(blank=True, max_length=300, verbose_name='文件依据')),
                ('achieved_min', models.DecimalField(decimal_places=2, default=Decimal('80'), help_text='得分不低于分值的此比例为“达成”，上限为 100%。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='达成档下限（%）')),
                ('partial_max', models.DecimalField(decimal_places=2, default=Decimal('80'), help_text='不含本数：正好等于它的得分属于“达成”。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='部分达成档上限（%）')),
                ('partial_min', models.DecimalField(decimal_places=2, default=Decimal('60'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='部分达成档下限（%）')),
                ('not_achieved_max', models.DecimalField(decimal_places=2, default=Decimal('60'), help_text='不含本数，下限为 0。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='未达成档上限（%）')),
                ('lte_formula', models.CharField(choices=[('ratio', '比值法：分值 × 目标值 ÷ 实际值'), ('deduction', '扣减法：分值 × (1 − (实际值 − 目标值) ÷ 目标值)，两倍目标值为零分')], default='ratio', max_length=20, verbose_name='反向指标（≤）计分方法')),
                ('over_target', models.CharField(choices=[('full', '得满分'), ('deduct', '超出设定比例后按比例扣分')], default='full', help_text='目标设置过低时，实际值超出目标值设定比例以上的部分可扣分。', max_length=20, verbose_name='正向指标（≥）远超目标值')),
                ('over_target_beyond', models.DecimalField(decimal_places=2, default=Decimal('50'), help_text='实际值超过目标值 ×（1 + 本比例）时，得分为分值 × 该界限 ÷ 实际值。', max_digits=7, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='超出目标值比例（%）')),
                ('execution_weight', models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='本规则建议的预算执行率分值；各自评表按其填写的分值计分。', max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='预算执行率分值')),
                ('explanation_below', models.DecimalField(decimal_places=2, default=Decimal('90'), help_text='预算执行率低于此值须说明原因。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='执行率须说明的界限（%）')),
                ('output_weight', models.DecimalField(decimal_places=2, default=Decimal('50'), max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='产出指标默认分值')),
                ('outcome_weight', models.DecimalField(decimal_places=2, default=Decimal('30'), max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='效益指标默认分值')),
                ('satisfaction_weight', models.DecimalField(decimal_places=2, default=Decimal('10'), max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='满意度指标默认分值')),
                ('cost_weight', models.DecimalField(decimal_places=2, default=Decimal('0'), help_text='仅在成本指标为一级指标时可大于 0。', max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='成本指标默认分值')),
                ('excellent_from', models.DecimalField(decimal_places=2, default=Decimal('90'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='“优”的最低总分')),
                ('good_from', models.DecimalField(decimal_places=2, default=Decimal('80'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='“良”的最低总分')),
                ('fair_from', models.DecimalField(decimal_places=2, default=Decimal('60'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='“中”的最低总分')),
                ('cost_level1', models.BooleanField(default=False, help_text='财预〔2021〕101号：一级指标“成本指标”，二级指标经济成本、社会成本、生态环境成本。', verbose_name='成本指标为一级指标')),
            ],
            options={
                'verbose_name': '评分规则',
                'verbose_name_plural': '评分规则',
                'ordering': ['code'],
            },
        ),
        migrations.AddField(
            model_name='historicalindicator',
            name='final_score',
            field=models.DecimalField(blank=True, decimal_places=2, editable=False, max_digits=6, null=True, verbose_name='得分'),
        ),
        migrations.AddField(
            model_name='indicator',
            name='final_score',
            field=models.DecimalField(blank=True, decimal_places=2, editable=False, max_digits=6, null=True, verbose_name='得分'),
        ),
        migrations.AlterField(
            model_name='historicalindicator',
            name='level1',
            field=models.CharField(choices=[('output', '产出指标'), ('outcome', '效益指标'), ('satisfaction', '满意度指标'), ('cost', '成本指标')], max_length=20, verbose_name='一级指标'),
        ),
        migrations.AlterField(
            model_name='historicalindicator',
            name='level2',
            field=models.CharField(choices=[('quantity', '数量指标'), ('quality', '质量指标'), ('timeliness', '时效指标'), ('cost', '成本指标'), ('economic', '经济效益指标'), ('social', '社会效益指标'), ('ecological', '生态效益指标'), ('sustainability', '可持续影响指标'), ('satisfaction', '服务对象满意度指标'), ('economic_cost', '经济成本指标'), ('social_cost', '社会成本指标'), ('ecological_cost', '生态环境成本指标')], max_length=20, verbose_name='二级指标'),
        ),
        migrations.AlterField(
            model_name='indicator',
            name='level1',
            field=models.CharField(choices=[('output', '产出指标'), ('outcome', '效益指标'), ('satisfaction', '满意度指标'), ('cost', '成本指标')], max_length=20, verbose_name='一级指标'),
        ),
        migrations.AlterField(
            model_name='indicator',
            name='level2',
            field=models.CharField(choices=[('quantity', '数量指标'), ('quality', '质量指标'), ('timeliness', '时效指标'), ('cost', '成本指标'), ('economic', '经济效益指标'), ('social', '社会效益指标'), ('ecological', '生态效益指标'), ('sustainability', '可持续影响指标'), ('satisfaction', '服务对象满意度指标'), ('economic_cost', '经济成本指标'), ('social_cost', '社会成本指标'), ('ecological_cost', '生态环境成本指标')], max_length=20, verbose_name='二级指标'),
        ),
        migrations.CreateModel(
            name='HistoricalRuleSet',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, verbose_name='规则编码')),
                ('name', models.CharField(max_length=100, verbose_name='规则名称')),
                ('basis', models.CharField(blank=True, max_length=300, verbose_name='文件依据')),
                ('achieved_min', models.DecimalField(decimal_places=2, default=Decimal('80'), help_text='得分不低于分值的此比例为“达成”，上限为 100%。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='达成档下限（%）')),
                ('partial_max', models.DecimalField(decimal_places=2, default=Decimal('80'), help_text='不含本数：正好等于它的得分属于“达成”。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='部分达成档上限（%）')),
                ('partial_min', models.DecimalField(decimal_places=2, default=Decimal('60'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='部分达成档下限（%）')),
                ('not_achieved_max', models.DecimalField(decimal_places=2, default=Decimal('60'), help_text='不含本数，下限为 0。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='未达成档上限（%）')),
                ('lte_formula', models.CharField(choices=[('ratio', '比值法：分值 × 目标值 ÷ 实际值'), ('deduction', '扣减法：分值 × (1 − (实际值 − 目标值) ÷ 目标值)，两倍目标值为零分')], default='ratio', max_length=20, verbose_name='反向指标（≤）计分方法')),
                ('over_target', models.CharField(choices=[('full', '得满分'), ('deduct', '超出设定比例后按比例扣分')], default='full', help_text='目标设置过低时，实际值超出目标值设定比例以上的部分可扣分。', max_length=20, verbose_name='正向指标（≥）远超目标值')),
                ('over_target_beyond', models.DecimalField(decimal_places=2, default=Decimal('50'), help_text='实际值超过目标值 ×（1 + 本比例）时，得分为分值 × 该界限 ÷ 实际值。', max_digits=7, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='超出目标值比例（%）')),
                ('execution_weight', models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='本规则建议的预算执行率分值；各自评表按其填写的分值计分。', max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='预算执行率分值')),
                ('explanation_below', models.DecimalField(decimal_places=2, default=Decimal('90'), help_text='预算执行率低于此值须说明原因。', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='执行率须说明的界限（%）')),
                ('output_weight', models.DecimalField(decimal_places=2, default=Decimal('50'), max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='产出指标默认分值')),
                ('outcome_weight', models.DecimalField(decimal_places=2, default=Decimal('30'), max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='效益指标默认分值')),
                ('satisfaction_weight', models.DecimalField(decimal_places=2, default=Decimal('10'), max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='满意度指标默认分值')),
                ('cost_weight', models.DecimalField(decimal_places=2, default=Decimal('0'), help_text='仅在成本指标为一级指标时可大于 0。', max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='成本指标默认分值')),
                ('excellent_from', models.DecimalField(decimal_places=2, default=Decimal('90'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='“优”的最低总分')),
                ('good_from', models.DecimalField(decimal_places=2, default=Decimal('80'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='“良”的最低总分')),
                ('fair_from', models.DecimalField(decimal_places=2, default=Decimal('60'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='“中”的最低总分')),
                ('cost_level1', models.BooleanField(default=False, help_text='财预〔2021〕101号：一级指标“成本指标”，二级指标经济成本、社会成本、生态环境成本。', verbose_name='成本指标为一级指标')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 评分规则',
                'verbose_name_plural': 'historical 评分规则',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(seed_national, unseed_national),
    ]
