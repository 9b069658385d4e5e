"""A public page's version stamp (ETag, Last-Modified) and the decorator that serves pages by it.

The stamp reads published data only (issue 15.13): saving a draft moves neither the ETag nor
Last-Modified of any public page. page_cache.py keeps the rendered page under the stamp.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.db import connections
from django.db.models import Count, Max, Q, Subquery, Sum
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.views.decorators.http import condition

from config.db_router import public_reads
from evaluations.models import Department, FundingSource, Report, ReportEvent
from evaluations.public.page_cache import cached_page, code_version


@dataclass(frozen=True)
class Stamp:
    etag: str
    last_modified: datetime | None


def page_stamp(scope: Q) -> Stamp | None:
    """One aggregate over the published reports in scope; None when there are none.

    Counting the published reports and summing their revisions catches a report leaving or
    joining the published set even when its ``updated_at`` did not move; the latest reopening
    in scope dates a withdrawal, which leaves nothing else behind to date it by.
    """
    row = _stamp_row(scope)
    if not row["published"]:
        return None
    dates = ("changed", "departments", "sources", "withdrawn")
    changed = max((row[k] for k in dates if row[k] is not None), default=None)
    key = "|".join([
        code_version(), get_language() or "", str(row["published"]), str(row["revisions"]),
        *(row[k].isoformat() if row[k] else "" for k in dates),
    ])
    return Stamp(hashlib.sha256(key.encode()).hexdigest()[:32], changed)


# Every public hit and API answer asks for a stamp, and building its SQL (an aggregate with
# three subqueries) cost Django twice what PostgreSQL takes to answer it. The SQL depends on
# the scope alone, so on PostgreSQL it is built once per scope and database in a process and
# sent again with its parameters; elsewhere (SQLite in development) the ORM's path, whose
# converters turn SQLite's text dates into datetimes.
_stamp_sql: OrderedDict[tuple[str, Q], tuple[str, tuple]] = OrderedDict()
_stamp_sql_lock = threading.Lock()
KEPT_STAMP_SQL = 4096  # a year's scope and each report page's


def _stamp_row(scope: Q) -> dict:
    reports = Report.objects.filter(scope, status=Report.Status.PUBLISHED)
    connection = connections[reports.db]
    replay = connection.vendor == "postgresql"
    key = (reports.db, scope)
    with _stamp_sql_lock:
        found = _stamp_sql.get(key) if replay else None
    if found is not None:
        with connection.cursor() as cursor:
            cursor.execute(*found)
            names = [column.name for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))
    sent = []

    def capture(execute, sql, params, many, context):
        sent.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        row = _aggregate(reports, scope)
    if replay and len(sent) == 1:
        with _stamp_sql_lock:
            _stamp_sql[key] = sent[0]
            while len(_stamp_sql) > KEPT_STAMP_SQL:
                _stamp_sql.popitem(last=False)
    return row


def _aggregate(reports, scope: Q) -> dict:
    return reports.aggregate(
        # Only columns of the index report_page_stamp, so PostgreSQL answers a year's stamp
        # from the index alone.
        published=Count("*"),
        changed=Max("updated_at"),
        revisions=Sum("revision"),
        # Department and funding-source names are printed on the pages too; a rename
        # leaves the reports untouched, so their latest changes count as well: any
        # department's (one index lookup, not one per report), and any funding source's.
        departments=Max(Subquery(
            Department.objects.order_by("-public_changed_at").values("public_changed_at")[:1]
        )),
        sources=Max(_latest_change(FundingSource)),
        withdrawn=Max(Subquery(
            ReportEvent.objects.filter(
                action=ReportEvent.Action.REOPEN,
                report__in=Report.objects.filter(scope).values("pk"),
            ).order_by("-created_at").values("created_at")[:1]
        )),
    )


@functools.cache
def _history_model(model):
    # simple-history builds a new manager class at every ``model.history`` (0.4 ms a page).
    return model.history.model


def _latest_change(model) -> Subquery:
    """When any of ``model``'s rows last changed, from its history (indexed history_date)."""
    changes = _history_model(model).objects.order_by("-history_date")
    return Subquery(changes.values("history_date")[:1])


