"""Render a report's public pages when it is published or withdrawn, before any visitor asks.

Publishing changes the stamp of the report's page, its year index, its department's page and
the home page, so each would otherwise be rendered by its first visitor — at 2,000
departments the year index took seconds (issue 15.17). workflow.py calls
``after_publication`` inside the transition; the pages are rendered once it commits, in a
background thread that gathers a run of publications (the admin's bulk action) into one
render per page. ``PUBLIC_PAGE_WARM``: ``thread`` (the default), ``now`` (in the caller,
as tests want), ``off``.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.http import Http404, HttpRequest
from django.urls import resolve, reverse
from django.utils import translation

from config.db_router import on_primary

logger = logging.getLogger(__name__)

# How long the thread waits for more publications before rendering what it has gathered.
GATHER_SECONDS = 1.0

_pending: set[str] = set()
_pending_lock = threading.Lock()
_worker: threading.Thread | None = None


def after_publication(report_id: int) -> None:
    """Once the current transaction commits, render the pages that show this report."""
    mode = getattr(settings, "PUBLIC_PAGE_WARM", "thread")
    if mode == "off" or getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 0) <= 0:
        return
    transaction.on_commit(lambda: _schedule(report_id, mode))


def pages_of(report_id: int) -> list[str]:
    """The public pages that list or show the report: its own, its department's, the home
    page, its year's index, the department's indicators over the years, and the rankings of
    its year and the next (whose flags compare with this year). The rankings read two years
    of department tables, the costliest render of all, so no visitor should be the first."""
    from evaluations.models import Report

    report = Report.objects.select_related("department", "fiscal_year").get(pk=report_id)
    code, year = report.department.code, report.fiscal_year.year
    return [
        reverse("evaluations:report", args=[year, code]),
        reverse("evaluations:department", args=[code]),
        reverse("evaluations:home"),
        reverse("evaluations:year", args=[year]),
        reverse("evaluations:department_indicators", args=[code]),
        reverse("evaluations:ranking", args=[year]),
        reverse("evaluations:ranking", args=[year + 1]),
    ]


def _schedule(report_id: int, mode: str) -> None:
    global _worker
    try:
        paths = pages_of(report_id)
    except Exception:  # a warm-up never fails the publication that asked for it
        logger.exception("public page warm-up: cannot list the pages of report %s", report_id)
        return
    if mode == "now":
        warm(paths)
        return
    with _pending_lock:
        _pending.update(paths)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_drain, name="public-page-warm", daemon=True)
            _worker.start()


def _drain() -> None:
    global _worker
    try:
        while True:
            time.sleep(GATHER_SECONDS)
            with _pending_lock:
                paths = sorted(_pending)
                _pending.clear()
                if not paths:
                    _worker = None  # under the lock: a publication now starts a new thread
                    return
            close_old_connections()
            warm(paths)
    finally:
        connections.close_all()  # this thread's connections go back to the pool


class _WarmRequest(HttpRequest):
    """A GET from nobody in particular, addressed as the site's visitors address it."""

    def __init__(self, path: str):
        super().__init__()
        self.method = "GET"
        self.path = self.path_info = path
        host = site_host()
        self.META = {"HTTP_HOST": host, "SERVER_NAME": host, "SERVER_PORT": "443"}

    def _get_scheme(self) -> str:
        return "https" if settings.SECURE_SSL_REDIRECT or settings.SESSION_COOKIE_SECURE else "http"


def site_host() -> str:
    """The first host name ALLOWED_HOSTS gives, as printed on the report page (本页网址)."""
    for host in settings.ALLOWED_HOSTS:
        host = host.lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def warm(paths: list[str]) -> None:
    """Render each page in the site's language through its view, so the page cache keeps it."""
    for path in paths:
        try:
            match = resolve(path)
            # The primary: a replica may not have replayed the publication yet (config/db_router.py).
            with translation.override(settings.LANGUAGE_CODE), on_primary():
                match.func(_WarmRequest(path), *match.args, **match.kwargs)
        except Http404:
            continue  # a withdrawn report's page, or a year with nothing left to show
        except Exception:
            logger.exception("public page warm-up failed for %s", path)
