"""Production serving: the deploy check, the health check, the outage page, CSP, shared cache."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.db import InterfaceError, OperationalError, connections
from django.test import Client, override_settings

from tests.factories import ReportFactory

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "0",  # decided, as docs/deployment.md's environment does
}


def _run(args, **env):
    base = {
        k: v for k, v in os.environ.items()
        # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for this process; a deployment never has it.
        if k not in {
            "SECRET_KEY", "DEBUG", "TESTING", "REDIS_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env={**base, **env},
        capture_output=True, text=True, check=False,
    )


def _database_down(exc=OperationalError):
    """Every new cursor on the default database fails, as when PostgreSQL is unreachable."""
    return mock.patch.object(
        connections["default"], "cursor", side_effect=exc("could not connect to server")
    )


def test_deploy_check_passes_with_the_production_environment():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_deploy_check_fails_without_https_settings():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=secrets.token_urlsafe(50), DEBUG="0", ALLOWED_HOSTS="example.org",
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr
    assert "security.W008" in result.stderr


def test_cache_backend_follows_the_environment():
    code = "import config.settings as s; print(s.CACHES['default']['BACKEND'])"
    default = _run(["-c", code], SECRET_KEY="x")
    redis = _run(["-c", code], SECRET_KEY="x", REDIS_URL="redis://127.0.0.1:6379/1")
    assert default.stdout.strip() == "django.core.cache.backends.db.DatabaseCache", default.stderr
    assert redis.stdout.strip() == "django.core.cache.backends.redis.RedisCache", redis.stderr


@pytest.mark.django_db
def test_database_cache_is_shared_through_the_database():
    """What one app server caches, another on the same database reads: it is a table row."""
    cache.set("shared-key", "值", 60)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_cache WHERE cache_key LIKE %s", ["%shared-key"])
        assert cursor.fetchone()[0] == 1
    other_server = DatabaseCache("django_cache", {})  # a separate instance, as in another process
    assert other_server.get("shared-key") == "值"


def test_sessions_are_stored_in_the_database(settings):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("exc", [OperationalError, InterfaceError])
def test_healthz_answers_503_when_the_database_is_unreachable(client, exc):
    with _database_down(exc):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def _assert_outage_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "服务暂时不可用" in body
    assert "Traceback" not in body
    assert "could not connect" not in body
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/reports/2023/", "/reports/2023/dept-0001/", "/departments/x/"])
@pytest.mark.parametrize("debug", [False, True])
def test_database_outage_gives_the_503_page_on_public_urls(url, debug, settings):
    settings.DEBUG = debug
    with _database_down():
        response = Client(raise_request_exception=False).get(url)
    _assert_outage_page(response)


@pytest.mark.django_db
def test_the_cause_goes_to_the_log_not_to_the_visitor(caplog):
    with _database_down():
        response = Client(raise_request_exception=False).get("/")
    assert "could not connect" not in response.content.decode()
    assert "database unavailable: could not connect to server" in caplog.text


@pytest.mark.django_db
def test_interface_error_gives_the_503_page_too():
    with _database_down(InterfaceError):
        response = Client(raise_request_exception=False).get("/")
    _assert_outage_page(response)


class _DatabaseTouchingMiddleware:
    """Stands for a middleware (a cache lookup, the session) that reaches the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return self.get_response(request)


@pytest.mark.django_db
def test_outage_in_a_middleware_is_a_503_page_not_a_500(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_serving._DatabaseTouchingMiddleware"]
    with _database_down():
        response = Client(raise_request_exception=False).get("/")
    _assert_outage_page(response)


@pytest.mark.django_db
def test_other_errors_still_give_a_plain_500(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_serving._DatabaseTouchingMiddleware"]
    with mock.patch.object(connections["default"], "cursor", side_effect=ValueError("bug")):
        response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.django_db
def test_public_pages_send_a_strict_content_security_policy(client):
    report = ReportFactory(status="published")
    response = client.get(report.get_absolute_url())
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@override_settings(SECURE_SSL_REDIRECT=True)
@pytest.mark.django_db
def test_health_check_is_not_redirected_to_https(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


@pytest.mark.django_db
def test_import_preview_file_waits_in_the_shared_database(client, superuser):
    """The admin's preview and confirm may reach different app servers: the uploaded file
    is kept in the database (PendingImport), never in one server's /tmp, and not in the
    cache either, whose pruning dropped pending uploads (issue 15.8)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from evaluations.models import PendingImport

    client.force_login(superuser)
    data = b"code,name\r\ndept,Dept\r\n"
    response = client.post(reverse("admin:evaluations_department_import"), {
        "dataset": "departments", "import_file": SimpleUploadedFile("d.csv", data),
    })
    assert response.status_code == 200
    assert bytes(PendingImport.objects.get().data) == data
    with connections["default"].cursor() as cursor:  # nothing of it in the cache table
        cursor.execute("SELECT COUNT(*) FROM django_cache")
        assert cursor.fetchone()[0] == 0
