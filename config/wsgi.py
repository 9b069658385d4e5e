"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# The URLconf, and with it the admin modules (config/apps.py), loaded as the worker starts:
# not by the first request while the worker's other threads wait, and a broken module stops
# the worker here instead of answering 500 on every URL.
get_resolver().url_patterns  # noqa: B018
