"""Public pages, open data and the API against a real PostgreSQL streaming replica.

Runs when DATABASE_REPLICA_URL names a standby of DATABASE_URL's server (.ci/replica.sh
starts one with pg_basebackup -R); skipped otherwise. The data is committed on the primary
(a transactional test), the test waits until the standby has replayed it, then reads the
public side and checks every report query went to the replica. Replica lag is shown by
pausing the standby's replay: a reader keeps seeing the last replayed state (docs/scaling.md).
"""

from __future__ import annotations

import time

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from config.db_router import REPLICA
from evaluations import workflow
from evaluations.models import Report
from tests.evaluations.api_helpers import scored_report
from tests.evaluations.public_helpers import grow_report

pytestmark = [
    pytest.mark.replica,
    pytest.mark.postgresql_only,
    pytest.mark.skipif(REPLICA not in connections.settings, reason="DATABASE_REPLICA_URL is not set"),
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA], serialized_rollback=True),
]

PUBLIC_URLS = [
    "/", "/reports/2022/", "/reports/2022/a/", "/departments/a/", "/departments/a/indicators/",
    "/rankings/2023/", "/data/", "/data/2022/indicators.csv", "/data/2022/reports.csv",
    "/data/2022/datapackage.json", "/api/v1/years/", "/api/v1/departments/",
    "/api/v1/reports/?year=2022", "/api/v1/reports/2022/a/",
]


def caught_up(timeout: float = 20.0) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail(f"the replica did not replay {lsn} within {timeout} s")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_connection_is_a_standby():
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False


def test_public_side_reads_the_replica(client):
    report = scored_report("a", 2022)
    grow_report(report, 2)
    scored_report("a", 2023, actual="5")
    scored_report("secret", 2022, status=Report.Status.DRAFT)
    caught_up()
    for url in PUBLIC_URLS:
        with CaptureQueriesContext(connections[REPLICA]) as on_replica, \
                CaptureQueriesContext(connections["default"]) as on_primary:
            response = client.get(url)
            body = _body(response)
        assert response.status_code == 200, (url, body[:300])
        assert b"secret" not in body, url
        assert len(on_replica) > 0, url
        tables = " ".join(q["sql"] for q in on_primary.captured_queries)
        # The primary sees no report data: at most the page cache (a write) and sessions.
        assert "evaluations_report" not in tables and "indicators_indicator" not in tables, (url, tables)


def test_replica_lag_shows_the_last_replayed_state(client, reviewer):
    report = scored_report("a", 2022)
    caught_up()
    etag = client.get("/api/v1/reports/2022/a/")["ETag"]
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        workflow.reopen_report(report, reviewer, comment="更正数据")
        # The primary has withdrawn it; a reader of the paused replica still gets the
        # published report, consistently (the same ETag, the same page).
        assert client.get("/api/v1/reports/2022/a/", HTTP_IF_NONE_MATCH=etag).status_code == 304
        assert client.get("/reports/2022/a/").status_code == 200
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    caught_up()
    assert client.get("/api/v1/reports/2022/a/", HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert client.get("/reports/2022/a/").status_code == 404
