"""An upload waiting for its confirm (PendingImport.objects.keep): kept byte for byte, and on
PostgreSQL never written into a statement's text, where a 20 MB file cost about 150 MB of
copies at the upload limit (bench/admin_import.py)."""

import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations.models import PendingImport

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

# Every byte value, then enough of them to see the statement's size and the copies.
DATA = bytes(range(256)) * (4 * 1024 * 4)  # 4 MB


def test_an_upload_is_kept_byte_for_byte(data_entry_user):
    pending = PendingImport.objects.keep(
        user=data_entry_user, dataset="indicators", filename="指标.csv", data=DATA)

    stored = PendingImport.objects.get(pk=pending.pk)
    assert bytes(stored.data) == DATA
    assert stored.size == len(DATA)
    assert (stored.user, stored.dataset, stored.filename) == (data_entry_user, "indicators", "指标.csv")
    assert len(stored.token) >= 20


@pytest.mark.postgresql_only  # SQLite binds its parameters (its debug log quotes them)
def test_the_bytes_are_not_spelled_into_a_statement(data_entry_user):
    with CaptureQueriesContext(connection) as queries:
        PendingImport.objects.keep(
            user=data_entry_user, dataset="indicators", filename="f.csv", data=DATA)

    assert queries.captured_queries, "the row itself is written through Django"
    assert max(len(q["sql"]) for q in queries.captured_queries) < len(DATA) // 100


def test_keeping_an_upload_copies_it_at_most_once(data_entry_user):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        PendingImport.objects.keep(
            user=data_entry_user, dataset="indicators", filename="f.csv", data=DATA)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # A hex literal alone is twice the file, and the statement around it another copy.
    assert peak < 1.5 * len(DATA)
