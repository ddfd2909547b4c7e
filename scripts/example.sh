#!/usr/bin/env bash
# The example site on http://127.0.0.1:8000/, after setting up a fresh machine.
# Its database is example_project/db.sqlite3 unless DATABASE_URL says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cd example_project
../.venv/bin/python manage.py migrate --noinput
if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ] && [ -n "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
  ../.venv/bin/python manage.py createsuperuser --noinput --email "${DJANGO_SUPERUSER_EMAIL:-admin@example.com}" 2>/dev/null \
    || echo "example: superuser $DJANGO_SUPERUSER_USERNAME already exists"
else
  echo "example: to sign in to /admin/, run once: (cd example_project && ../.venv/bin/python manage.py createsuperuser)"
  echo "example: or start this script with DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD set"
fi
exec ../.venv/bin/python manage.py runserver 127.0.0.1:8000
