#!/usr/bin/env bash
# Run the benchmarks by hand (not CI): bench/run.sh [generate] [sizes] [export] [import] [http] [--scale F]
# Needs the local PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo /work/main/.venv/bin/python )}"
export PYTHON="$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON")"  # no realpath: keep the venv
command -v wrk >/dev/null || echo "note: wrk missing; the http step will be skipped (apt-get install wrk)"
exec "$PYTHON" bench/bench.py "$@"
