"""gunicorn settings: threaded workers, bounded requests, logs to stdout.

Every value can be overridden from the environment (docs/deployment.md). gunicorn itself
also reads FORWARDED_ALLOW_IPS: set it to the nginx host's address when nginx runs on
another machine, so X-Forwarded-Proto is trusted only from there.
"""

import multiprocessing
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from config.timezone import use_site_time_zone  # noqa: E402

# The master logs in the site's zone, as the workers do once Django loads (config/timezone.py).
use_site_time_zone()

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
# One process per core, a few threads each: pages wait on PostgreSQL more than on Python.
# Each process keeps its own connection pool (DB_POOL_MAX, at least `threads`), so one app
# server holds up to workers × DB_POOL_MAX connections.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# For gthread workers this only kills a process whose main loop is stuck: a long streamed
# export runs in a request thread and keeps the worker alive. nginx bounds request time.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never becomes an outage; rarely, because a
# worker's start (Django, the URLconf and admin, a new pool, the pages' local copies) costs
# about 0.6 s of a core. At 2,000 requests the bench's year index (600 req/s) restarted a
# worker every few seconds: 58 starts in 2 minutes, p99 590 ms, against 212 ms without.
# The workers' memory stayed flat at 69–71 MB over 60,000 requests (bench/RESULTS.md).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 50_000))
max_requests_jitter = max_requests // 10
# Not preloaded: the database pool must be created in each worker, never shared by fork.
preload_app = False
# Heartbeat files in memory, so a slow disk cannot make healthy workers look stuck
# (gunicorn creates them with mkstemp and unlinks them at once).
SHM = Path("/dev/shm")  # noqa: S108
if SHM.is_dir():
    worker_tmp_dir = str(SHM)
accesslog = "-"
errorlog = "-"
wsgi_app = "config.wsgi:application"
