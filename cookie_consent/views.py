"""The consent views: decide (form and JSON), preferences, the policy page, GPC support."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db import DatabaseError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.decorators import decorator_from_middleware_with_args
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from cookie_consent.conf import conf
from cookie_consent.consent import cookie as consent_cookie
from cookie_consent.consent.decisions import API, PREFERENCES, decide

# "as": re-exported, for the template tags until they import them from consent/.
from cookie_consent.consent.http import safe_next as safe_next
from cookie_consent.consent.http import wants_json
from cookie_consent.consent.serialise import state_json as state_json
from cookie_consent.consent.state import (
    ConsentState,
    get_consent,
    vary_on_consent,
)

# "as": re-exported, for tests/test_middleware.py until it imports it from consent/.
from cookie_consent.consent.store import store as store
from cookie_consent.forms import (
    BadDecision,
    DecisionForm,
    read_api_decision,
    read_body,
    read_form,
)
from cookie_consent.logs import one_line
from cookie_consent.models import ConsentRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")
View = Callable[[HttpRequest], HttpResponseBase]


def _error(request: HttpRequest, message: str, *, status: int, as_json: bool) -> HttpResponse:
    """The page that says why nothing was stored, or its JSON ``{"error": message}``."""
    if as_json or wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "cookie_consent/error.html", {"message": message}, status=status)


def _say_in_json(response: HttpResponse, message: str) -> None:
    """Turn Django's own error page into ``{"error": message}``, status and headers kept.

    It is the same response object, so Django's log line for it stays the only one.
    """
    response.content = json.dumps({"error": message}).encode()
    response["Content-Type"] = "application/json"


def _allow(*methods: str, always_json: bool = False) -> Callable[[View], View]:
    """``require_http_methods``, whose 405 a JSON request gets in JSON."""

    def decorator(view: View) -> View:
        @wraps(view)
        def allowed(request: HttpRequest) -> HttpResponseBase:
            if request.method in methods:
                return view(request)
            refusal = HttpResponseNotAllowed(methods)
            if always_json or wants_json(request):
                _say_in_json(refusal, _("Send a cookie choice with POST."))
            log_response(
                "Method Not Allowed (%s): %s",
                request.method,
                request.path,
                response=refusal,
                request=request,
            )
            return refusal

        return allowed

    return decorator


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, whose 403 a JSON request gets in JSON.

    Only for these views: the site's other pages, and a form posted here, keep the page
    of ``CSRF_FAILURE_VIEW``.
    """

    def __init__(self, get_response: Callable[..., HttpResponse], always_json: bool) -> None:
        super().__init__(get_response)
        self.always_json = always_json

    def process_view(
        self,
        request: HttpRequest,
        callback: Callable[..., Any],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponseForbidden | None:
        refusal = super().process_view(request, callback, callback_args, callback_kwargs)
        if refusal is not None and (self.always_json or wants_json(request)):
            _say_in_json(
                refusal,
                _(
                    "Your choice was not saved: the page's security token (CSRF) is missing "
                    "or out of date. Reload the page and try again."
                ),
            )
        return refusal


def _decision_view(
    read: Callable[[HttpRequest, bytes], T], *, always_json: bool = False
) -> Callable[[Callable[[HttpRequest, T], HttpResponse]], View]:
    """For a view that stores a decision: its body read within the limit, then CSRF.

    ``read`` turns the bounded body into what the view takes. Django's CSRF check runs
    here, not in the site's middleware: a form's token is in the body, which nothing may
    parse before it is bounded; and a JSON request's refusal must be JSON.
    """

    def decorator(view: Callable[[HttpRequest, T], HttpResponse]) -> View:
        checked = decorator_from_middleware_with_args(_CsrfCheck)(always_json)(view)

        @wraps(view)
        def bounded(request: HttpRequest) -> HttpResponseBase:
            try:
                data = read(request, read_body(request))
            except BadDecision as error:
                return _error(request, str(error), status=400, as_json=always_json)
            response: HttpResponseBase = checked(request, data)
            return response

        return csrf_exempt(bounded)

    return decorator


def _form_fields(request: HttpRequest, body: bytes) -> QueryDict:
    fields = read_form(request, body)
    # Where Django's CSRF check looks for the form's token. (Django's own multipart
    # parser sets a mutable QueryDict there too.)
    request.POST = fields  # type: ignore[assignment]
    return fields


def _body_as_sent(request: HttpRequest, body: bytes) -> bytes:
    return body


def _unavailable(request: HttpRequest, error: DatabaseError, *, as_json: bool) -> HttpResponse:
    """The decision could not be recorded: say so, store nothing, log it once.

    One line at ERROR, without the traceback: in an outage every decision fails the same
    way, and the class and message say why. Django's own line for the 503 is not added.
    """
    message = _("Your choice could not be saved just now. Nothing was changed; please try again.")
    response = _error(request, message, status=503, as_json=as_json)
    log_response(
        "Cookie consent: the consent record could not be written, nothing was stored (%s): %s",
        one_line(error),
        request.path,
        response=response,
        request=request,
        logger=logger,
    )
    return response


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
@_allow("POST")
@_decision_view(_form_fields)
def update(request: HttpRequest, fields: QueryDict) -> HttpResponse:
    """Store a decision posted by the banner or the preferences form."""
    state = get_consent(request)
    form = DecisionForm(fields, catalogue=state.catalogue)
    if not form.is_valid():
        return _error(request, form.error_text(), status=400, as_json=False)
    action = form.cleaned_data["action"]
    method = form.cleaned_data["method"] or PREFERENCES
    stored = decide(state, action=action, granted=form.cleaned_data["categories"], method=method)
    try:
        if wants_json(request):
            return _stored_json_response(request, stored, action=action, method=method)
        target = safe_next(request, form.cleaned_data["next"], request.headers.get("Referer"))
        response = HttpResponseRedirect(target, status=303)
        store(request, response, stored, action=action, method=method)
    except DatabaseError as error:
        return _unavailable(request, error, as_json=False)
    return response


@never_cache
@_allow("GET", "POST", always_json=True)
@_decision_view(_body_as_sent, always_json=True)
def api(request: HttpRequest, body: bytes) -> HttpResponse:
    """GET: the visitor's consent as JSON. POST: store a decision, answer the new state."""
    state = get_consent(request)
    if request.method == "GET":
        return _state_response(state)
    try:
        action, granted = read_api_decision(body, state.catalogue)
    except BadDecision as error:
        return JsonResponse({"error": str(error)}, status=400)
    stored = decide(state, action=action, granted=granted, method=API)
    try:
        return _stored_json_response(request, stored, action=action, method=API)
    except DatabaseError as error:
        return _unavailable(request, error, as_json=True)


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
    except DatabaseError as error:
        # The page is still served, without them: a degraded page, not a failed request.
        logger.warning(
            "Cookie consent: the consent records could not be read, the policy page shows "
            "none (%s).",
            one_line(error),
        )
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
