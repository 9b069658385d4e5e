"""Start-up: the admin is discovered with the URLconf and by the system checks, not before.

Each test runs a new Python process: within the test run the URLconf is long loaded.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (openpyxl came with django-import-export's admin; now only reading an XLSX loads it.)
ADMIN_MODULES = ("evaluations.admin.reports", "evaluations.admin.indicators", "evaluations.admin.imports")


def _in_new_process(code: str) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    env.pop("DATABASE_URL", None)  # nothing here touches the database
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django, sys\ndjango.setup()\n" + code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def _loaded() -> str:
    return f"print(*[m in sys.modules for m in {ADMIN_MODULES!r}])"


def test_setup_imports_no_admin_module():
    assert _in_new_process(_loaded()) == ["False"] * len(ADMIN_MODULES)


def test_loading_the_urlconf_registers_every_admin():
    out = _in_new_process(
        "from django.urls import reverse\n"
        "print(reverse('admin:indicators_indicator_changelist'))\n"
        "from django.contrib import admin\n"
        "print(len(admin.site._registry) > 6)\n" + _loaded()
    )
    assert out == ["/admin/indicators/indicator/", "True"] + ["True"] * len(ADMIN_MODULES)


def test_admin_checks_see_every_model_admin():
    # The admin check alone, with no URLconf loaded: it must discover the admin modules first.
    out = _in_new_process(
        "from django.core import checks\n"
        "from django.contrib import admin\n"
        "from evaluations.models import Report\n"
        "print(checks.run_checks(tags=[checks.Tags.admin]) == [])\n"
        "print(Report in admin.site._registry)\n"
        "print('django.urls.resolvers' in sys.modules and 'config.urls' in sys.modules)\n"
    )
    assert out == ["True", "True", "False"]


def test_a_gunicorn_worker_loads_the_urlconf_as_it_starts():
    # config.wsgi calls django.setup() itself; the in-process setup above is harmless.
    assert _in_new_process("import config.wsgi\n" + _loaded()) == ["True"] * len(ADMIN_MODULES)
