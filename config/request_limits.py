"""Reject requests carrying a NUL character with 400 before any view or database sees them.

PostgreSQL refuses NUL in text parameters, so a ``%00`` in a search box, a filter, an admin
autocomplete term or a cookie became a 500 wherever it reached a query (issue 15.9). No
legitimate value of this site contains one; uploaded files (an XLSX is binary) are not
looked at, only the text fields sent with them.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict

NUL = "\x00"


def _has_nul(values: QueryDict | dict[str, str]) -> bool:
    if isinstance(values, QueryDict):
        pairs = ((key, value) for key, items in values.lists() for value in items)
    else:
        pairs = values.items()
    return any(NUL in key or NUL in value for key, value in pairs)


class RejectNulMiddleware:
    """400 for a NUL in the path, the query string, a cookie or a form field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info or _has_nul(request.GET) or _has_nul(request.COOKIES):
            raise BadRequest("NUL character in the request")
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"
        ) and _has_nul(request.POST):
            raise BadRequest("NUL character in the form")
        return self.get_response(request)
