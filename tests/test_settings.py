"""Settings fail loudly instead of running with insecure defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _import_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import config.settings as s; print(s.DATABASES['default']['ENGINE'])"],
        cwd=ROOT, env=clean, capture_output=True, text=True, check=False,
    )


def test_refuses_to_start_without_secret_key_when_not_debugging():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_starts_without_secret_key_in_debug_mode():
    result = _import_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_database_url_selects_postgresql_with_a_pool():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import config.settings as s; d=s.DATABASES['default']; print(d['ENGINE'], 'pool' in d['OPTIONS'])"],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "SECRET_KEY": "x", "DATABASE_URL": "postgres://u@127.0.0.1:5432/db"},
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "True"], result.stderr
