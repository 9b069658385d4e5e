"""The request layer under attack: whose X-Forwarded-For counts, where a sign-in lands,
what browsers may keep, and what the deploy settings switch on (issue 15.6, 15.16)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from evaluations.auth import forwarded_client_ip

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords_and_proxy_trust(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_CLIENT_IP_CALLABLE = "evaluations.auth.forwarded_client_ip"  # BEHIND_PROXY=1
    settings.TRUSTED_PROXIES = ["10.0.0.10", "10.1.0.0/24"]


# --- Proxy trust (15.6) --------------------------------------------------------------------


def _client_ip(remote: str, forwarded: str | None = None) -> str | None:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return forwarded_client_ip(type("Request", (), {"META": meta})())


@pytest.mark.parametrize(("remote", "forwarded", "client"), [
    # Straight to the app server: its own address, whatever it claims.
    ("198.51.100.50", "203.0.113.1", "198.51.100.50"),
    ("198.51.100.50", None, "198.51.100.50"),
    # Through nginx: the address nginx appended; what the client wrote before it is ignored.
    ("10.0.0.10", "203.0.113.7", "203.0.113.7"),
    ("10.0.0.10", "6.6.6.6, 203.0.113.7", "203.0.113.7"),
    # Two proxies of ours: the right-most address neither of them is.
    ("10.0.0.10", "6.6.6.6, 203.0.113.7, 10.1.0.5", "203.0.113.7"),
    # Rubbish where a proxy's entry should be: the last address we trust to have said it.
    ("10.0.0.10", "203.0.113.7, not-an-address", "10.0.0.10"),
    ("10.0.0.10", "", "10.0.0.10"),
    # A chain of only our own proxies: the farthest of them.
    ("10.0.0.10", "10.1.0.7", "10.1.0.7"),
])
def test_forwarded_for_is_believed_only_from_trusted_proxies(remote, forwarded, client):
    assert _client_ip(remote, forwarded) == client


def _sign_in(client, password, remote, forwarded):
    return client.post(
        LOGIN, {"username": "clerk", "password": password},
        REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.postgresql  # the lockout counts in the database
def test_a_new_forwarded_for_per_try_does_not_dodge_the_lockout(client, data_entry_user):
    """The red team's attack: the app server reached directly, a fresh X-Forwarded-For each time."""
    for n in range(20):
        response = _sign_in(client, "guess", "198.51.100.50", f"203.0.113.{n}")
    assert response.status_code == 429
    assert _sign_in(client, PASSWORD, "198.51.100.50", "203.0.113.200").status_code == 429


@pytest.mark.postgresql  # the lockout counts in the database
def test_rotating_the_forgeable_part_behind_nginx_does_not_dodge_it_either(client, data_entry_user):
    for n in range(5):
        _sign_in(client, "guess", "10.0.0.10", f"192.0.2.{n}, 203.0.113.7")
    assert _sign_in(client, PASSWORD, "10.0.0.10", "192.0.2.99, 203.0.113.7").status_code == 429
    # Someone else behind the same proxy is not locked out by it.
    assert _sign_in(client, PASSWORD, "10.0.0.10", "198.51.100.4").status_code == 302


@pytest.mark.postgresql  # the lockout counts in the database
def test_a_direct_caller_cannot_lock_out_someone_elses_address(client, data_entry_user):
    for _ in range(5):
        _sign_in(client, "guess", "198.51.100.50", "203.0.113.7")
    # The victim, really at 203.0.113.7 and coming through nginx, still signs in.
    assert _sign_in(client, PASSWORD, "10.0.0.10", "203.0.113.7").status_code == 302


def _settings_with(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "FORWARDED_ALLOW_IPS"}}
    clean.update({"SECRET_KEY": "x", "DEBUG": "0", **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import config.settings as s; "
         "print(s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SILENCED_SYSTEM_CHECKS, "
         "s.TRUSTED_PROXIES)"],
        cwd=ROOT, env=clean, capture_output=True, text=True, check=False,
    )


@pytest.mark.parametrize("value", ["*", "nginx.internal"])
def test_a_trusted_proxy_list_that_is_not_addresses_refuses_to_start(value):
    result = _settings_with(FORWARDED_ALLOW_IPS=value)
    assert result.returncode != 0
    assert "FORWARDED_ALLOW_IPS" in result.stderr


def test_the_trusted_proxy_list_defaults_to_this_machine():
    assert _settings_with().stdout.split(" ", 3)[3].strip() == "['127.0.0.1', '::1']"


