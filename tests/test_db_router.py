"""config/db_router.py: which reads go to the replica (tests/evaluations/test_replica.py runs
against a real standby when DATABASE_REPLICA_URL names one; these run everywhere)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse, StreamingHttpResponse

from config import db_router
from config.db_router import PublicReadsRouter, on_primary, public_reads
from evaluations.models import Report
from indicators.models import Indicator

router = PublicReadsRouter()


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_public_views_read_report_data_from_the_replica(with_replica):
    seen = {}

    @public_reads
    def view(request):
        seen["report"] = router.db_for_read(Report)
        seen["indicator"] = router.db_for_read(Indicator)
        seen["user"] = router.db_for_read(get_user_model())  # sessions, sign-in: the primary
        seen["write"] = router.db_for_write(Report)
        return HttpResponse()

    view(None)
    assert seen == {"report": "replica", "indicator": "replica", "user": "default", "write": "default"}
    assert router.db_for_read(Report) == "default"  # outside a public view: the admin, commands


def test_a_streamed_body_reads_the_replica_too(with_replica):
    @public_reads
    def view(request):
        return StreamingHttpResponse(router.db_for_read(Report) for _ in range(2))

    assert list(view(None).streaming_content) == [b"replica", b"replica"]


def test_pinned_to_the_primary(with_replica):
    @public_reads
    def view(request):
        return HttpResponse(router.db_for_read(Report))

    with on_primary():
        assert view(None).content == b"default"


def test_without_a_replica_everything_reads_the_primary():
    @public_reads
    def view(request):
        return HttpResponse(router.db_for_read(Report))

    assert view(None).content == b"default"
    assert router.allow_migrate("replica", "evaluations") is False


@pytest.mark.parametrize("url", ["/", "/reports/2022/", "/data/", "/api/v1/years/", "/data/2022/reports.csv"])
def test_every_public_entry_point_is_marked(with_replica, url, monkeypatch, client, db):
    """Each public URL runs under public_reads (seen by the router's flag), the admin not."""
    flags = []

    def spy(self, model, **hints):
        flags.append(db_router._replica_reads.get())
        return "default"  # this test has no replica to read

    monkeypatch.setattr(PublicReadsRouter, "db_for_read", spy)
    monkeypatch.setattr("django.db.router.routers", [PublicReadsRouter()])
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    assert flags and all(flags), url
    flags.clear()
    client.get("/admin/login/")
    assert not any(flags)
