"""Settings for the self-evaluation reports site: one file, driven by the environment.

SQLite is the default so a fresh clone runs; PostgreSQL is production (``DATABASE_URL``).
"""

import os
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import dj_database_url
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.timezone import TIME_ZONE as SITE_TIME_ZONE

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off; "
            'generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    # Only for local development: sessions signed with it die with the process.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.AdminConfig",  # the admin, discovered by config/urls.py
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "simple_history",
    "config.apps.AxesConfig",  # django-axes, named in Chinese
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from static/ (no CDN)
    "evaluations",
    "indicators",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads a cookie or a parameter into a query (config/request_limits.py).
    "config.request_limits.RejectNulMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lock-out response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: a SQLite file unless DATABASE_URL says otherwise. PostgreSQL goes through
# psycopg 3 with its connection pool (the pool needs CONN_MAX_AGE = 0).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": envint("DB_POOL_MIN", 1),
        "max_size": envint("DB_POOL_MAX", 8),
        "timeout": envint("DB_POOL_TIMEOUT", 10),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets gunicorn's threads read while one writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

# A streaming replica for public reads (config/db_router.py, docs/scaling.md): pages, open data
# and the API read report data from it; writes, the admin and everything else use "default".
_replica_url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if _replica_url:
    DATABASES["replica"] = dj_database_url.parse(_replica_url, conn_max_age=0)
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name a PostgreSQL standby (postgres://…).")
    DATABASES["replica"]["OPTIONS"] = {"pool": {
        "min_size": envint("DB_POOL_MIN", 1), "max_size": envint("DB_POOL_MAX", 8),
        "timeout": envint("DB_POOL_TIMEOUT", 10),
    }}
    # Tests reach the primary's test database through the standby (same name, replicated).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.db_router.PublicReadsRouter"]

# A large indicators export on PostgreSQL runs as this many statements at once, each on its own
# pooled connection, over one snapshot (evaluations/exports/pg.py); 1 turns that off. Up to the
# cores the database may give one export; each export holds this many pool connections.
EXPORT_SPLIT_PARTS = envint("EXPORT_SPLIT_PARTS", 2)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sign-in is guarded against password guessing: five failures for one username from one
# address lock that pair out for 15 minutes (evaluations/auth.py; sign-ins without a
# request, like Client.login in tests, skip the lock-out check).
AUTHENTICATION_BACKENDS = [
    "evaluations.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_VERBOSE = False  # no "AXES: BEGIN …" banner on every command (issue 14.12)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "evaluations.auth.lockout_response"  # a page in the user's language

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Caches and sessions live in shared services, never in one process or on local files, so
# any number of app servers can run on one PostgreSQL: Redis when REDIS_URL/CACHE_URL names
# one, else the database's cache table (created by `migrate`, see evaluations/apps.py).
_cache_url = os.environ.get("REDIS_URL") or os.environ.get("CACHE_URL", "")
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
elif _cache_url.startswith("locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", 20000)},
        }
    }
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Rendered public pages are cached under their data's version stamp (evaluations/public/page_cache.py);
# a change to the data changes the stamp, so this only bounds how long unused pages linger.
PUBLIC_PAGE_CACHE_SECONDS = envint("PUBLIC_PAGE_CACHE_SECONDS", 3600)
# Publishing renders the report's pages once it commits: thread | now | off (public/warm.py).
PUBLIC_PAGE_WARM = os.environ.get("PUBLIC_PAGE_WARM", "thread")

