"""No 500 for hostile parameters (issue 15.9): every public and admin URL of the URLconf, with
NUL characters, integers beyond 64 bits and malformed values in its path and its query, as
anonymous, department staff, reviewer and superuser, answers 4xx (or what it would anyway).

Runs on SQLite and on PostgreSQL (NUL is PostgreSQL's failure, huge integers SQLite's).
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from evaluations.admin.imports import DataAdminMixin
from tests.evaluations.workflow_setup import build_world, user_in

# On PostgreSQL too (`make test`'s second pass): a NUL reached PostgreSQL as a 500 (issue 15.9).
pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

HUGE = "9" * 25  # beyond 64 bits
# Every parameter is tried with each of these on its own ...
EACH = ["\x00", "a\x00b", HUGE, "-" + HUGE, "", "abc"]
# ... and all parameters at once with each of these (the admin's generic ones with EACH).
BUNDLED = EACH + ["1e5", "２０２２", "1.5", "0x10", "'\"<>", "%", "2022,,x", "-1"]
# What every role is tried with on every URL (and the admin's generic parameters).
BRIEF = ["\x00", HUGE, ""]

PUBLIC_PARAMETERS = ["q", "sort", "order", "page", "year", "department", "funding_source",
                     "status", "header", "bom", "format"]
ADMIN_PARAMETERS = ["q", "o", "p", "all", "e", "_to_field", "_popup", "_changelist_filters"]
# Path converters filled with a valid value and hostile ones; by parameter name.
PATH_VALUES = {
    "year": ["2022", HUGE, "0"],
    "department_code": ["dongjiaduan", HUGE],
    "dataset": ["reports", "indicators"],
    "object_id": ["1", HUGE, "-1", "abc", "%00"],
    "content_type_id": ["1", HUGE, "abc"],
}
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _routes(patterns, prefix=""):
    """(route, pattern) of every path() in the URLconf, prefixes included; re_path()s skipped."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and not route.startswith("^") and "(?P" not in route:
            yield route, pattern


def _paths(route: str) -> list[str]:
    names = CONVERTER.findall(route)
    choices = [PATH_VALUES.get(name, ["1", HUGE]) for _converter, name in names]
    paths = []
    for values in itertools.product(*choices):
        path = route
        for value in values:
            path = CONVERTER.sub(value, path, count=1)
        paths.append("/" + path)
    return paths


def _filter_parameters(model_admin, user) -> list[str]:
    """The query parameters a changelist's filters read, as Django's ChangeList builds them."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    return sorted({name for spec in changelist.filter_specs for name in spec.expected_parameters()})


@pytest.fixture
def people(data_entry_user, reviewer, superuser, sample_report):
    build_world(data_entry_user)
    return {
        "anonymous": None,
        "staff": data_entry_user,
        "reviewer": reviewer,
        "auditor": user_in("auditor", "auditor-2"),
        "superuser": superuser,
    }


def _check(client, failures, method, path, data=None):
    try:
        response = getattr(client, method)(path, data or {})
        if response.streaming:
            b"".join(response.streaming_content)  # a stream may fail after its 200
    except Exception as exc:  # raised through the test client: a 500 in production
        failures.append(f"{method.upper()} {path} {data!r}: {type(exc).__name__}: {exc}")
        return
    if response.status_code >= 500:
        failures.append(f"{method.upper()} {path} {data!r}: {response.status_code}")


EVERY_ROLE, PUBLIC, ADMIN = "every role", "public", "admin"
# Who is tried with which requests: everyone with each URL; the two ends with every value.
WHO = {
    "anonymous": {EVERY_ROLE, PUBLIC},
    "staff": {EVERY_ROLE},
    "reviewer": {EVERY_ROLE},
    "auditor": {EVERY_ROLE},
    "superuser": {EVERY_ROLE, PUBLIC, ADMIN},
}


def _requests(admin_site, superuser):
    """(method, path, data, for_whom): every URL with its hostile variants."""
    covered = set()
    for route, _pattern in _routes(get_resolver().url_patterns):
        # The first path has valid values: its query is fuzzed; the others, their path.
        valid, *hostile = _paths(route)
        is_admin = valid.startswith("/admin/")
        for path in hostile:
            yield "get", path, {}, EVERY_ROLE
        names = ADMIN_PARAMETERS if is_admin else PUBLIC_PARAMETERS
        for value in BRIEF if is_admin else BUNDLED:
            yield "get", valid, dict.fromkeys(names, value), EVERY_ROLE if value in BRIEF else PUBLIC
        if not is_admin:
            for name, value in itertools.product(names, EACH):
                yield "get", valid, {name: value}, PUBLIC
        covered.add(route)
    assert "reports/<int:year>/" in covered and "admin/" in covered
    yield from _admin_requests(admin_site, superuser)
    for value in BUNDLED:
        whom = EVERY_ROLE if value in BRIEF else PUBLIC
        yield "post", "/language/", {"language": value, "next": value}, whom
        yield "post", "/admin/login/", {"username": value, "password": value, "next": value}, whom


def _admin_requests(admin_site, superuser):
    """Each changelist filter one at a time, on the changelist and on its import and export
    pages (the export page reads the same filters); the upload and confirm forms' fields;
    each autocomplete field's parameters."""
    data_admins = 0
    for model, model_admin in admin_site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        base = f"/admin/{info[0]}/{info[1]}/"
        names = _filter_parameters(model_admin, superuser) + ["q"]
        for name, value in itertools.product(names, EACH):
            yield "get", base, {name: value}, ADMIN
        if isinstance(model_admin, DataAdminMixin):
            data_admins += 1
            export_names = sorted(set(names) | set(model_admin.export_filters))
            for name, value in itertools.product(export_names, EACH):
                yield "get", f"{base}export/", {name: value}, ADMIN
                yield "get", f"{base}import/", {name: value}, ADMIN
            for value in EACH:
                yield "post", f"{base}import/", {"dataset": value, "import_file": value}, ADMIN
                yield "post", f"{base}process_import/", {"token": value}, ADMIN
                yield "post", f"{base}process_import/", {"token": value, "cancel": "1"}, ADMIN
        for field in model_admin.autocomplete_fields:
            for value, key in itertools.product(EACH, ("term", "page", "model_name", "field_name")):
                data = {"app_label": info[0], "model_name": info[1], "field_name": field,
                        "term": "a", key: value}
                yield "get", "/admin/autocomplete/", data, ADMIN
    assert data_admins, "no admin with import and export pages was walked"


@pytest.mark.parametrize("role", ["anonymous", "staff", "reviewer", "auditor", "superuser"])
def test_no_hostile_parameter_gets_a_500(client, people, admin_site, role, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False  # hundreds of sign-ins from one address are the point here
    user = people[role]
    if user is not None:
        client.force_login(user)
    failures: list[str] = []
    for method, path, data, whom in _requests(admin_site, people["superuser"]):
        if whom in WHO[role]:
            _check(client, failures, method, path, data)
    assert not failures, f"{len(failures)} answers were 500s:\n" + "\n".join(failures[:40])
