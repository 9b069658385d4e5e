"""After the year: findings (整改), result use, re-checks and attachments, and the roles' permissions on them."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import evaluations.models.cycle

# Who may do what after the year (docs/design.md, "Targets, monitoring, findings"); the rows
# each may touch and the finer rules (sources, verification) are evaluations/access.py's.
CRUD = ["view", "add", "change", "delete"]
ROLES = {
    # 填报人: their findings (source self) and their progress, evidence; sees re-checks.
    "data_entry": {
        "finding": ["view", "add", "change"], "attachment": CRUD, "recheck": ["view"],
        "rechecksample": ["view"],
    },
    # 审核人: findings of every source and their verification, result use, re-checks.
    "reviewer": {
        "finding": [*CRUD, "verify"], "attachment": CRUD, "recheck": CRUD,
        "rechecksample": CRUD, "recommendation": CRUD,
    },
    # 审计: reads everything; enters the findings of an audit (source audit).
    "auditor": {
        "finding": ["view", "add", "change"], "attachment": ["view"], "recheck": ["view"],
        "rechecksample": ["view"], "recommendation": ["view"],
    },
}


def _codenames(models):
    return [f"{action}_{model}" for model, actions in models.items() for action in actions]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("evaluations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, per_model in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(
            content_type__app_label="evaluations", codename__in=_codenames(per_model)
        ))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*Permission.objects.filter(
            content_type__app_label="evaluations", codename__in=_codenames(ROLES[group.name])
        ))



class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0009_report_documents'),
        ('indicators', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Finding',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField(verbose_name='序号')),
                ('source', models.CharField(choices=[('self', '自评发现'), ('review', '审核发现'), ('recheck', '抽查复核'), ('audit', '审计发现'), ('third_party', '第三方评价')], default='self', max_length=20, verbose_name='问题来源')),
                ('description', models.TextField(verbose_name='问题描述')),
                ('measure', models.TextField(blank=True, verbose_name='整改措施')),
                ('owner', models.CharField(blank=True, max_length=200, verbose_name='责任人（单位）')),
                ('due_date', models.DateField(blank=True, null=True, verbose_name='整改期限')),
                ('status', models.CharField(choices=[('open', '未整改'), ('in_progress', '整改中'), ('done', '已整改'), ('verified', '已验证')], db_index=True, default='open', max_length=20, verbose_name='整改状态')),
                ('verified_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='验证时间')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='录入人')),
                ('done_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='标记已整改的人')),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='findings', to='evaluations.report', verbose_name='报告')),
                ('verified_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='验证人')),
            ],
            options={
                'verbose_name': '整改问题',
                'verbose_name_plural': '整改问题',
                'ordering': ['report', 'position'],
                'permissions': [('verify_finding', '可验证整改')],
            },
        ),
        migrations.CreateModel(
            name='Attachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('file', models.FileField(max_length=200, upload_to=evaluations.models.cycle.attachment_path, verbose_name='文件')),
                ('filename', models.CharField(editable=False, max_length=200, verbose_name='原文件名')),
                ('kind', models.CharField(choices=[('pdf', 'PDF'), ('docx', 'Word'), ('xlsx', 'Excel'), ('png', 'PNG'), ('jpg', 'JPEG')], editable=False, max_length=10, verbose_name='类型')),
                ('size', models.PositiveBigIntegerField(editable=False, verbose_name='大小（字节）')),
                ('sha256', models.CharField(editable=False, max_length=64, verbose_name='SHA-256')),
                ('public', models.BooleanField(default=False, help_text='公开的附件在报告公开后列在公开页面上，任何人可下载。', verbose_name='公开')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='上传时间')),
                ('indicator', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='indicators.indicator', verbose_name='指标')),
                ('project', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='evaluations.project', verbose_name='项目')),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='evaluations.report', verbose_name='报告')),
                ('uploaded_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
                ('finding', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='evaluations.finding', verbose_name='整改问题')),
            ],
            options={
                'verbose_name': '附件',
                'verbose_name_plural': '附件',
                'ordering': ['report', 'created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalAttachment',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('file', models.TextField(max_length=200, verbose_name='文件')),
                ('filename', models.CharField(editable=False, max_length=200, verbose_name='原文件名')),
                ('kind', models.CharField(choices=[('pdf', 'PDF'), ('docx', 'Word'), ('xlsx', 'Excel'), ('png', 'PNG'), ('jpg', 'JPEG')], editable=False, max_length=10, verbose_name='类型')),
                ('size', models.PositiveBigIntegerField(editable=False, verbose_name='大小（字节）')),
                ('sha256', models.CharField(editable=False, max_length=64, verbose_name='SHA-256')),
                ('public', models.BooleanField(default=False, help_text='公开的附件在报告公开后列在公开页面上，任何人可下载。', verbose_name='公开')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='上传时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('finding', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evaluations.finding', verbose_name='整改问题')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('indicator', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='indicators.indicator', verbose_name='指标')),
                ('project', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evaluations.project', verbose_name='项目')),
                ('report', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evaluations.report', verbose_name='报告')),
                ('uploaded_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
            ],
            options={
                'verbose_name': 'historical 附件',
                'verbose_name_plural': 'historical 附件',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalFinding',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('position', models.PositiveIntegerField(verbose_name='序号')),
                ('source', models.CharField(choices=[('self', '自评发现'), ('review', '审核发现'), ('recheck', '抽查复核'), ('audit', '审计发现'), ('third_party', '第三方评价')], default='self', max_length=20, verbose_name='问题来源')),
                ('description', models.TextField(verbose_name='问题描述')),
                ('measure', models.TextField(blank=True, verbose_name='整改措施')),
                ('owner', models.CharField(blank=True, max_length=200, verbose_name='责任人（单位）')),
                ('due_date', models.DateField(blank=True, null=True, verbose_name='整改期限')),
                ('status', models.CharField(choices=[('open', '未整改'), ('in_progress', '整改中'), ('done', '已整改'), ('verified', '已验证')], db_index=True, default='open', max_length=20, verbose_name='整改状态')),
                ('verified_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='验证时间')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='更新时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='录入人')),
                ('done_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='标记已整改的人')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('report', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evaluations.report', verbose_name='报告')),
                ('verified_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='验证人')),
            ],
            options={
                'verbose_name': 'historical 整改问题',
                'verbose_name_plural': 'historical 整改问题',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRecheck',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('recheck_score', models.DecimalField(decimal_places=2, max_digits=6, validators=[django.core.validators.MinValueValidator(0)], verbose_name='复核得分')),
                ('note', models.TextField(blank=True, verbose_name='复核说明')),
                ('recorded_at', models.DateTimeField(blank=True, editable=False, verbose_name='复核时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('indicator', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='indicators.indicator', verbose_name='指标')),
                ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='复核人')),
            ],
            options={
                'verbose_name': 'historical 复核得分',
                'verbose_name_plural': 'historical 复核得分',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRecheckSample',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('method', models.CharField(choices=[('sampled', '随机抽取'), ('manual', '人工添加')], default='manual', max_length=20, verbose_name='方式')),
                ('seed', models.BigIntegerField(blank=True, editable=False, null=True, verbose_name='随机种子')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='添加时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('added_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='添加人')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('report', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evaluations.report', verbose_name='报告')),
            ],
            options={
                'verbose_name': 'historical 抽查复核名单',
                'verbose_name_plural': 'historical 抽查复核名单',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRecommendation',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('recommendation', models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], max_length=20, verbose_name='预算安排建议')),
                ('note', models.TextField(blank=True, verbose_name='说明')),
                ('recorded_at', models.DateTimeField(blank=True, editable=False, verbose_name='记录时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('project', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evaluations.project', verbose_name='项目')),
                ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='记录人')),
            ],
            options={
                'verbose_name': 'historical 结果应用建议',
                'verbose_name_plural': 'historical 结果应用建议',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Recheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recheck_score', models.DecimalField(decimal_places=2, max_digits=6, validators=[django.core.validators.MinValueValidator(0)], verbose_name='复核得分')),
                ('note', models.TextField(blank=True, verbose_name='复核说明')),
                ('recorded_at', models.DateTimeField(auto_now=True, verbose_name='复核时间')),
                ('indicator', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='recheck', to='indicators.indicator', verbose_name='指标')),
                ('recorded_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='复核人')),
            ],
            options={
                'verbose_name': '复核得分',
                'verbose_name_plural': '复核得分',
                'ordering': ['indicator__report', 'indicator__project__position', 'indicator__position'],
            },
        ),
        migrations.CreateModel(
            name='RecheckSample',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('method', models.CharField(choices=[('sampled', '随机抽取'), ('manual', '人工添加')], default='manual', max_length=20, verbose_name='方式')),
                ('seed', models.BigIntegerField(blank=True, editable=False, null=True, verbose_name='随机种子')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='添加时间')),
                ('added_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='添加人')),
                ('report', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='recheck_sample', to='evaluations.report', verbose_name='报告')),
            ],
            options={
                'verbose_name': '抽查复核名单',
                'verbose_name_plural': '抽查复核名单',
                'ordering': ['-report__fiscal_year__year', 'report__department__code'],
            },
        ),
        migrations.CreateModel(
            name='Recommendation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recommendation', models.CharField(choices=[('increase', '优先保障（增加）'), ('keep', '保持'), ('reduce', '压减'), ('cancel', '取消')], max_length=20, verbose_name='预算安排建议')),
                ('note', models.TextField(blank=True, verbose_name='说明')),
                ('recorded_at', models.DateTimeField(auto_now=True, verbose_name='记录时间')),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='recommendation', to='evaluations.project', verbose_name='项目')),
                ('recorded_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='记录人')),
            ],
            options={
                'verbose_name': '结果应用建议',
                'verbose_name_plural': '结果应用建议',
                'ordering': ['project__report', 'project__position'],
            },
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.UniqueConstraint(fields=('report', 'position'), name='finding_unique_position_per_report', violation_error_message='同一报告中整改问题序号不能重复。'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.CheckConstraint(condition=models.Q(('source__in', ['self', 'review', 'recheck', 'audit', 'third_party'])), name='finding_source_valid', violation_error_message='问题来源无效。'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'in_progress', 'done', 'verified'])), name='finding_status_valid', violation_error_message='整改状态无效。'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'verified'), _negated=True), ('verified_at__isnull', False), _connector='OR'), name='finding_verified_has_time', violation_error_message='已验证的整改问题须有验证时间。'),
        ),
        migrations.AddConstraint(
            model_name='attachment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('indicator__isnull', True), ('project__isnull', True)), models.Q(('finding__isnull', True), ('project__isnull', True)), models.Q(('finding__isnull', True), ('indicator__isnull', True)), _connector='OR'), name='attachment_at_most_one_subject', violation_error_message='附件只能属于项目、指标、整改问题中的一个。'),
        ),
        migrations.AddConstraint(
            model_name='attachment',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['pdf', 'docx', 'xlsx', 'png', 'jpg'])), name='attachment_kind_valid', violation_error_message='附件类型无效。'),
        ),
        migrations.AddConstraint(
            model_name='attachment',
            constraint=models.CheckConstraint(condition=models.Q(('size__gt', 0)), name='attachment_not_empty', violation_error_message='附件不能为空文件。'),
        ),
        migrations.AddConstraint(
            model_name='recheck',
            constraint=models.CheckConstraint(condition=models.Q(('recheck_score__gte', 0)), name='recheck_score_non_negative', violation_error_message='复核得分不能为负数。'),
        ),
        migrations.AddConstraint(
            model_name='rechecksample',
            constraint=models.CheckConstraint(condition=models.Q(('method__in', ['sampled', 'manual'])), name='recheck_sample_method_valid', violation_error_message='方式无效。'),
        ),
        migrations.AddConstraint(
            model_name='recommendation',
            constraint=models.CheckConstraint(condition=models.Q(('recommendation__in', ['increase', 'keep', 'reduce', 'cancel'])), name='recommendation_valid', violation_error_message='预算安排建议无效。'),
        ),
        migrations.RunPython(grant, revoke),
    ]
