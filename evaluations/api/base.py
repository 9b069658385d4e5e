"""What every API endpoint shares: no sign-in, parameters checked, pages, ETag, throttling.

Each endpoint says which reports it reads (``scope``), and its ETag is the version stamp
of those published reports, the very stamp the public pages use (public/stamp.py): a 304
costs one query, and saving a draft moves no ETag. The stamp is taken in the site's default
language because the JSON holds no translated text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse, QueryDict
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import public_reads
from evaluations.api import params
from evaluations.api.errors import BadParameter
from evaluations.api.throttling import AnonymousAddressThrottle
from evaluations.public.page_cache import cached_page
from evaluations.public.stamp import Stamp, page_stamp


@dataclass(frozen=True)
class Version:
    """The ETag and Last-Modified of an answer; ``etag`` None when nothing is published."""

    etag: str | None
    last_modified: datetime | None


def stamps(*scopes: Q) -> list[Stamp | None]:
    """The published reports' stamp for each scope (one query a scope)."""
    with translation.override(settings.LANGUAGE_CODE):
        return [page_stamp(scope) for scope in scopes]


def version(*scopes: Q) -> Version:
    return combined(stamps(*scopes))


def combined(stamps: list[Stamp | None]) -> Version:
    """One ETag for several stamps; None when nothing in any scope is published."""
    present = [s for s in stamps if s is not None]
    if not present:
        return Version(None, None)
    etag = hashlib.sha256("|".join(s.etag for s in stamps if s).encode()).hexdigest()[:32]
    dates = [s.last_modified for s in present if s.last_modified is not None]
    return Version(etag, max(dates) if dates else None)


class PublicAPIView(APIView):
    """A read-only endpoint over published reports: GET (and HEAD) only, for anyone."""

    http_method_names = ["get", "head", "options"]
    authentication_classes: list = []
    throttle_classes = [AnonymousAddressThrottle]
    # The query parameters the endpoint reads; anything else is a 400.
    allowed_params: tuple[str, ...] = ()

    @classmethod
    def as_view(cls, **initkwargs):
        # Report data from the replica, when there is one (config/db_router.py).
        return public_reads(super().as_view(**initkwargs))

    def check_params(self, request: Request) -> None:
        params.check_known(request.query_params, (*self.allowed_params, "format"))

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # throttling first: refused requests cost nothing
        self.check_params(request)

    def answer(
        self, request: Request, stamp: Version, build, shared: Mapping[str, str] | None = None
    ) -> Response | HttpResponse:
        """A 304 when the client's copy is current, else ``build()`` with its validators.

        With ``shared`` (the request's query, cleaned: the parameters read, defaults left
        out), the answer is rendered once per stamp and kept in the public pages' shared
        cache (public/page_cache.py): every app server then answers it with a stamp query
        and a copy, however many ask at once. Endpoints pass it only for queries whose
        values are bounded by the data (a year, a page), so inventing values adds no rows.
        """
        etag = None
        if stamp.etag is not None:
            etag = f'"{stamp.etag}-{_query_digest(request.path, request.query_params)}"'
            not_modified = get_conditional_response(
                request._request, etag=etag,
                last_modified=int(stamp.last_modified.timestamp()) if stamp.last_modified else None,
            )
            if not_modified is not None:
                return Response(status=not_modified.status_code, headers=_validators(etag, stamp))
        if etag is None or shared is None:
            return Response(build(), headers=_validators(etag, stamp) if etag else None)

        def render() -> HttpResponse:
            return HttpResponse(
                JSONRenderer().render(build()), content_type=JSONRenderer.media_type,
                headers=_validators(etag, stamp),
            )

        # The links in the JSON are absolute: the address asked for is part of the key.
        key = f"api|{stamp.etag}|{request.scheme}://{request.get_host()}"
        return cached_page(request._request, key, render, shared)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code < 400:
            # Proxies may keep an answer but must ask each time: the ask is a 304 from one query.
            patch_cache_control(response, public=True, no_cache=True)
            patch_vary_headers(response, ["Accept"])
        return response


def _query_digest(path: str, query: QueryDict) -> str:
    # One URL, one representation: path and query are in the tag, so two never share one.
    items = sorted((k, v) for k in query for v in query.getlist(k))
    return hashlib.sha256(f"{path}?{urlencode(items)}".encode()).hexdigest()[:12]


def _validators(etag: str, stamp: Version) -> dict[str, str]:
    headers = {"ETag": etag}
    if stamp.last_modified is not None:
        headers["Last-Modified"] = http_date(stamp.last_modified.timestamp())
    return headers


@dataclass
class Page:
    """One page of a list: the rows and the links around them."""

    count: int
    rows: list
    next: str | None
    previous: str | None

    def as_dict(self, results: list) -> dict:
        return {"count": self.count, "next": self.next, "previous": self.previous, "results": results}


def paginate(request: Request, rows, count: int | None = None) -> Page:
    """The page ``?page=`` asks for, ``?page_size=`` rows long (at most API_MAX_PAGE_SIZE).

    ``rows`` is a list or a queryset (sliced, so only the page is read). A page past the
    last is a 400 naming ``page``; the first page of nothing is an empty page.
    """
    size = params.page_size(request.query_params)
    number = params.page_number(request.query_params)
    total = len(rows) if count is None else count
    last = max(1, -(-total // size))
    if number > last:
        raise BadParameter(params.PAGE, _("共 %(last)s 页，没有第 %(number)s 页。") % {
            "last": last, "number": number})
    start = (number - 1) * size
    return Page(
        count=total, rows=list(rows[start:start + size]),
        next=_page_url(request, number + 1) if number < last else None,
        previous=_page_url(request, number - 1) if number > 1 else None,
    )


def _page_url(request: Request, number: int) -> str:
    query = request.query_params.copy()
    if number == 1:
        query.pop(params.PAGE, None)
    else:
        query[params.PAGE] = str(number)
    encoded = query.urlencode()
    return request.build_absolute_uri(request.path + (f"?{encoded}" if encoded else ""))
