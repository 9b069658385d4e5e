"""Issue 14.12: `make run` stops cleanly on SIGTERM to its own process, and gunicorn's log
lines are in the site's time zone, as Django's are (config/timezone.py)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_sigterm_to_make_run_stops_gunicorn(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/run.sqlite3", WEB_CONCURRENCY="1")
    make = subprocess.Popen(  # noqa: S603
        ["make", "-s", "run", f"PORT={port}"], cwd=ROOT, env=env,  # noqa: S607
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not _answers(port):
            assert make.poll() is None, "make run exited before serving"
            assert time.monotonic() < deadline, "make run did not start serving"
            time.sleep(0.5)
        make.send_signal(signal.SIGTERM)
        make.wait(timeout=40)
        deadline = time.monotonic() + 10
        while _answers(port):
            assert time.monotonic() < deadline, "gunicorn still serves after make stopped"
            time.sleep(0.5)
    finally:
        if make.poll() is None:
            make.kill()


def test_gunicorns_config_puts_the_process_in_the_sites_time_zone():
    code = (
        "import runpy, time; runpy.run_path('config/gunicorn.conf.py'); "
        "print(time.strftime('%z'))"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "TZ": "UTC"},
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.strip() == "+0800"
