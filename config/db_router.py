"""Public reads from a PostgreSQL streaming replica (DATABASE_REPLICA_URL), everything else on the primary.

The router alone cannot tell a public page from the admin, so the public entry points say so:
``public_reads`` wraps the public pages (stamp.public_page), open data (/data/) and the API
(base.PublicAPIView), and only while one of them runs (a streamed file included) are reads
of the report data (the evaluations and indicators apps) sent to the replica. Writes, the
admin, sign-in, sessions, the cache table, auditors' /exports/ and everything else read
the primary, so whoever writes reads their own writes. Rendering pages after a publication
(public/warm.py) pins the primary with ``on_primary``: the replica may not have the
publication yet. How the replica is set up and what readers see during replica lag:
docs/scaling.md.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
# The apps whose rows public pages show; the rest (auth, sessions, cache, axes) stay on the primary.
PUBLIC_DATA_APPS = frozenset({"evaluations", "indicators"})

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def on_primary() -> Iterator[None]:
    """Read the primary inside, even from a public view (reading what was just written)."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def _reading_replica(iterable: Iterable) -> Iterator:
    """A streamed body read with replica reads on: each piece is made inside the flag."""
    iterator = iter(iterable)
    while True:
        token = _replica_reads.set(True)
        try:
            piece = next(iterator)
        except StopIteration:
            return
        finally:
            _replica_reads.reset(token)
        yield piece


def public_reads(view):
    """Serve ``view``'s reads of report data from the replica, when one is configured."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not replica_configured() or _pinned.get():
            return view(request, *args, **kwargs)
        token = _replica_reads.set(True)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _replica_reads.reset(token)
        if getattr(response, "streaming", False):
            response.streaming_content = _reading_replica(response.streaming_content)
        return response

    return wrapped


class PublicReadsRouter:
    """Reads of report data go to the replica inside ``public_reads``; all else to the primary."""

    def db_for_read(self, model, **hints):
        if (
            _replica_reads.get() and not _pinned.get()
            and model._meta.app_label in PUBLIC_DATA_APPS and replica_configured()
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two servers

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica follows the primary's WAL, schema included
