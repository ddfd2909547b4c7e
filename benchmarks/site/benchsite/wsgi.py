"""For gunicorn: ``gunicorn benchsite.wsgi`` with DJANGO_SETTINGS_MODULE set by run.py."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
