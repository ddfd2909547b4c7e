"""The consent views: decide (form and JSON), preferences, the policy page, GPC support."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import render
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cookie_consent.conf import conf
from cookie_consent.consent.body import (
    BadDecision,
    body_as_sent,
    decision_view,
    form_fields,
    json_fields,
)
from cookie_consent.consent.decisions import VOCABULARY, Answer
from cookie_consent.consent.http import allow, error_response, safe_next, wants_json
from cookie_consent.consent.serialise import state_response
from cookie_consent.consent.state import (
    ConsentState,
    Status,
    get_consent,
    vary_on_consent,
)

# "as": re-exported, for tests/test_middleware.py until it imports it from consent/.
from cookie_consent.consent.store import store_decision
from cookie_consent.forms import ApiDecisionForm, DecisionForm
from cookie_consent.logs import one_line
from cookie_consent.records.recent import recent_records

logger = logging.getLogger(__name__)


def _unavailable(request: HttpRequest, error: DatabaseError, *, as_json: bool) -> HttpResponse:
    """The decision could not be recorded: say so, store nothing, log it once.

    One line at ERROR, without the traceback: in an outage every decision fails the same
    way, and the class and message say why. Django's own line for the 503 is not added.
    """
    message = _("Your choice could not be saved just now. Nothing was changed; please try again.")
    response = error_response(request, message, status=503, as_json=as_json)
    log_response(
        "Cookie consent: the consent record could not be written, nothing was stored (%s): %s",
        one_line(error),
        request.path,
        response=response,
        request=request,
        logger=logger,
    )
    return response


def _store(request: HttpRequest, answer: Answer, *, redirect_to: str | None) -> HttpResponse:
    """Store ``answer``; answer with a 303 to ``redirect_to``, or the new state in JSON."""
    response = (
        HttpResponse(content_type="application/json")
        if redirect_to is None
        else HttpResponseRedirect(redirect_to, status=303)
    )
    try:
        new = store_decision(request, response, answer)
    except DatabaseError as error:
        return _unavailable(request, error, as_json=redirect_to is None)
    return response if redirect_to is not None else state_response(new, response)


@never_cache
@allow("POST")
@decision_view(form_fields)
def update(request: HttpRequest, fields: QueryDict) -> HttpResponse:
    """Store a decision posted by the banner or the preferences form."""
    form = DecisionForm(fields, catalogue=get_consent(request).catalogue)
    if not form.is_valid():
        return error_response(request, form.error_text(), status=400, as_json=False)
    answer = form.answer()
    if wants_json(request):
        return _store(request, answer, redirect_to=None)
    target = safe_next(request, form.cleaned_data["next"], request.headers.get("Referer"))
    return _store(request, answer, redirect_to=target)


@never_cache
@allow("GET", "POST", always_json=True)
@decision_view(body_as_sent, always_json=True)
def api(request: HttpRequest, body: bytes) -> HttpResponse:
    """GET: the visitor's consent as JSON. POST: store a decision, answer the new state."""
    state = get_consent(request)
    if request.method == "GET":
        return state_response(state)
    try:
        fields = json_fields(body)
    except BadDecision as error:
        return error_response(request, str(error), status=400, as_json=True)
    form = ApiDecisionForm(fields, catalogue=state.catalogue)
    if not form.is_valid():
        return error_response(request, form.error_text(), status=400, as_json=True)
    return _store(request, form.answer(), redirect_to=None)


def _consent_page(
    request: HttpRequest, template: str, state: ConsentState, **context: Any
) -> HttpResponse:
    """``template`` with the visitor's consent and the vocabulary, varying on the consent."""
    response = render(request, template, {**VOCABULARY, "consent": state, **context})
    vary_on_consent(response)
    return response


@never_cache
@require_safe
def preferences(request: HttpRequest) -> HttpResponse:
    return _consent_page(
        request,
        "cookie_consent/preferences.html",
        get_consent(request),
        next=safe_next(request, request.GET.get("next"), request.headers.get("Referer")),
    )


@never_cache
@require_safe
def policy(request: HttpRequest) -> HttpResponse:
    state = get_consent(request)
    return _consent_page(
        request,
        "cookie_consent/policy.html",
        state,
        statuses=Status,
        records=recent_records(state.consent_id),
        site=f"{request.scheme}://{request.get_host()}",
        next=request.get_full_path(),
    )


@require_safe
def gpc_json(request: HttpRequest) -> JsonResponse:
    """The GPC support resource; route it at ``/.well-known/gpc.json`` (site root)."""
    return JsonResponse({"gpc": conf.HONOR_GPC, "lastUpdate": conf.GPC_LAST_UPDATE})