# The read-only API (evaluations/api, docs/design.md "Read-only API and open data"): JSON only,
# nobody signs in (published data whoever asks), pages of API_PAGE_SIZE up to
# API_MAX_PAGE_SIZE, and anonymous use limited per client address (API_RATE, e.g. "120/min";
# empty turns it off), counted in the shared cache so every app server sees the same count.
API_PAGE_SIZE = envint("API_PAGE_SIZE", 50)
API_MAX_PAGE_SIZE = envint("API_MAX_PAGE_SIZE", 200)
API_RATE = os.environ.get("API_RATE", "120/min").strip() or None
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"anon": API_RATE},
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "evaluations.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    # In the visitor's language, as the page around Swagger UI (evaluations/api/docs.py).
    "TITLE": _("绩效自评开放数据接口"),
    "DESCRIPTION": _(
        "已公开的绩效自评报告，只读。金额为万元，以十进制字符串给出，与 /data/ 下的 CSV 文件一字不差；"
        "比率为百分数。"
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": False,
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = SITE_TIME_ZONE  # config/timezone.py: gunicorn logs in it too
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files the site keeps in the default storage: the official files of published reports
# (evaluations/documents/, per revision) and uploaded attachments (evaluations/attachments.py).
# Never served directly: each goes through a view that checks who may have it. With several
# app servers it must be shared storage (docs/deployment.md).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "/media/"  # not routed
# The site's own address (https://host), printed on the PDF report as 本页网址 when set.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
# Publishing writes the revision's Word, PDF and 自评表 files once it commits: thread | now | off.
DOCUMENTS_AT_PUBLICATION = os.environ.get("DOCUMENTS_AT_PUBLICATION", "thread")
# Where report.pdf's Noto CJK faces cut to GB 2312 are kept (evaluations/documents/fonts.py);
# empty: a directory under the system's temporary directory. Made by the first PDF.
DOCUMENT_FONT_DIR = os.environ.get("DOCUMENT_FONT_DIR", "")
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_MB", 20) * 1024 * 1024

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or envbool("TESTING")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"
# Where a sign-in lands when its ?next= is missing or points off the site: the admin, not
# Django's /accounts/profile/, which this site does not have.
LOGIN_REDIRECT_URL = "admin:index"

# Security: HTTPS behaviour is switched on by the environment of a real deployment
# (docs/deployment.md); `manage.py check --deploy --fail-level WARNING` passes with it.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT")
# Load balancers probe the health check over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
# The site owns its host name, so HSTS covers its subdomains too unless told otherwise.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
# Preload is never implied: a listed domain stays HTTPS-only in browsers for months after
# leaving the list, so it is a decision of its own (issue 15.16). Deciding against it
# (SECURE_HSTS_PRELOAD=0) also quiets the deploy check's reminder; leaving it unset keeps it.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = (
    ["security.W021"] if os.environ.get("SECURE_HSTS_PRELOAD", "").strip() != "" and not SECURE_HSTS_PRELOAD
    else []
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The proxies whose X-Forwarded-For is believed: addresses or networks, the same variable
# gunicorn reads for X-Forwarded-Proto, so one list says who is our proxy. A request from any
# other address is judged by that address (evaluations/auth.py).
TRUSTED_PROXIES = envlist("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
for _proxy in TRUSTED_PROXIES:
    try:
        ip_network(_proxy, strict=False)
    except ValueError:
        # "*" included: it would let anyone who reaches an app server choose the address
        # sign-in lock-outs go by.
        raise ImproperlyConfigured(
            f"FORWARDED_ALLOW_IPS: {_proxy!r} is not an address or network; list the "
            "proxies' addresses (10.0.0.10) or networks (10.0.0.0/24)."
        ) from None
if envbool("BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Lock-outs go by the client's address, not the proxy's.
    AXES_CLIENT_IP_CALLABLE = "evaluations.auth.forwarded_client_ip"

# Content security policy (django-csp 4): everything from our own origin, no inline script
# or style, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

# What one import file may hold (evaluations/imports/reading.py, README "Configuration"),
# checked before parsing where the file tells it, for the command line and the admin alike.
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_COLUMNS = envint("IMPORT_MAX_COLUMNS", 200)
# csv's own former field limit: a cell that imported before is not refused now.
IMPORT_MAX_CELL_CHARS = envint("IMPORT_MAX_CELL_CHARS", 131_072)
IMPORT_MAX_XLSX_BYTES = envint("IMPORT_MAX_XLSX_MB", 300) * 1024 * 1024

# The admin's import (evaluations/admin/imports.py): a larger upload is stopped before it
# is read (config/uploads.py, first of the upload handlers); the file waits for the user's
# confirm in the database (PendingImport, shared by every app server) for at most
# IMPORT_UPLOAD_MAX_AGE seconds; the preview lists at most IMPORT_PREVIEW_ROWS errors or
# planned changes and counts the rest.
IMPORT_MAX_UPLOAD_BYTES = envint("IMPORT_MAX_UPLOAD_MB", 20) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "config.uploads.UploadLimit",  # first: a larger file is stopped before it is stored
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
IMPORT_UPLOAD_MAX_AGE = envint("IMPORT_UPLOAD_MAX_AGE", 3600)
IMPORT_PREVIEW_ROWS = envint("IMPORT_PREVIEW_ROWS", 100)

# History is for tracing changes; reverting through it would bypass the report workflow.
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of each PDF at INFO (evaluations/documents/pdf.py).
    "loggers": {"weasyprint": {"level": "WARNING"}},
}
