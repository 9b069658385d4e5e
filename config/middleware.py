"""A database outage answers every URL with a friendly 503 page instead of a traceback.

The middleware catches the error where a view raised it (whatever DEBUG says);
``server_error`` is the 500 handler and catches it anywhere else (a middleware or the
session layer touching the database), where Django no longer lets a middleware see it.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

# Seconds a client or proxy should wait before trying again.
RETRY_AFTER = 30

DATABASE_DOWN = (OperationalError, InterfaceError)

logger = logging.getLogger("config.database")


def database_unavailable_response(exception: BaseException) -> HttpResponse:
    """The 503 page; rendered without a request, so no context processor touches the database.

    The visitor sees no detail; the log keeps the database's own words, one line a request.
    """
    first_line = (str(exception).strip().splitlines() or [type(exception).__name__])[0]
    logger.warning("database unavailable: %s", first_line)
    body = loader.get_template("503.html").render({"retry_after": RETRY_AFTER})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn a view's database OperationalError/InterfaceError into the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_DOWN):
            return database_unavailable_response(exception)
        return None


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: the 503 page for a database outage, else Django's plain 500 page."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_DOWN):
        return database_unavailable_response(exception)
    return defaults.server_error(request, template_name)
