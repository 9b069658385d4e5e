"""Where the indicators export's time goes, in CPU seconds (issue 17: ≥ 0.8 × COPY's speed).

    DATABASE_URL=postgres://…/jixiao_bench .venv/bin/python bench/export_cpu.py [--repeat 3] [--stored]

Wall times on the shared two-core machine vary by a third from one run to the next; the CPU
seconds each process spends hardly do, so this counts them, on the database `bench/run.sh
generate` left (the PostgreSQL server must run on this machine: a backend's CPU is read from
/proc). Each figure is the best of ``--repeat`` runs:

  anchor    COPY indicators_indicator TO STDOUT (FORMAT csv): the backend; the reading client
  walk      the export's statement (exports/pg.py, one part) with its cells unformatted: the
            walk in document order through the indexes, without the formats
  export    the export's statement as it is: the backend; this client reading it as the export
            does (exports/pg.py's _read_copy)
  command   `manage.py export_data indicators --header keys --output F`: the process's CPU
  start-up  `manage.py export_data` of nothing (Django's start-up), and `manage.py check`
  download  with --download: `/exports/indicators.csv?header=keys` from gunicorn (bench.py's
            server and auditor's session) with curl: the workers, their backends and curl
  stored    with --stored: the stored rows of published reports (exports/stored.py) written
            for every report in both header modes (exports/storing.py, as generate_data does),
            then read as the export reads them; the bytes are compared with the statement's.
            `command` reads them too when every report has valid ones (generate_data's).

It prints them and the floor they set on the wall time with the machine's cores, none idle:
a process cannot finish before its CPU seconds are spent, and two cores spend at most two
CPU seconds a second.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import translation  # noqa: E402

from evaluations import datasets as ds  # noqa: E402
from evaluations.exports import pg, sql, storing  # noqa: E402
from evaluations.exports import stored as stored_rows  # noqa: E402
from evaluations.models import Report  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(cursor) -> float:
    cursor.execute("SELECT pg_backend_pid()")
    (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def thread_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


def stream(cursor, statement: str, params: list, digest=None) -> dict:
    """Run a COPY … TO STDOUT and read it as the export does (the pieces dropped, or hashed
    into ``digest`` in an untimed run); CPU of both ends and wall time."""
    server, client, started = backend_cpu(cursor), thread_cpu(), time.monotonic()
    with cursor.cursor.copy(statement, params):
        for piece in pg._read_copy(cursor.cursor.connection):
            if digest is not None:
                digest.update(piece)
    return {"wall": time.monotonic() - started, "client_cpu": thread_cpu() - client,
            "server_cpu": backend_cpu(cursor) - server}


def best(runs: list[dict]) -> dict:
    # CPU and wall: the least of the runs; backends closed during a run (then uncounted): the most.
    return {key: round((max if key == "backends_closed" else min)(r[key] for r in runs), 2)
            for key in runs[0]}


def raw_cells(header: str) -> dict:
    """The export's row cells unformatted (the walk; the slots format their codes as ever)."""
    slotted = sql.indicator_cells(header)
    return {c.key: slotted[c.key] if sql._in_slot(c) else sql._source(c)
            for c in ds.INDICATORS.columns}


def statement(header: str, cells=None) -> tuple[str, list]:
    original = pg.indicator_cells
    pg.indicator_cells = cells or original
    try:
        text, params, at = pg.copy_statement(header)
    finally:
        pg.indicator_cells = original
    ids, years, codes = pg.report_order(Report.objects.all())
    return text, [*params[:at], ids, years, codes, *params[at:]]


def child_cpu(args: list[str]) -> dict:
    started = time.monotonic()
    _, status, usage = os.wait4(subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ).pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, args
    return {"wall": time.monotonic() - started, "cpu": usage.ru_utime + usage.ru_stime}


def stored(cursor, header: str, repeat: int) -> dict:
    """The stored rows (exports/stored.py): writing them for every report, both header modes
    (as generate_data and `manage.py store_rows` do), then reading them as the export does."""
    ids = list(Report.objects.values_list("pk", flat=True))
    server, client, started = backend_cpu(cursor), thread_cpu(), time.monotonic()
    storing.store(ids)  # on this connection: its backend's CPU is the statements'
    store = {"wall": round(time.monotonic() - started, 2),
             "client_cpu": round(thread_cpu() - client, 2),
             "server_cpu": round(backend_cpu(cursor) - server, 2), "reports": len(ids)}
    statement, params, _at = pg.copy_statement(header)
    kept = stored_rows.kept_rows(ds.INDICATORS.name, header, stored_rows.digest(statement, params))
    stored_ids = stored_rows.report_plan(Report.objects.all(), kept)[3]
    assert stored_ids is not None, "some report has no valid stored rows"
    runs = []
    for n in range(repeat + 1):  # the last run untimed, its bytes hashed
        digest = hashlib.md5(usedforsecurity=False)
        server, client, begun = backend_cpu(cursor), thread_cpu(), time.monotonic()
        for piece in pg._read_stored(connection, cursor, stored_ids):
            if n == repeat:
                digest.update(piece)
        runs.append({"wall": time.monotonic() - begun, "client_cpu": thread_cpu() - client,
                     "server_cpu": backend_cpu(cursor) - server})
    return {**best(runs[:-1]), "store": store, "md5": digest.hexdigest()}


