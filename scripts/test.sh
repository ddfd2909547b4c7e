#!/usr/bin/env bash
# The whole test suite, after setting up a fresh machine (see setup.sh).
# DATABASE_URL and CACHE_URL choose the backends; by default SQLite and local memory.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
echo "test: DATABASE_URL=${DATABASE_URL:-sqlite (memory)} CACHE_URL=${CACHE_URL:-locmem}"
status=0
.venv/bin/python -m pytest --cov --cov-report=term "$@" || status=$?
if [ "$status" = 5 ]; then
  # pytest's "no tests collected": a suite that ran nothing has not passed.
  echo "test: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$status"
