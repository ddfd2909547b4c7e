"""(f) The page with django-cookie-consent 1.0.0, in its own virtualenv.

Integrated as its documentation describes for server-rendered pages: the app, its
``CleanCookiesMiddleware`` (last, as in its test project), the request context processor,
its URLs under ``cookies/`` and its template tags in the layout.
"""

from importlib.util import find_spec

from benchsite.settings.base import *  # noqa: F403
from benchsite.settings.base import INSTALLED_APPS, MIDDLEWARE, templates

# Both apps import as cookie_consent: refuse to measure this project's by mistake.
_origin = getattr(find_spec("cookie_consent"), "origin", None) or ""
if "site-packages" not in _origin:
    raise RuntimeError(f"cookie_consent comes from {_origin!r}, not django-cookie-consent")

BENCH_VARIANT = "dcc"
TEMPLATES = templates(BENCH_VARIANT)
INSTALLED_APPS = [*INSTALLED_APPS, "cookie_consent"]
MIDDLEWARE = [*MIDDLEWARE, "cookie_consent.middleware.CleanCookiesMiddleware"]