def proc_cpu(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    return 0.0


def _backends(cursor) -> list[int]:
    cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                   " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
    return [pid for (pid,) in cursor.fetchall()]


def download(cursor, repeat: int) -> dict:
    """The auditor's download, with the CPU of every process it runs on."""
    from bench import bench as harness  # its gunicorn and auditor's session

    harness.OUT.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(harness.AUDITOR_SESSION, {})  # noqa: S102 - the bench's own code
    cookie = printed.getvalue().strip().splitlines()[-1]
    # Pools that keep their connections, so each backend is there before and after a run.
    env = {**os.environ, "BIND": f"127.0.0.1:{harness.PORT}", "SESSION_COOKIE_SECURE": "0",
           "DB_POOL_MIN": "4"}
    runs = []
    with harness.gunicorn(env) as (base, server):
        curl = ["curl", "-sS", "--fail", "--max-redirs", "0", "-b", cookie, "-o", os.devnull,
                f"{base}/exports/indicators.csv?header=keys"]
        for n in range(repeat + 1):  # the first warms the workers and their pools
            workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                     text=True).stdout.split()
            backends = _backends(cursor)
            before, started = {pid: proc_cpu(pid) for pid in backends}, time.monotonic()
            workers_before = sum(proc_cpu(int(w)) for w in workers)
            _, status, usage = os.wait4(subprocess.Popen(curl).pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0, "the download failed"
            wall = time.monotonic() - started
            after = _backends(cursor)  # one opened meanwhile counts whole, as before it was 0
            backends_cpu = sum(proc_cpu(pid) - before.get(pid, 0.0) for pid in after)
            if n:
                runs.append({
                    "wall": wall, "curl_cpu": usage.ru_utime + usage.ru_stime,
                    "workers_cpu": sum(proc_cpu(int(w)) for w in workers) - workers_before,
                    "server_cpu": backends_cpu, "backends_closed": len(set(before) - set(after)),
                })
    return best(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--header", choices=["keys", "labels"], default="keys")
    parser.add_argument("--stored", action="store_true", help="also the stored rows: written, read")
    parser.add_argument("--download", action="store_true", help="also the download from gunicorn")
    options = parser.parse_args()
    translation.activate(os.environ.get("LANGUAGE_CODE", "zh-hans"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", "config", "evaluations", "indicators",
                    "common"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    result = {"load_average_at_start": os.getloadavg(), "cores": os.cpu_count()}
    export, walk = statement(options.header), statement(options.header, raw_cells)
    anchor = ("COPY indicators_indicator TO STDOUT (FORMAT csv)", [])
    runs = {"anchor": [], "walk": [], "export": [], "command": [], "startup": [], "check": []}
    output = ROOT / "bench" / "out" / "export_cpu.csv"
    output.parent.mkdir(exist_ok=True)
    with connection.cursor() as cursor:
        # The export's own planner settings (exports/pg.py): no sort, no parallel workers, no JIT.
        pg._set_planner(cursor, local=False)
        for _ in range(options.repeat):
            runs["anchor"].append(stream(cursor, *anchor))
            runs["walk"].append(stream(cursor, *walk))
            runs["export"].append(stream(cursor, *export))
            runs["command"].append(child_cpu(["export_data", "indicators", "--header", "keys",
                                              "--output", str(output)]))
            runs["startup"].append(child_cpu(["export_data", "departments", "--year", "1",
                                              "--output", os.devnull]))
            runs["check"].append(child_cpu(["check", "-v0"]))
        result.update({name: best(values) for name, values in runs.items()})
        output.unlink()
        if options.download:
            result["download"] = download(cursor, options.repeat)
        if options.stored:
            digest = hashlib.md5(usedforsecurity=False)
            stream(cursor, *export, digest=digest)
            result["stored"] = stored(cursor, options.header, options.repeat)
            result["stored"]["same_bytes_as_export"] = result["stored"].pop("md5") == digest.hexdigest()
    result["floor"] = floor(result)
    print(json.dumps(result, indent=2))


def floor(r: dict) -> dict:
    """The least wall time each can take on this machine's cores, and the best speed ratio."""
    cores = r["cores"]
    anchor = max(r["anchor"]["server_cpu"], r["anchor"]["client_cpu"])  # two processes at once
    server, parts = r["export"]["server_cpu"], django.conf.settings.EXPORT_SPLIT_PARTS
    stream_floor = max((server + r["export"]["client_cpu"]) / cores, server / min(parts, cores))
    # The command: its start-up first, alone; then its backends and its own reading and writing.
    command = r["command"]["cpu"] - r["startup"]["cpu"]
    out = {
        "anchor_seconds": round(anchor, 2),
        "download_seconds": round(stream_floor, 2),
        "export_data_seconds": round(
            r["startup"]["cpu"] + max((server + command) / cores, server / min(parts, cores)), 2),
    }
    if "download" in r:  # the workers and curl share the cores with the backends
        d = r["download"]
        out["download_seconds"] = round(max(
            (d["server_cpu"] + d["workers_cpu"] + d["curl_cpu"]) / cores, stream_floor), 2)
    out["download_best_ratio"] = round(anchor / out["download_seconds"], 2)
    out["export_data_best_ratio"] = round(anchor / out["export_data_seconds"], 2)
    if "stored" in r:
        stored_work = max(r["stored"]["server_cpu"], r["stored"]["client_cpu"])
        out["stored_export_data_seconds"] = round(r["startup"]["cpu"] + stored_work, 2)
        out["stored_export_data_best_ratio"] = round(anchor / out["stored_export_data_seconds"], 2)
    return out


if __name__ == "__main__":
    main()
