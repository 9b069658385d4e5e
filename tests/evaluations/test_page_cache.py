"""Public pages cached in the shared cache under their version stamp (evaluations.page_cache)."""

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.http import HttpResponse
from django.test import RequestFactory

from evaluations.public import page_cache
from evaluations.public.page_cache import cached_page, page_key

pytestmark = pytest.mark.django_db


class View:
    """Counts renders, as a page view would do its expensive work."""

    def __init__(self, status=200, cookie=False):
        self.renders = 0
        self.status = status
        self.cookie = cookie

    def __call__(self):
        self.renders += 1
        response = HttpResponse(f"page {self.renders}", status=self.status)
        if self.cookie:
            response.set_cookie("visitor", "1")
        return response


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60


def get(path="/reports/2023/"):
    return RequestFactory().get(path)


def test_a_page_is_rendered_once_per_stamp():
    view = View()
    assert cached_page(get(), "stamp-1", view).content == b"page 1"
    assert cached_page(get(), "stamp-1", view).content == b"page 1"
    assert view.renders == 1


def test_a_new_stamp_renders_again_so_publishing_shows_at_once():
    view = View()
    cached_page(get(), "before-publish", view)
    assert cached_page(get(), "after-publish", view).content == b"page 2"
    assert view.renders == 2


def test_the_query_string_is_part_of_the_key():
    view = View()
    cached_page(get("/reports/2023/?sort=total"), "s", view)
    cached_page(get("/reports/2023/?sort=score"), "s", view)
    assert view.renders == 2


def test_a_hit_in_this_process_costs_no_query_and_elsewhere_one(django_assert_num_queries):
    view = View()
    cached_page(get(), "s", view)
    with django_assert_num_queries(0):
        assert cached_page(get(), "s", view).content == b"page 1"
    page_cache._local.clear()  # as on another app server
    with django_assert_num_queries(1):
        assert cached_page(get(), "s", view).content == b"page 1"
    assert view.renders == 1


def test_local_copies_are_fresh_responses_and_bounded():
    view = View()
    first = cached_page(get(), "s", view)
    again = cached_page(get(), "s", view)
    again["X-Added-By-Middleware"] = "1"
    assert cached_page(get(), "s", view).get("X-Added-By-Middleware") is None
    assert first is not again
    for n in range(page_cache.LOCAL_ENTRIES + 5):
        cached_page(get(f"/reports/{n}/"), "s", view)
    assert len(page_cache._local) == page_cache.LOCAL_ENTRIES


def test_another_app_server_reads_what_one_cached():
    """Two gunicorn instances on one database: the cache is a table, not process memory."""
    view = View()
    cached_page(get(), "s", view)
    other_server = DatabaseCache("django_cache", {})  # a separate instance, as in another process
    assert other_server.get(page_key(get(), "s")).content == b"page 1"


@pytest.mark.parametrize("view", [View(status=404), View(status=500), View(cookie=True)])
def test_errors_and_pages_setting_cookies_are_not_kept(view):
    cached_page(get(), "s", view)
    cached_page(get(), "s", view)
    assert view.renders == 2


def test_posts_missing_stamps_and_a_zero_timeout_bypass_the_cache(settings):
    view = View()
    cached_page(RequestFactory().post("/reports/2023/"), "s", view)
    cached_page(RequestFactory().post("/reports/2023/"), "s", view)
    cached_page(get(), None, view)
    cached_page(get(), None, view)
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    cached_page(get(), "s", view)
    cached_page(get(), "s", view)
    assert view.renders == 6


def test_public_report_page_renders_once_then_costs_two_queries(
    client, sample_report, settings, django_assert_num_queries
):
    from django.core.cache import cache

    cache.clear()
    url = sample_report.get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200
    # Another app server: the stamp, then the page from the shared (database) cache.
    page_cache._local.clear()
    with django_assert_num_queries(2):
        second = client.get(url)
    # This one again: the stamp only.
    with django_assert_num_queries(1):
        assert client.get(url).content == first.content
    assert second.content == first.content
    sample_report.problems += "更正。"
    sample_report.save()
    assert "更正。" in client.get(url).content.decode()


@pytest.fixture
def fresh_code_version():
    page_cache.code_version.cache_clear()
    yield page_cache.code_version
    page_cache.code_version.cache_clear()


def test_the_code_version_follows_templates_code_translations_and_static_names(
    settings, tmp_path, fresh_code_version
):
    settings.BASE_DIR, settings.STATIC_ROOT = tmp_path, tmp_path / "staticfiles"
    (tmp_path / "templates").mkdir()
    template = tmp_path / "templates" / "year.html"
    template.write_text("<h1>{{ year }}</h1>")
    versions = [fresh_code_version()]

    def changed() -> bool:
        fresh_code_version.cache_clear()
        versions.append(fresh_code_version())
        return versions[-1] != versions[-2]

    assert not changed()  # the same files, the same version
    template.write_text("<h1>{{ year }} 年</h1>")
    assert changed()
    (tmp_path / "evaluations").mkdir()
    (tmp_path / "evaluations" / "formatting.py").write_text("PLACES = 2\n")
    assert changed()
    (tmp_path / "evaluations" / "notes.md").write_text("not rendered")
    assert not changed()
    settings.STATIC_ROOT.mkdir()
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    manifest.write_text('{"paths": {"site.css": "site.1a2b.css", "app.js": "app.9f8e.js"}}')
    assert changed()
    # Another server's collectstatic may list the same files in another order.
    manifest.write_text('{"paths": {"app.js": "app.9f8e.js", "site.css": "site.1a2b.css"}}')
    assert not changed()
    manifest.write_text('{"paths": {"app.js": "app.0000.js", "site.css": "site.1a2b.css"}}')
    assert changed()
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "django.mo").write_bytes(b"compiled on this server")
    assert not changed()  # each server compiles its own; the .po is the release's
    (tmp_path / "locale" / "django.po").write_text('msgid "年度"\nmsgstr "Year"\n')
    assert changed()


def test_a_release_renders_the_public_pages_again(client, sample_report, monkeypatch):
    from evaluations.public import stamp

    url = "/reports/2022/"
    monkeypatch.setattr(stamp, "code_version", lambda: "release-1")
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    monkeypatch.setattr(stamp, "code_version", lambda: "release-2")
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
