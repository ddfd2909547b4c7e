"""The consent views: decide (form and JSON), preferences, the policy page, GPC support."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cookie_consent import consent_cookie
from cookie_consent.conf import conf
from cookie_consent.decisions import ACTIONS, API, PREFERENCES, SAVE, decide
from cookie_consent.forms import DecisionForm
from cookie_consent.models import ConsentRecord
from cookie_consent.records import write_record
from cookie_consent.signals import consent_changed
from cookie_consent.state import ALWAYS, ConsentState, get_consent, vary_on_consent

logger = logging.getLogger(__name__)

# A decision is a few hundred bytes; anything much larger is not one.
MAX_BODY = 16 * 1024


class BadDecision(Exception):
    """A decision that cannot be stored, with the message the visitor is shown."""


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=400)
    return render(request, "cookie_consent/error.html", {"message": message}, status=400)


def _check_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY + 1
    if length > MAX_BODY:
        raise BadDecision(_("The request is too large to be a cookie choice."))


def safe_next(request: HttpRequest, *candidates: str | None) -> str:
    """The first candidate that stays on this site, else the home page."""
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"


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
    request.__dict__["_cookie_consent_state"] = new
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


def _unavailable(request: HttpRequest, *, as_json: bool = False) -> HttpResponse:
    """The decision could not be recorded: say so, store nothing."""
    logger.exception("Cookie consent: the consent record could not be written.")
    message = _("Your choice could not be saved just now. Nothing was changed; please try again.")
    if as_json or _wants_json(request):
        return JsonResponse({"error": message}, status=503)
    return render(request, "cookie_consent/error.html", {"message": message}, status=503)


def state_json(state: ConsentState, *, details: bool = True) -> dict[str, Any]:
    """The visitor's consent as the JSON API answers it (documented in docs/views.rst).

    Without ``details``, the categories leave out their description and cookies: what
    the page's script needs, on every page, whatever the size of the catalogue.
    """
    categories = []
    for choice in state.choices:
        category = choice.category
        entry: dict[str, Any] = {
            "slug": category.slug,
            "name": category.display_name,
            "required": category.required,
            "needs_consent": category.needs_consent,
            "granted": choice.granted,
            # "always" for a category nobody is asked about.
            "status": ALWAYS if choice.always_on else choice.status,
            "consent_mode": list(category.consent_mode),
        }
        if details:
            entry["description"] = category.display_description
            entry["cookies"] = [
                {
                    "name": cookie.name,
                    "provider": cookie.display_provider,
                    "function": cookie.display_function,
                    "purpose": cookie.display_purpose,
                    "duration": cookie.display_duration,
                    "domain": cookie.domain,
                    "path": cookie.path,
                }
                for cookie in category.cookies
            ]
        categories.append(entry)
    return {
        "consent_id": state.consent_id,
        "decided": state.decided,
        "needs_decision": state.needs_decision,
        "gpc": state.gpc,
        "categories": categories,
    }


def _state_response(state: ConsentState) -> JsonResponse:
    response = JsonResponse(state_json(state))
    vary_on_consent(response)
    return response


def _stored_json_response(
    request: HttpRequest, stored: consent_cookie.StoredConsent, *, action: str, method: str
) -> JsonResponse:
    """Store ``stored`` and answer the new state as JSON."""
    response = JsonResponse({})
    new = store(request, response, stored, action=action, method=method)
    response.content = json.dumps(state_json(new)).encode()
    vary_on_consent(response)
    return response


@never_cache
@require_POST
@csrf_protect
def update(request: HttpRequest) -> HttpResponse:
    """Store a decision posted by the banner or the preferences form."""
    state = get_consent(request)
    try:
        _check_size(request)
        form = DecisionForm(request.POST, catalogue=state.catalogue)
        if not form.is_valid():
            raise BadDecision(form.error_text())
    except BadDecision as error:
        return _bad_request(request, str(error))
    action = form.cleaned_data["action"]
    method = form.cleaned_data["method"] or PREFERENCES
    stored = decide(state, action=action, granted=form.cleaned_data["categories"], method=method)
    try:
        if _wants_json(request):
            return _stored_json_response(request, stored, action=action, method=method)
        target = safe_next(request, form.cleaned_data["next"], request.headers.get("Referer"))
        response = HttpResponseRedirect(target, status=303)
        store(request, response, stored, action=action, method=method)
    except DatabaseError:
        return _unavailable(request)
    return response


def _api_decision(request: HttpRequest, state: ConsentState) -> tuple[str, list[str]]:
    """The action and granted slugs of a JSON body, or :class:`BadDecision`."""
    _check_size(request)
    try:
        body = json.loads(request.body or b"null")
    except ValueError as error:
        raise BadDecision(_("The body is not valid JSON.")) from error
    if not isinstance(body, dict) or body.get("action") not in ACTIONS:
        raise BadDecision(
            _("Send an object whose “action” is one of: %(actions)s.")
            % {"actions": ", ".join(ACTIONS)}
        )
    categories = body.get("categories", [])
    if isinstance(categories, list) and all(isinstance(slug, str) for slug in categories):
        categories = dict.fromkeys(categories, True)
    if not isinstance(categories, dict) or not all(
        isinstance(slug, str) and isinstance(grant, bool) for slug, grant in categories.items()
    ):
        raise BadDecision(
            _("“categories” must be a list of category slugs, or an object of slug: true/false.")
        )
    for slug, grant in categories.items():
        category = state.catalogue.category(slug)
        if category is None:
            raise BadDecision(_("There is no cookie category “%(slug)s”.") % {"slug": slug})
        if category.required and not grant:
            raise BadDecision(
                _("“%(slug)s” is required for the site to work and cannot be refused.")
                % {"slug": slug}
            )
    if categories and body["action"] != SAVE:
        raise BadDecision(_("“categories” goes with the action “save” only."))
    return body["action"], [slug for slug, grant in categories.items() if grant]


@never_cache
@require_http_methods(["GET", "POST"])
@csrf_protect
def api(request: HttpRequest) -> HttpResponse:
    """GET: the visitor's consent as JSON. POST: store a decision, answer the new state."""
    state = get_consent(request)
    if request.method == "GET":
        return _state_response(state)
    try:
        action, granted = _api_decision(request, state)
    except BadDecision as error:
        return JsonResponse({"error": str(error)}, status=400)
    stored = decide(state, action=action, granted=granted, method=API)
    try:
        return _stored_json_response(request, stored, action=action, method=API)
    except DatabaseError:
        return _unavailable(request, as_json=True)


