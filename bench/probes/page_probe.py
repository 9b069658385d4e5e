# Run by bench.py in `manage.py shell` after URLS and DIR: each page uncached, its queries and bytes.
# ruff: noqa: F821
import json
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

out = {}
for name, url in URLS.items():
    Client().get(url, HTTP_HOST="127.0.0.1")  # templates compiled, connection open
    with CaptureQueriesContext(connection) as ctx:
        started = time.monotonic()
        response = Client().get(url, HTTP_HOST="127.0.0.1")
        ms = round((time.monotonic() - started) * 1000)
    out[name] = {"url": url, "status": response.status_code, "queries": len(ctx.captured_queries),
                 "bytes": len(response.content), "uncached_render_ms": ms}
    open(DIR + "/" + name + ".html", "wb").write(response.content)
print(json.dumps(out))
