"""The official documents' cost (issue 16; not run by CI).

    DATABASE_URL=postgres://…/scratch python bench/documents.py sample [--repeat 5]
    DATABASE_URL=postgres://…/scratch python bench/documents.py year [--departments 2000]
    DATABASE_URL=postgres://…/jixiao_bench python bench/documents.py year --reuse

``sample``: the seed's Word, PDF and 自评表 built in one process, first (fonts and templates
loading) and then ``--repeat`` times warm; target under 2 s for the three together, warm.
``year``: ``manage.py generate_data --departments N --years 1 --projects 9 --indicators 10``
into the database, then ``manage.py export_documents --year <that year> --output DIR --jobs J``
(default 2) in a child process: wall time, CPU seconds (the command and its workers,
user + system), the largest process's peak resident memory (ru_maxrss) and the process
tree's peak RSS and PSS, sampled; targets under 10 minutes and under 300 MB for 2,000
reports on the 2-core machine. ``--reuse`` exports the latest year already in the database
(``bench/run.sh generate`` makes 2,000 reports a year), its stored files deleted first so
that every file is built. Writes bench/out/documents-year.json.
Needs a quiet machine: the lead runs it (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def environment() -> None:
    """The settings of this process and of the commands it runs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("TESTING", "1")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-documents-"))


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    environment()
    import django

    django.setup()


def sample(repeat: int) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from evaluations.documents.content import article, load_report
    from evaluations.documents.generate import builders
    from evaluations.sample import load_sample_report

    report = load_sample_report()
    make = builders()
    runs = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        content = article(load_report(report.pk))
        sizes = {kind: len(build(content)) for kind, build in make.items()}
        runs.append(round(time.perf_counter() - started, 3))
    return {"first_s": runs[0], "warm_s": runs[1:], "best_warm_s": min(runs[1:]),
            "bytes": sizes, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _tree_memory(root: int) -> tuple[float, float]:
    """The resident and proportional (PSS: shared pages split between their users) memory
    of ``root`` and its children, in MB: forked workers share the fonts and the code."""
    rss = pss = 0
    pids = [root]
    try:
        children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
        pids += [int(p) for p in children]
    except OSError:
        return 0.0, 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss / 1024, pss / 1024


def year(departments: int, jobs: int, reuse: bool) -> dict:
    environment()
    manage = [sys.executable, str(ROOT / "manage.py")]
    generated = None
    if not reuse:
        subprocess.run([*manage, "migrate", "-v", "0"], check=True)
        started = time.perf_counter()
        subprocess.run([*manage, "generate_data", "--departments", str(departments), "--years", "1",
                        "--projects", "9", "--indicators", "10", "--seed", "16"], check=True)
        generated = round(time.perf_counter() - started, 1)
    setup_django()
    from evaluations.models import Report, ReportDocument

    latest = Report.objects.published().order_by("-fiscal_year__year").values_list(
        "fiscal_year__year", flat=True).first()
    reports = Report.objects.published().filter(fiscal_year__year=latest).count()
    # Every file built, none copied: what an export of reports published outside the workflow costs.
    ReportDocument.objects.filter(report__fiscal_year__year=latest).delete()
    with tempfile.TemporaryDirectory() as output:
        started = time.perf_counter()
        child = subprocess.Popen([*manage, "export_documents", "--year", str(latest), "--output", output,
                                  "--jobs", str(jobs)])
        status, usage, tree_rss, tree_pss = _watch(child.pid)
        seconds = time.perf_counter() - started
        files = sum(1 for _ in Path(output).rglob("*.*"))
    # wait4's usage covers the command and the workers it waited for.
    cpu = usage.ru_utime + usage.ru_stime
    return {"reports": reports, "year": latest, "jobs": jobs, "generate_s": generated,
            "export_s": round(seconds, 1), "s_per_report": round(seconds / max(reports, 1), 3),
            "cpu_s": round(cpu, 1), "cpu_s_per_report": round(cpu / max(reports, 1), 3),
            # On `jobs` quiet cores, the CPU spread evenly (start-up included).
            "projected_s_for_2000_on_2_cores": round(cpu / max(reports, 1) * 2000 / 2),
            # ru_maxrss: the largest single process (the workers are waited for by it);
            # the tree's figures add the workers up, sampled every 0.5 s.
            "export_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "export_tree_peak_rss_mb": round(tree_rss, 1), "export_tree_peak_pss_mb": round(tree_pss, 1),
            "exit_status": os.waitstatus_to_exitcode(status), "files": files}


def _watch(pid: int):
    """Wait for ``pid``, sampling its tree's memory: (status, rusage, peak RSS, peak PSS)."""
    tree_rss = tree_pss = 0.0
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, tree_rss, tree_pss
        rss, pss = _tree_memory(pid)
        tree_rss, tree_pss = max(tree_rss, rss), max(tree_pss, pss)
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["sample", "year"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--departments", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2, help="export_documents --jobs (one a core)")
    parser.add_argument("--reuse", action="store_true",
                        help="year: export the latest year already in the database (no generate_data)")
    args = parser.parse_args()
    load = os.getloadavg()
    if args.step == "sample":
        setup_django()
        result = sample(args.repeat)
    else:
        result = year(args.departments, args.jobs, args.reuse)
    result["load_average_at_start"], result["load_average_at_end"] = load, os.getloadavg()
    OUT.mkdir(exist_ok=True)
    (OUT / f"documents-{args.step}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
