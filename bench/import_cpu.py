"""Where the indicators import's time goes, in CPU seconds of this process and of its backend.

    DATABASE_URL=postgres://…/jx_p20 .venv/bin/python bench/import_cpu.py --setup 40
    DATABASE_URL=postgres://…/jx_p20 .venv/bin/python bench/import_cpu.py [--repeat 3] [--profile F]

``--setup N`` fills the database (migrated, empty) with ``generate_data`` for N departments
× 5 years × 10 tables × 10 indicators (N = 40: 20,000 rows), exports the indicators to
bench/out/import_cpu.csv and notes their fingerprint. Each run then empties the indicators and
their history, imports the file in this process as ``manage.py import_data`` does (its
``import_file``) and checks the rows came back identical. Wall times on the shared two-core
machine vary by a third from one run to the next; the CPU seconds hardly do. The figure is the
least of ``--repeat`` runs: process CPU (every thread), the backend's CPU (read from /proc: the
server must run on this machine), the backend's CPU in the main thread's own statements
(:class:`Serial`), and wall; the critical path is the process's CPU plus that: the wall time on
two idle cores (the load on this shared machine makes the wall itself no figure).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("IMPORT_MAX_ROWS", "2000000")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from evaluations import datasets as ds  # noqa: E402
from evaluations.imports import import_file  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
CSV = ROOT / "bench" / "out" / os.environ.get("IMPORT_CPU_CSV", "import_cpu.csv")
FINGERPRINT = ("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM "
               "(SELECT report_id, project_id, position, name, target_value, actual_value, "
               "weight, score, deviation, final_score FROM indicators_indicator) t")


def backend_cpu() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


def value(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


class Serial:
    """The backend's CPU seconds in this process's own statements (including its reads of a
    server-side cursor and the commit), less the waits for the background write inside them:
    the server's share of the critical path. The background writes (``waits``: the part the
    main thread waited for on this machine, which its load inflates) run beside Python on
    two idle cores, as long as each is shorter than the next chunk's planning."""

    def __init__(self) -> None:
        self.own = self.waits = 0.0
        self.depth = 0

    def wrap(self, owner, name: str, waits: bool = False) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            outer = waits or self.depth == 0
            self.depth += 1
            before = backend_cpu_raw() if outer else 0.0
            try:
                return original(*args, **kwargs)
            finally:
                self.depth -= 1
                if waits:
                    self.waits += backend_cpu_raw() - before
                    if self.depth:  # inside a statement: not the statement's own
                        self.own -= backend_cpu_raw() - before
                elif outer:
                    self.own += backend_cpu_raw() - before
        setattr(owner, name, timed)

    def install(self) -> None:
        from django.db.backends.utils import CursorWrapper
        from psycopg import Connection, ServerCursor

        self.wrap(CursorWrapper, "_execute_with_wrappers")
        self.wrap(ServerCursor, "fetchmany")
        self.wrap(Connection, "commit")
        try:
            from evaluations.imports.background import BackgroundWrites
        except ImportError:  # before the writes ran in the background: the COPYs are its own
            from evaluations.imports.pg_writer import CopyWriter
            self.wrap(CopyWriter, "copy")
        else:
            self.wrap(BackgroundWrites, "wait", waits=True)


BACKEND: list[int] = []


def backend_cpu_raw() -> float:
    if not BACKEND:  # before the run's backend is known
        return 0.0
    fields = Path(f"/proc/{BACKEND[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


SERIAL = Serial()


def setup(departments: int) -> None:
    call_command("generate_data", departments=departments, years=5, projects=9, indicators=10,
                 seed=2, verbosity=0)
    CSV.parent.mkdir(parents=True, exist_ok=True)
    call_command("export_data", "indicators", header="keys", output=str(CSV))
    CSV.with_suffix(".md5").write_text(value(FINGERPRINT))
    print(f"{value('SELECT count(*) FROM indicators_indicator')} rows in {CSV}")


def empty() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE indicators_indicator, indicators_historicalindicator CASCADE")
        cursor.execute("CHECKPOINT")


def one_run(profile: str | None) -> dict:
    BACKEND.clear()
    empty()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        BACKEND[:] = [cursor.fetchone()[0]]
    SERIAL.own = SERIAL.waits = 0.0
    server, client, started = backend_cpu(), process_cpu(), time.monotonic()
    main = thread_cpu()
    profiler = cProfile.Profile() if profile else None
    with CSV.open("rb") as file:
        if profiler:
            profiler.enable()
        result = import_file(ds.DATASETS["indicators"], file, filename=CSV.name)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
    run = {"wall": time.monotonic() - started, "process_cpu": process_cpu() - client,
           "main_thread_cpu": thread_cpu() - main, "server_cpu": backend_cpu() - server,
           "server_cpu_own_statements": SERIAL.own, "server_cpu_waited_for_writes": SERIAL.waits}
    # The wall time on two idle cores: Python's CPU (its threads share one interpreter lock)
    # plus the server's work on the main thread's own statements.
    run["critical_path"] = run["process_cpu"] + run["server_cpu_own_statements"]
    assert not result.errors, result.errors[:5]
    run["same_rows"] = value(FINGERPRINT) == CSV.with_suffix(".md5").read_text()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", type=int, metavar="DEPARTMENTS")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="cProfile the last run into FILE")
    options = parser.parse_args()
    if options.setup:
        setup(options.setup)
        return
    SERIAL.install()
    runs = [one_run(options.profile if n == options.repeat - 1 else None)
            for n in range(options.repeat)]
    best = {key: round(min(r[key] for r in runs), 3) for key in ("wall", "process_cpu", "main_thread_cpu", "server_cpu",
                                                     "server_cpu_own_statements",
                                                     "server_cpu_waited_for_writes", "critical_path")}
    best["same_rows"] = all(r["same_rows"] for r in runs)
    best["load"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps({"runs": runs, "best": best}, indent=1))


if __name__ == "__main__":
    main()
