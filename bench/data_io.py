"""Time a large indicators import and export (not run by CI).

    DATABASE_URL=postgres://… DEBUG=1 python bench/data_io.py [ROWS]

Creates one department with a report and 100 projects, writes an indicators CSV of ROWS rows
(default 100,000), imports it with import_data, imports it again (nothing changes), then
exports it. Prints the timings; the data stays in the database (department `bench`).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from evaluations.models import Department, FiscalYear, FundingSource, Project, Report  # noqa: E402
from indicators.models import Indicator  # noqa: E402


def main(rows: int) -> None:
    department, _ = Department.objects.get_or_create(code="bench", defaults={"name": "基准部门"})
    year, _ = FiscalYear.objects.get_or_create(year=2099)
    report, _ = Report.objects.get_or_create(department=department, fiscal_year=year)
    # A plain delete would write a history record per row; a benchmark needs none.
    Indicator.objects.filter(report=report)._raw_delete(using="default")
    Indicator.history.filter(report_id=report.pk).delete()
    general = FundingSource.objects.get(code="general")
    for i in range(1, 101):
        Project.objects.get_or_create(
            report=report, code=f"b{i:03d}",
            defaults={"name": f"项目{i}", "funding_source": general, "position": i},
        )
    per_table = rows // 101 + 1
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as f:
        f.write("year,department_code,project_code,level1,level2,name,nature,unit,"
                "target_value,actual_value,weight,deviation\n")
        written = 0
        for table in range(101):
            code = "" if table == 0 else f"b{table:03d}"
            for n in range(per_table):
                if written == rows:
                    break
                f.write(f"2099,bench,{code},output,quantity,指标{n},gte,个,{n % 50 + 1},"
                        f"{n % 37},1.5,偏差说明\n")
                written += 1
        path = f.name
    for label in ("import", "re-import"):
        started = time.perf_counter()
        call_command("import_data", "indicators", path)
        print(f"{label} {rows} rows: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    call_command("export_data", "indicators", "--department", "bench", "--output", os.devnull)
    print(f"export {rows} rows: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
