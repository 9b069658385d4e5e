"""Sign-in lock-out (django-axes) for every request-borne sign-in.

Guessing passwords takes requests, and every sign-in form passes its request to
``authenticate()``. Calls without one (``Client.login`` in tests, the shell) have nothing to
lock out and go straight to the model backend instead of failing.
"""

import functools
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_cool_off_iso8601, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class LockoutBackend(AxesStandaloneBackend):
    """Refuses sign-in for a username and address locked out after repeated failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def forwarded_client_ip(request) -> str | None:
    """The client's address: the right-most X-Forwarded-For hop no trusted proxy stands for.

    Only a proxy in ``TRUSTED_PROXIES`` (``FORWARDED_ALLOW_IPS``) may speak for a client:
    a request reaching the app server directly is judged by its own address, whatever
    X-Forwarded-For it sends, so a new header per try neither dodges a lock-out nor locks
    out someone else (issue 15.6). Behind trusted proxies each appends the address it saw,
    so the chain is read from the right and everything left of the first untrusted hop,
    which the client wrote itself, is ignored.
    """
    address = request.META.get("REMOTE_ADDR")
    if not address or not _trusted(address):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ip_address(hop)
        except ValueError:
            return address  # not written by a proxy of ours: the last hop we could trust
        address = hop
        if not _trusted(hop):
            break
    return address


def lockout_response(request, original_response=None, credentials=None):
    """The admin's own page, in the visitor's language, where django-axes would answer with
    a line of English text: what happened, how long to wait, whom to ask. A script's request
    (X-Requested-With) gets JSON, as django-axes gives it."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    failure_limit = get_failure_limit(request, credentials)
    cool_off = get_cool_off(request)
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        body = {"failure_limit": failure_limit}
        if cool_off:
            body["cooloff_time"] = get_cool_off_iso8601(cool_off)
        return JsonResponse(body, status=status)
    context = {
        **admin.site.each_context(request),
        "title": _("暂时无法登录"),
        "minutes": max(1, round(cool_off.total_seconds() / 60)) if cool_off else None,
        "failure_limit": failure_limit,
    }
    return render(request, "admin/locked_out.html", context, status=status)
