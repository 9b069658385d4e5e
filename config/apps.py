"""The admin application, discovered with the URLconf rather than at every start-up.

``django.contrib.admin``'s own AppConfig imports every application's ``admin`` module in
``ready()``: a tenth of a second of every process start, whether or not it will ever show
an admin page. Here ``config/urls.py`` discovers the admin modules when the URLconf is first loaded, which every request, every
``reverse()`` and the URL system check do first; ``config/wsgi.py`` loads it as a gunicorn
worker starts. A command that runs no system checks, such as ``export_data``, starts without
the admin (0.46 → 0.36 s for an empty export).

The admin system check discovers them too, before checking: ``manage.py check`` still checks
every ModelAdmin whether or not the URL check happened to run first.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.contrib import admin
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks
from django.utils.translation import gettext_lazy as _


def discover_and_check_admin(app_configs, **kwargs):
    """Django's admin check, after discovery: with no admin module imported, no site exists
    yet and the check would pass having checked nothing."""
    admin.autodiscover()
    return check_admin_app(app_configs, **kwargs)


class AdminConfig(SimpleAdminConfig):
    # Django's site behind one guard against hostile parameters (config/admin_site.py).
    default_site = "config.admin_site.AdminSite"

    def ready(self):
        # SimpleAdminConfig.ready() registers these two; the second is wrapped here.
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(discover_and_check_admin, checks.Tags.admin)


class AxesConfig(AxesAppConfig):
    """django-axes under a Chinese name in the admin's index (its own is "Axes", issue 14.8)."""

    verbose_name = _("登录安全")