@never_cache
@require_safe
def preferences(request: HttpRequest) -> HttpResponse:
    state = get_consent(request)
    response = render(
        request,
        "cookie_consent/preferences.html",
        {
            "consent": state,
            "next": safe_next(request, request.GET.get("next"), request.headers.get("Referer")),
        },
    )
    vary_on_consent(response)
    return response


def _recent_records(state: ConsentState) -> list[ConsentRecord] | None:
    """The visitor's last decisions, newest first; None when the database cannot say."""
    if state.consent_id is None:
        return []
    try:
        return list(ConsentRecord.objects.filter(consent_id=state.consent_id).order_by("-id")[:5])
    except DatabaseError:
        logger.exception("Cookie consent: the consent records could not be read.")
        return None


@never_cache
@require_safe
def policy(request: HttpRequest) -> HttpResponse:
    state = get_consent(request)
    response = render(
        request,
        "cookie_consent/policy.html",
        {
            "consent": state,
            "records": _recent_records(state),
            "site": f"{request.scheme}://{request.get_host()}",
            "next": request.get_full_path(),
        },
    )
    vary_on_consent(response)
    return response


@require_safe
def gpc_json(request: HttpRequest) -> JsonResponse:
    """The GPC support resource; route it at ``/.well-known/gpc.json`` (site root)."""
    return JsonResponse({"gpc": conf.HONOR_GPC, "lastUpdate": conf.GPC_LAST_UPDATE})
