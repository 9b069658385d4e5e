"""The admin application, discovered with the URLconf rather than at every start-up.

``django.contrib.admin``'s own AppConfig imports every application's ``admin`` module in
``ready()`` and, through django-import-export's admin, openpyxl: a tenth of a second of every
``manage.py`` run, every test process and every gunicorn worker, whether or not it will
ever show an admin page. Here ``config/urls.py`` discovers the admin modules when the URLconf
is first loaded, which every request and every ``reverse()`` does first, so commands such as
``export_data`` and ``import_data`` start without them.

The system checks discover them too, before checking: ``manage.py check`` still checks every
ModelAdmin whether or not the URLconf check happened to run first.
"""

from django.contrib import admin
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks


def discover_and_check_admin(app_configs, **kwargs):
    """Django's admin check, after discovery: with no admin module imported, no site exists
    yet and the check would pass having checked nothing."""
    admin.autodiscover()
    return check_admin_app(app_configs, **kwargs)


class AdminConfig(SimpleAdminConfig):
    def ready(self):
        # SimpleAdminConfig.ready() registers these two; the second is wrapped here.
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(discover_and_check_admin, checks.Tags.admin)
