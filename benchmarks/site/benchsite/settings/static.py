"""(e) The page with a hand-written banner of the same markup, always shown, no app."""

from benchsite.settings.base import *  # noqa: F403
from benchsite.settings.base import templates

BENCH_VARIANT = "static"
TEMPLATES = templates(BENCH_VARIANT)
