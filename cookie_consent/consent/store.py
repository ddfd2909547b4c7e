"""Storing a decision: its consent record, the consent cookie, the request's state, the signal.

:func:`store_decision` is the one call a view makes once it has read the visitor's answer.
"""

from __future__ import annotations

import dataclasses
import logging

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from cookie_consent.conf import conf
from cookie_consent.consent import cookie as consent_cookie
from cookie_consent.consent.decisions import Answer, decide
from cookie_consent.consent.state import ConsentState, get_consent, remember_consent
from cookie_consent.records.chain import Circumstances, truncated_ip_hash, write_record
from cookie_consent.signals import consent_changed

# The logger docs/views.rst names for a failing receiver: the views' one, as before.
logger = logging.getLogger("cookie_consent.views")


def store_decision(request: HttpRequest, response: HttpResponse, answer: Answer) -> ConsentState:
    """Store the visitor's ``answer``, with the consent cookie on ``response``; return the
    consent after it. A database error propagates, and then nothing is stored."""
    stored = decide(get_consent(request), answer)
    return store(request, response, stored, action=answer.action, method=answer.method)


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
    new = dataclasses.replace(old, consent_id=stored.consent_id, decisions=stored.decisions)
    write_record(old, new, action=action, method=method, circumstances=circumstances(request))
    _set_cookie(request, response, stored)
    # Whatever runs after the view in this request sees the decision just made.
    remember_consent(request, new)
    _announce(request, old, new)
    return new


def circumstances(request: HttpRequest) -> Circumstances:
    """What the record of a decision made by ``request`` keeps of it, as the settings allow."""
    user = getattr(request, "user", None)
    return Circumstances(
        language=translation.get_language() or "",
        policy_url=request.build_absolute_uri(reverse("cookie_consent:policy")),
        user_agent=request.headers.get("User-Agent", "") if conf.RECORD_USER_AGENT else "",
        user_id=user.pk if user is not None and user.is_authenticated else None,
        ip_hash=truncated_ip_hash(request.META.get("REMOTE_ADDR", "")) if conf.RECORD_IP else "",
    )


def _set_cookie(
    request: HttpRequest, response: HttpResponse, stored: consent_cookie.StoredConsent
) -> None:
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


def _announce(request: HttpRequest, old: ConsentState, new: ConsentState) -> None:
    """Send ``consent_changed``. The decision is stored: a failing receiver is logged, it
    does not undo it."""
    for receiver, result in consent_changed.send_robust(
        sender=ConsentState, request=request, old=old, new=new
    ):
        if isinstance(result, Exception):
            logger.error(
                "Cookie consent: a consent_changed receiver failed: %r",
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )
