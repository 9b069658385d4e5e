"""The admin site, with one guard in front of every admin view against hostile parameters.

Django's admin and the packages it hosted (django-import-export, since removed, and
django-simple-history) answered some malformed requests with a 500 (issue 15.9): an empty
``_to_field``; an object id beyond 64 bits on SQLite; a changelist filter such as
``fiscal_year__id__exact=`` in the export view, which lacks the changelist's own handling.
Every ModelAdmin's URLs pass through ``admin_view``, so the guard is written once here for all of them.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import IncorrectLookupParameters, ModelAdmin
from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest
from django.db import models
from django.http import Http404

TO_FIELD = "_to_field"
INTEGER_LIMIT = 2**63  # the widest integer column any database here stores


def _integer_pk(model_admin: ModelAdmin | None) -> bool:
    return model_admin is not None and isinstance(
        model_admin.model._meta.pk, models.IntegerField | models.AutoField
    )


def check_admin_request(request, model_admin: ModelAdmin | None, object_id: str | None) -> None:
    """Refuse what would reach a query malformed: 400 for a bad parameter, 404 for an id
    no row can have."""
    for data in (request.GET, request.POST):
        if TO_FIELD in data and not data[TO_FIELD]:
            raise DisallowedModelAdminToField("empty _to_field")
    if object_id is not None and _integer_pk(model_admin):
        raw = unquote(object_id).strip()
        digits = raw.removeprefix("-")
        if digits.isascii() and digits.isdigit() and int(digits) >= INTEGER_LIMIT:
            raise Http404(object_id)


class AdminSite(admin.AdminSite):
    """Django's admin site; every view it serves goes through check_admin_request first."""

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        if not isinstance(model_admin, ModelAdmin):
            model_admin = None

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            check_admin_request(request, model_admin, kwargs.get("object_id"))
            try:
                return inner(request, *args, **kwargs)
            except IncorrectLookupParameters as exc:
                # The changelist turns these into "?e=1"; views that build its queryset
                # without it (the export) would let them through as a 500.
                raise BadRequest(str(exc)) from exc

        return guarded
