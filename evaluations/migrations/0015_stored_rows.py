"""Each published report's rows as its exports write them (docs/design.md, "Exports of published
reports: stored rows"). On PostgreSQL the bytes are compressed with lz4 where the server has it
(PostgreSQL 14 and later, built with lz4): a quarter of the size, and read back as fast as
uncompressed bytes (bench/RESULTS.md); pglz, the default, costs more to read.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def compress_with_lz4(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
            " AND 'lz4' = ANY(enumvals)"
        )
        if cursor.fetchone() is None:
            return
    schema_editor.execute(
        "ALTER TABLE evaluations_storedrows ALTER COLUMN data SET COMPRESSION lz4"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0014_report_rule_snapshot'),
    ]

    operations = [
        migrations.CreateModel(
            name='StoredRows',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('revision', models.PositiveIntegerField(verbose_name='修订版本')),
                ('dataset', models.CharField(max_length=40, verbose_name='数据集')),
                ('header', models.CharField(max_length=10, verbose_name='表头')),
                ('year', models.PositiveSmallIntegerField(verbose_name='年度')),
                ('department_code', models.CharField(max_length=32, verbose_name='部门编码')),
                ('digest', models.CharField(max_length=64, verbose_name='导出语句摘要')),
                ('rows', models.PositiveIntegerField(verbose_name='行数')),
                ('data', models.BinaryField(verbose_name='导出内容')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='生成时间')),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stored_rows', to='evaluations.report', verbose_name='报告')),
            ],
            options={
                'verbose_name': '已公开报告的导出内容',
                'verbose_name_plural': '已公开报告的导出内容',
                'constraints': [models.UniqueConstraint(fields=('report', 'dataset', 'header'), name='stored_rows_one_per_mode')],
            },
        ),
        migrations.RunPython(compress_with_lz4, migrations.RunPython.noop),
    ]
