"""Anonymous API use limited per client address (settings.API_RATE), counted in the shared cache.

The address is the one the sign-in lock-out goes by: django-axes' own function, which
follows ``AXES_CLIENT_IP_CALLABLE`` (evaluations.auth.forwarded_client_ip behind a trusted
proxy, settings BEHIND_PROXY / FORWARDED_ALLOW_IPS), so a forged X-Forwarded-For neither
dodges the limit nor spends someone else's. Over the limit: 429 with Retry-After (DRF).
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousAddressThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, keyed by the lock-out's client address."""

    scope = "anon"

    def get_rate(self):
        # Read at each request (not import time), so settings.API_RATE overrides apply.
        return settings.API_RATE

    def allow_request(self, request, view):
        if settings.API_RATE is None:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_ident(self, request) -> str:
        return get_client_ip_address(request._request) or ""
