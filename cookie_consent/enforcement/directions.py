"""Where an undeclared cookie was seen: the one vocabulary for it.

The model's choices (``UndeclaredCookie.Direction``) and the enforcement's code use this
class. It imports nothing of the app, so that any module can import it at module level,
before Django's app registry is ready.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    REQUEST = "request", _("sent by the browser")
    RESPONSE = "response", _("set by the server")
