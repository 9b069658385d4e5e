"""Shared fixtures: users in each role, and the sample report."""

import pytest
from django.contrib.auth.models import Group
from hypothesis import settings

from tests.factories import UserFactory, seed_funding_sources

# Property tests assert results, not speed (timings belong in bench/): on a loaded machine a
# first example may take longer than Hypothesis's 200 ms deadline and fail as "flaky".
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


@pytest.fixture
def admin_site():
    """The admin site as a request finds it: config/urls.py discovers its modules."""
    from django.contrib import admin
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (loading the URLconf is the point)
    return admin.site


@pytest.fixture
def sample_report(db):
    from evaluations.sample import load_sample_report

    # A transactional test earlier on this worker may have flushed the migrated sources.
    seed_funding_sources()
    return load_sample_report()


def _user_in(group: str, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def data_entry_user(db):
    return _user_in("data_entry", username="clerk")


@pytest.fixture
def reviewer(db):
    return _user_in("reviewer", username="reviewer")


@pytest.fixture
def auditor(db):
    return _user_in("auditor", username="auditor")


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in English leaves English active in this thread; later tests expect Chinese."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_local_page_cache():
    """Rendered pages kept in this process must not leak from one test into the next."""
    from evaluations.public import page_cache, year_index

    page_cache._local.clear()
    year_index._tables.clear()
    yield
    page_cache._local.clear()
    year_index._tables.clear()


def pytest_collection_modifyitems(config, items):
    """Tests marked postgresql_only are skipped on another database (and count as postgresql:
    `make test` runs those again on a throwaway PostgreSQL when one answers)."""
    from django.db import connection

    on_postgresql = connection.vendor == "postgresql"
    skip = pytest.mark.skip(
        reason="PostgreSQL only: `make test` runs it on a throwaway PostgreSQL when one answers"
    )
    for item in items:
        if item.get_closest_marker("postgresql_only"):
            item.add_marker(pytest.mark.postgresql)
            if not on_postgresql:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_directory(settings, tmp_path_factory):
    """Files a test stores (the official documents) never land in the checkout's media/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
