#!/usr/bin/env bash
# `make test`'s second step: the tests marked postgresql (the COPY export, every path that differs
# by database) on a throwaway PostgreSQL database, when one answers; a note when none does.
# TEST_POSTGRES_URL names the server (its database name is the prefix of the test database);
# otherwise the local server on 127.0.0.1:5432 as user postgres. pytest-django creates
# test_<name> and drops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${TEST_POSTGRES_URL:-}"
if [ -z "$url" ]; then
    if ! command -v pg_isready >/dev/null 2>&1 || ! pg_isready -h 127.0.0.1 -p 5432 -q; then
        echo "note: no PostgreSQL answers on 127.0.0.1:5432 and TEST_POSTGRES_URL is unset:"
        echo "      the tests marked postgresql ran on SQLite only (the PostgreSQL-only ones skipped)"
        exit 0
    fi
    url="postgres://postgres@127.0.0.1:5432/jixiao_make_test_$$"  # one per run: runs may overlap
fi
echo "== the tests marked postgresql, on PostgreSQL (${url%%\?*})" | sed -E 's#//[^@/]*@#//#'
DATABASE_URL="$url" exec .venv/bin/python -m pytest -m postgresql --create-db "$@"
