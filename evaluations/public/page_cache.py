"""Rendered public pages kept in the shared cache under a version stamp.

A public page (the year index of 2,000 departments above all) costs one aggregate query to
stamp and much more to render. Keyed by the stamp, a rendered page is reused by every app
server until something it shows changes — publishing, reopening or editing a report changes
the stamp — so nothing has to be invalidated by hand and nothing stale is ever served.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

KEY_PREFIX = "public-page"

# What a page is rendered from besides the data: the templates, the code that lays out and
# formats the figures, the translations, and the hashed names of the static files it links.
# Their digest is part of every page's stamp (and ETag), so a release that changes any of
# them renders each page again once, with no version to bump by hand.
RENDERED_FROM = ("templates", "common", "evaluations", "indicators", "config", "locale")
# .po, not .mo: each app server compiles its own .mo (docs/deployment.md), byte for byte
# perhaps not the same; the .po files are the release's.
RENDERED_SUFFIXES = frozenset({".py", ".html", ".txt", ".po"})


@functools.cache
def code_version() -> str:
    """A digest of the files under RENDERED_FROM and of the static files' manifest."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for top in RENDERED_FROM:
        for path in sorted((base / top).rglob("*")):
            if path.suffix in RENDERED_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
                digest.update(path.relative_to(base).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        # Sorted: collectstatic writes the names in the order the file system lists them,
        # which differs between servers holding the same files.
        paths = json.loads(manifest.read_text(encoding="utf-8")).get("paths", {})
        digest.update(json.dumps(sorted(paths.items())).encode())
    return digest.hexdigest()[:16]

# A few pages also stay in this process, so a hit on a busy page skips the shared cache's
# round trip and unpickling. The key holds the stamp, so this copy can never be stale.
LOCAL_ENTRIES = 16
_local: OrderedDict[str, tuple[int, bytes, list[tuple[str, str]]]] = OrderedDict()
_local_lock = threading.Lock()


def _remember(key: str, response: HttpResponse) -> None:
    frozen = (response.status_code, response.content, list(response.items()))
    with _local_lock:
        _local[key] = frozen
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def _recall(key: str) -> HttpResponse | None:
    with _local_lock:
        frozen = _local.get(key)
        if frozen is not None:
            _local.move_to_end(key)
    if frozen is None:
        return None
    status, content, headers = frozen
    # A fresh response each time: middleware adds headers to it.
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


def page_key(request: HttpRequest, stamp: str, query: Mapping[str, str] | None = None) -> str:
    """The cache key of this page at this stamp: its path and its *cleaned* query.

    ``query`` holds only the parameters the page reads, already validated and without their
    defaults, so ``?utm=N`` or ``?page=1`` finds the same entry as the bare URL and a
    visitor cannot add cache rows by inventing query strings (issue 15.8). Every public
    page passes one (stamp.public_page).
    """
    if query is None:  # a caller that has not cleaned its query: the URL as asked for
        raw = f"{stamp}|{request.get_full_path()}"
    else:
        raw = f"{stamp}|{request.path}?{urlencode(sorted(query.items()))}"
    return f"{KEY_PREFIX}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _keep(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Set-Cookie")
    )


def cached_page(
    request: HttpRequest,
    stamp: str | None,
    render: Callable[[], HttpResponse],
    query: Mapping[str, str] | None = None,
) -> HttpResponse:
    """The cached response for ``stamp``, or ``render()`` stored for the next request.

    ``stamp`` must change whenever the page would: it should cover the data shown, the
    language and the templates' version; ``query`` is the page's cleaned query (page_key).
    Only complete 200 answers to GET or HEAD that set no cookie are kept;
    ``PUBLIC_PAGE_CACHE_SECONDS = 0`` turns the cache off.

    A page is rendered once per stamp however many visitors ask for it at once: one renders,
    the others wait for its result (render_once).
    """
    timeout = getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 0)
    if not stamp or timeout <= 0 or request.method not in ("GET", "HEAD"):
        return render()
    key = page_key(request, stamp, query)
    response = _recall(key)
    if response is not None:
        return response
    response = cache.get(key)
    if response is not None:
        _remember(key, response)
        return response
    return render_once(key, render, timeout)


# How long a visitor waits for someone else's render of the same page before rendering it
# too; longer than the slowest page takes (a cold year index of 2,000 reports took ~2 s
# before its rows were read as plain values, ~0.3 s since).
RENDER_WAIT_SECONDS = 10
POLL_SECONDS = 0.05
_rendering: dict[str, threading.Event] = {}


def render_once(key: str, render: Callable[[], HttpResponse], timeout: int) -> HttpResponse:
    """Render ``key``'s page here, or wait for the render already in progress.

    Threads of this process wait on an event; other app servers see a lock in the shared
    cache (``cache.add`` is atomic on every backend) and poll for the page. Either wait is
    bounded: after RENDER_WAIT_SECONDS the visitor renders the page itself rather than fail.
    """
    with _local_lock:
        event = _rendering.get(key)
        leader = event is None
        if leader:
            event = _rendering[key] = threading.Event()
    if not leader:
        event.wait(RENDER_WAIT_SECONDS)
        response = _recall(key)
        return response if response is not None else _render_and_store(key, render, timeout)
    try:
        lock = f"{key}:rendering"
        if cache.add(lock, 1, RENDER_WAIT_SECONDS):
            try:
                return _render_and_store(key, render, timeout)
            finally:
                cache.delete(lock)
        deadline = time.monotonic() + RENDER_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            response = cache.get(key)
            if response is not None:
                _remember(key, response)
                return response
        return _render_and_store(key, render, timeout)
    finally:
        with _local_lock:
            _rendering.pop(key, None)
        event.set()


def _render_and_store(key: str, render: Callable[[], HttpResponse], timeout: int) -> HttpResponse:
    response = render()
    if _keep(response):
        cache.set(key, response, timeout)
        _remember(key, response)
    return response
