"""Peak memory of an admin import at the configured limits (not run by CI).

    DATABASE_URL=postgres://…/scratch python bench/admin_import.py [--rows 200000]

Writes an indicators CSV of ROWS rows padded to just under IMPORT_MAX_UPLOAD_BYTES (20 MB by
default), then, each step in a new process as a gunicorn worker would meet it: a clerk's
upload and preview (the dry run) at /admin/…/import/, then the confirm at
/admin/…/process_import/, then both in one process. Prints each process's peak resident
memory (ru_maxrss) and time, and writes them to bench/out/admin_import.json. The database
is migrated and keeps the data (department `bench-admin`, year 2099).

The requests go through Django's test client, which holds the whole multipart body in
memory (a worker streams it to a temporary file): each step also reports the process's peak
before its request (``baseline_rss_mb``: Django, the client and, for the upload, the body).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CSV = OUT / "admin_import.csv"
TOKEN = OUT / "admin_import.token"
HEADER = ("year,department_code,project_code,level1,level2,name,nature,unit,"
          "target_value,actual_value,weight,deviation\n")


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Production settings where they matter here: DEBUG on would keep every query's
    # parameters, the stored file included, in connection.queries.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("TESTING", "1")  # plain static files storage: no collectstatic
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(rows: int) -> dict:
    """The department, its clerk, a draft report with 100 projects, and the file."""
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from evaluations.models import Department, FiscalYear, FundingSource, Project, Report
    from indicators.models import Indicator

    call_command("migrate", verbosity=0)
    department, _ = Department.objects.get_or_create(code="bench-admin", defaults={"name": "基准部门"})
    clerk, _ = User.objects.get_or_create(username="bench-clerk", defaults={"is_staff": True})
    clerk.groups.add(Group.objects.get(name="data_entry"))
    department.staff.add(clerk)
    year, _ = FiscalYear.objects.get_or_create(year=2099, defaults={"is_open": True})
    report, _ = Report.objects.get_or_create(department=department, fiscal_year=year)
    Indicator.objects.filter(report=report)._raw_delete(using="default")  # no history rows
    general = FundingSource.objects.get(code="general")
    for i in range(1, 101):
        Project.objects.get_or_create(
            report=report, code=f"b{i:03d}",
            defaults={"name": f"项目{i}", "funding_source": general, "position": i},
        )
    # Each row padded so that the file ends just under the upload limit.
    budget = settings.IMPORT_MAX_UPLOAD_BYTES - len(HEADER.encode()) - 1024
    sample = "2099,bench-admin,b100,output,quantity,指标199999,gte,个,50,36,1.5,\n"
    pad = max(0, (budget // rows - len(sample.encode())) // 3)
    per_table = rows // 101 + 1
    OUT.mkdir(exist_ok=True)
    with CSV.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        written = 0
        for table in range(101):
            code = "" if table == 0 else f"b{table:03d}"
            for n in range(min(per_table, rows - written)):
                f.write(f"2099,bench-admin,{code},output,quantity,指标{n},gte,个,{n % 50 + 1},"
                        f"{n % 37},1.5,{'偏' * pad}\n")
                written += 1
    return {"rows": written, "bytes": CSV.stat().st_size}


def client():
    from django.contrib.auth.models import User
    from django.test import Client

    browser = Client()
    browser.force_login(User.objects.get(username="bench-clerk"))
    return browser


def preview() -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    browser = client()
    # The body is built here, before the request, so that the memory it takes (the test
    # client's, not a worker's) is in the baseline rather than in the request's share.
    body = encode_multipart(BOUNDARY, {
        "dataset": "indicators",
        "import_file": SimpleUploadedFile("indicators.csv", CSV.read_bytes(), "text/csv"),
    })
    baseline = peak_mb()
    started = time.perf_counter()
    response = browser.generic("POST", "/admin/evaluations/report/import/", body, MULTIPART_CONTENT)
    seconds = time.perf_counter() - started
    page = response.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page)
    if response.status_code != 200 or token is None:
        raise SystemExit(f"preview failed: {response.status_code} {page[-2000:]}")
    TOKEN.write_text(token.group(1))
    return {"seconds": round(seconds, 1), "page_bytes": len(response.content),
            "baseline_rss_mb": round(baseline, 1)}


def confirm() -> dict:
    from indicators.models import Indicator

    browser = client()
    baseline = peak_mb()
    started = time.perf_counter()
    response = browser.post("/admin/evaluations/report/process_import/", {"token": TOKEN.read_text()})
    seconds = time.perf_counter() - started
    if response.status_code != 302:
        raise SystemExit(f"confirm failed: {response.status_code} {response.content[-2000:]}")
    count = Indicator.objects.filter(report__department__code="bench-admin").count()
    return {"seconds": round(seconds, 1), "indicators": count, "baseline_rss_mb": round(baseline, 1)}


def step(name: str, rows: int) -> None:
    setup_django()
    if name == "prepare":
        result = prepare(rows)
    elif name == "preview":
        result = preview()
    elif name == "confirm":
        result = confirm()
    else:  # both: preview, then confirm, in one process
        result = {"preview": preview(), "confirm": confirm()}
    result["peak_rss_mb"] = round(peak_mb(), 1)
    print(json.dumps(result, ensure_ascii=False))


def run(name: str, rows: int) -> dict:
    output = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--step", name, "--rows", str(rows)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--step")
    args = parser.parse_args()
    if args.step:
        step(args.step, args.rows)
        return
    results = {"load_average_at_start": os.getloadavg()[0]}
    for name in ("prepare", "preview", "confirm", "prepare", "both"):
        results[name] = run(name, args.rows)
        print(name, results[name], flush=True)
    (OUT / "admin_import.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
