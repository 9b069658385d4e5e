"""The admin site as a whole: its titles, and the "view on site" redirect kept to what the user
may see (config/urls.py mounts it in place of Django's)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _


def scoped_view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" redirect (``/admin/r/…``), for objects the user may see.

    Django's own shortcut redirects for any object of any model, which would tell a
    data-entry user another department's report years and codes.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.contenttypes.views import shortcut

    try:
        model = ContentType.objects.get(pk=content_type_id).model_class()
        model_admin = admin.site._registry.get(model)
        obj = model_admin.get_queryset(request).get(pk=unquote(object_id)) if model_admin else None
    except (ContentType.DoesNotExist, ValueError, ValidationError, ObjectDoesNotExist):
        obj = None
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404
    return shortcut(request, content_type_id, object_id)


admin.site.site_header = _("绩效自评报告管理")
admin.site.site_title = _("绩效自评")
admin.site.index_title = _("填报、审核与公开")