def no_query(get: QueryDict, stamp: Stamp) -> dict[str, str]:
    """A page that reads no query parameter: every query string is the same page."""
    return {}


# Cleans a page's query: the parameters it reads, validated (Http404 for a malformed value),
# defaults left out; None when this answer should not be kept in the page cache at all.
QueryCleaner = Callable[[QueryDict, Stamp], "dict[str, str] | None"]


def public_page(
    scope: Callable[..., Q],
    query: QueryCleaner = no_query,
    private: Callable[[HttpRequest], bool] | None = None,
):
    """Cacheable by browsers and proxies, revalidated against the reports in ``scope``.

    ``no-cache`` lets shared caches keep the page but ask every time; the answer to that
    question is a 304 from a single query. Pages vary by language (cookie or header).
    The view reads its parameters from ``request.public_query``, the output of ``query``,
    which is also what the page cache keys the page by (page_cache.page_key).

    ``private(request)`` true: the visitor gets the page's private variant instead
    (``request.private_page`` set for the view), rendered for them alone, with no ETag,
    never kept in the page cache and ``Cache-Control: private, no-store``, so nothing the
    public must not see can reach the shared copy (docs/design.md, "Result use").
    """

    def decorator(view):
        page = _PublicPage(view, scope, query, private)

        @wraps(view)
        @public_reads  # from the replica, when there is one (config/db_router.py)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            return page.respond(request, *args, **kwargs)

        return wrapped

    return decorator


class _PublicPage:
    """One view under public_page: its stamp, conditional answers, cache and private variant."""

    def __init__(self, view, scope: Callable[..., Q], query: QueryCleaner,
                 private: Callable[[HttpRequest], bool] | None):
        self.view, self.scope, self.query, self.private = view, scope, query, private
        self.conditional = condition(
            etag_func=self.etag, last_modified_func=self.last_modified
        )(self.cached_view)

    def stamp(self, request, *args, **kwargs) -> Stamp | None:
        if not hasattr(request, "_public_stamp"):
            request._public_stamp = page_stamp(self.scope(*args, **kwargs))
        return request._public_stamp

    def etag(self, request, *args, **kwargs):
        s = self.stamp(request, *args, **kwargs)
        return s.etag if s else None

    def last_modified(self, request, *args, **kwargs):
        s = self.stamp(request, *args, **kwargs)
        return s.last_modified if s else None

    def cached_view(self, request, *args, **kwargs):
        s = self.stamp(request, *args, **kwargs)
        if s is None:  # nothing published in scope: the view answers (a 404, or "none yet")
            request.public_query = self.query(request.GET, Stamp("", None)) or {}
            return self.view(request, *args, **kwargs)
        cleaned = self.query(request.GET, s)
        request.public_query = cleaned or {}
        if cleaned is None:
            return self.view(request, *args, **kwargs)
        # Rendered once per stamp and shared by every app server (page_cache.py).
        return cached_page(request, s.etag, lambda: self.view(request, *args, **kwargs), cleaned)

    def private_view(self, request, *args, **kwargs):
        s = self.stamp(request, *args, **kwargs)
        request.public_query = self.query(request.GET, s or Stamp("", None)) or {}
        request.private_page = True
        response = self.view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Cookie"])
        return response

    def respond(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The warm-up's request (public/warm.py) has no user: it renders the public page.
        if self.private is not None and hasattr(request, "user") and self.private(request):
            return self.private_view(request, *args, **kwargs)
        response = self.conditional(request, *args, **kwargs)
        patch_cache_control(response, public=True, no_cache=True)
        patch_vary_headers(response, ["Cookie"])
        return response


def current_stamp(request: HttpRequest) -> Stamp | None:
    """The stamp public_page computed for this request (views key their own memos by it)."""
    return getattr(request, "_public_stamp", None)
