"""(b, c, d) The page with django-cookie-guard, integrated as its README says."""

from benchsite.settings.base import *  # noqa: F403
from benchsite.settings.base import INSTALLED_APPS, MIDDLEWARE, templates

BENCH_VARIANT = "guard"
TEMPLATES = templates(BENCH_VARIANT)
INSTALLED_APPS = [*INSTALLED_APPS, "cookie_consent"]
# First, as the README and the system check ask.
MIDDLEWARE = ["cookie_consent.middleware.CookieConsentMiddleware", *MIDDLEWARE]
