"""django-cookie-guard: cookie consent enforced on the server."""

__version__ = "0.1.0.dev0"