# --- HSTS preload (15.16) ------------------------------------------------------------------


def test_hsts_preload_is_never_switched_on_by_hsts_alone():
    assert _settings_with(SECURE_HSTS_SECONDS="31536000").stdout.split()[:2] == ["False", "True"]


def test_hsts_preload_when_asked_and_a_decision_against_it_quiets_the_deploy_check():
    assert _settings_with(SECURE_HSTS_SECONDS="31536000", SECURE_HSTS_PRELOAD="1").stdout.startswith("True")
    result = _settings_with(SECURE_HSTS_SECONDS="31536000", SECURE_HSTS_PRELOAD="0")
    assert "'security.W021'" in result.stdout


# --- Where a sign-in lands (15.16) ---------------------------------------------------------


@pytest.mark.parametrize(("next_url", "lands_on"), [
    ("https://evil.example/", "/admin/"),
    ("//evil.example/admin/", "/admin/"),
    ("", "/admin/"),
    ("/admin/evaluations/report/", "/admin/evaluations/report/"),
])
def test_sign_in_lands_on_a_page_of_this_site(client, data_entry_user, next_url, lands_on):
    response = client.post(
        LOGIN, {"username": "clerk", "password": PASSWORD, "next": next_url}, REMOTE_ADDR="10.0.0.10"
    )
    assert response.status_code == 302
    assert response["Location"] == lands_on
    assert client.get(response["Location"]).status_code == 200


# --- What browsers may keep (15.16) --------------------------------------------------------


@pytest.mark.parametrize("url", ["/exports/reports.csv", "/exports/templates/reports.csv"])
def test_auditors_files_are_never_stored(client, superuser, url):
    client.force_login(superuser)
    response = client.get(url)
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert "public" not in cache_control


def test_there_is_no_i18n_mount_the_switcher_posts_to_language(client):
    assert client.post("/i18n/setlang/", {"language": "en"}).status_code == 404
    assert reverse("evaluations:set_language") == "/language/"


# --- NUL characters (15.9) -----------------------------------------------------------------


@pytest.mark.postgresql  # PostgreSQL refuses NUL in text: it was a 500 there
@pytest.mark.parametrize(("method", "path", "data"), [
    ("get", "/", {"q": "董家\x00塅"}),
    ("get", "/reports/2022/", {"sort": "\x00"}),
    ("get", "/data/2022/reports.csv", {"department": "\x00"}),
    ("get", "/admin/evaluations/report/", {"q": "\x00"}),
    ("get", "/admin/autocomplete/", {"term": "\x00", "app_label": "evaluations",
                                     "model_name": "report", "field_name": "department"}),
    ("post", "/language/", {"language": "en\x00", "next": "/"}),
    ("post", LOGIN, {"username": "clerk\x00", "password": "x"}),
])
def test_a_nul_anywhere_in_the_request_is_a_400(client, superuser, method, path, data):
    client.force_login(superuser)
    assert getattr(client, method)(path, data).status_code == 400


@pytest.mark.postgresql  # PostgreSQL refuses NUL in text: it was a 500 there
def test_a_nul_in_a_cookie_or_the_path_is_a_400(client, sample_report):
    assert client.get("/reports/2022/dong%00jiaduan/").status_code == 400
    client.cookies["sessionid"] = "\x00" * 32
    assert client.get("/").status_code == 400


def test_uploaded_files_may_hold_nul_bytes(client, superuser):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(superuser)
    upload = SimpleUploadedFile("book.xlsx", b"PK\x03\x04\x00\x00binary", "application/octet-stream")
    response = client.post("/admin/evaluations/report/import/", {"import_file": upload, "format": "0"})
    assert response.status_code != 400


def test_admin_guard_answers_empty_to_field_and_huge_ids_without_a_500(
    client, superuser, sample_report, data_entry_user
):
    from tests.evaluations.workflow_setup import build_world

    build_world(data_entry_user)
    client.force_login(superuser)
    change = f"/admin/evaluations/report/{sample_report.pk}/change/"
    assert client.get(change, {"_to_field": ""}).status_code == 400
    assert client.get(f"/admin/evaluations/report/{'9' * 25}/history/").status_code == 404
    assert client.get(f"/admin/evaluations/report/{'9' * 25}/change/").status_code in (302, 404)
    for bad in ("", "abc"):
        export = f"/admin/evaluations/report/export/?fiscal_year__id__exact={bad}"
        assert client.get(export).status_code == 400
        assert client.post(export, {"format": "0"}).status_code == 400
