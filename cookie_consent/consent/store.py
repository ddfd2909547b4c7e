"""Storing a decision: its consent record, the consent cookie, the request's state, the signal."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse

from cookie_consent.conf import conf
from cookie_consent.consent import cookie as consent_cookie
from cookie_consent.consent.state import ConsentState, get_consent, remember_consent
from cookie_consent.records.chain import write_record
from cookie_consent.signals import consent_changed

# The logger docs/views.rst names for a failing receiver: the views' one, as before.
logger = logging.getLogger("cookie_consent.views")


def store(
    request: HttpRequest,
    response: HttpResponse,
    stored: consent_cookie.StoredConsent,
    *,
    action: str,
    method: str,
) -> ConsentState:
    """Record the decision, then set the consent cookie on ``response`` and tell the site.

    The record comes first: if it cannot be written, the database error propagates and
    the cookie is left as it was, so the proof and the cookie always agree.
    """
    old = get_consent(request)
    new = ConsentState(stored.consent_id, stored.decisions, old.catalogue, old.now, old.gpc)
    write_record(request, old, new, action=action, method=method)
    response.set_cookie(
        conf.COOKIE_NAME,
        consent_cookie.encode(stored),
        max_age=conf.MAX_AGE,
        domain=conf.COOKIE_DOMAIN,
        path=conf.COOKIE_PATH,
        secure=request.is_secure() if conf.COOKIE_SECURE is None else conf.COOKIE_SECURE,
        # Page scripts read it (the format is documented); the signature protects it.
        httponly=False,
        samesite=conf.COOKIE_SAMESITE,
    )
    # Whatever runs after the view in this request sees the decision just made.
    remember_consent(request, new)
    # The decision is stored: a failing receiver is logged, it does not undo it.
    for receiver, result in consent_changed.send_robust(
        sender=ConsentState, request=request, old=old, new=new
    ):
        if isinstance(result, Exception):
            logger.error(
                "Cookie consent: a consent_changed receiver failed: %r",
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )
    return new
