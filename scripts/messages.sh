#!/usr/bin/env bash
# After changing a translatable string: refresh every shipped language's django.po
# (then translate what is new or fuzzy) and compile the .mo files.
#   bash scripts/messages.sh           refresh the .po files, then compile
#   bash scripts/messages.sh compile   only compile
# tests/test_locale.py fails while a string is untranslated, fuzzy or not compiled.
set -euo pipefail
cd "$(dirname "$0")/../cookie_consent"
LANGUAGES=(en fr de es it nl pt)
args=()
for language in "${LANGUAGES[@]}"; do args+=(-l "$language"); done
if [ "${1:-}" != "compile" ]; then
  ../.venv/bin/django-admin makemessages "${args[@]}" --no-obsolete --add-location=file \
    --ignore 'static/*'
fi
../.venv/bin/django-admin compilemessages "${args[@]}"
