"""URL map: the public site, the admin, exports and the health check.

The language switcher posts to evaluations:set_language (/language/); there is no /i18n/.
"""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path

from evaluations.admin.site import scoped_view_on_site

# The admin modules are imported here, with the URLconf, not at start-up (config/apps.py).
admin.autodiscover()

urlpatterns = [
    # Ahead of the admin's own /admin/r/ shortcut, which checks no department.
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin.site.admin_view(scoped_view_on_site),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("evaluations.api.urls")),
    path("", include("evaluations.public.urls")),
    # Browsers ask for /favicon.ico whatever the page says: sent to the site's icon. Not a
    # permanent redirect: the icon's address carries its hash, which changes with it.
    path("favicon.ico", lambda request: HttpResponseRedirect(static("favicon.svg"))),
]

# A database outage outside a view still gets the friendly 503 page (config/middleware.py).
handler500 = "config.middleware.server_error"
