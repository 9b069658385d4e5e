"""Sign-in lock-out (django-axes) for every request-borne sign-in.

Guessing passwords takes requests, and every sign-in form passes its request to
``authenticate()``. Calls without one (``Client.login`` in tests, the shell) have nothing to
lock out and go straight to the model backend instead of failing.
"""

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


def forwarded_client_ip(request) -> str | None:
    """The client address behind our one reverse proxy: the last X-Forwarded-For entry.

    The proxy appends the address it saw; anything before it came from the client and could
    be forged to dodge or spread a lock-out, so it is ignored.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-1] if hops else request.META.get("REMOTE_ADDR")


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
