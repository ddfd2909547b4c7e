"""(a) The page with no consent handling at all."""

from benchsite.settings.base import *  # noqa: F403
from benchsite.settings.base import templates

BENCH_VARIANT = "bare"
TEMPLATES = templates(BENCH_VARIANT)
