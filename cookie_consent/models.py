"""The app's models, at the path Django and the documentation name them by.

Each part defines its own: the catalogue's in ``catalogue/models.py``, the consent
records' in ``records/models.py``, the undeclared cookies' in ``enforcement/models.py``.
Django imports this module when it loads the app, which registers every model here (a
model defined in a module of the app's package belongs to the app), and
``cookie_consent.models.Cookie`` and the others keep working.
"""

from cookie_consent.catalogue.models import Cookie, CookieCategory
from cookie_consent.enforcement.models import UndeclaredCookie
from cookie_consent.records.models import ConsentCheckpoint, ConsentRecord

__all__ = ["ConsentCheckpoint", "ConsentRecord", "Cookie", "CookieCategory", "UndeclaredCookie"]
