"""A decision request's body: read within a bound, then parsed, as form fields or as the
API's JSON, into the data of a decision form; and Django's CSRF check, which reads a
form's token from those fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware_with_args
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cookie_consent.consent.http import View, error_response, say_in_json, wants_json

T = TypeVar("T")

# A decision is a few hundred bytes; anything much larger is not one.
MAX_BODY = 16 * 1024


class BadDecision(Exception):
    """A decision that cannot be stored, with the message the visitor is shown."""


def _too_large() -> BadDecision:
    return BadDecision(_("The request is too large to be a cookie choice."))


def read_body(request: HttpRequest) -> bytes:
    """The body, read no further than the limit (the site's upload limit, if smaller).

    ``Content-Length`` is only a first check: under ASGI a chunked body has none, so the
    read itself stops one byte past the limit, whatever the body's real size.
    """
    limit = MAX_BODY
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None:
        limit = min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = limit + 1
    if declared > limit:
        raise _too_large()
    body = request.read(limit + 1)
    if len(body) > limit:
        raise _too_large()
    return body


def read_form(request: HttpRequest, body: bytes) -> QueryDict:
    """The form fields of ``body``, parsed as Django parses ``request.POST``."""
    try:
        if request.content_type == "multipart/form-data":
            # The length read, not the one declared: a chunked body declares none.
            meta = {**request.META, "CONTENT_LENGTH": str(len(body))}
            fields, _files = request.parse_file_upload(meta, BytesIO(body))
            return fields
        if request.content_type == "application/x-www-form-urlencoded":
            return QueryDict(body, encoding="utf-8")
    except MultiPartParserError as error:
        raise BadDecision(
            _(
                "The form could not be read: send it as application/x-www-form-urlencoded "
                "or multipart/form-data."
            )
        ) from error
    except SuspiciousOperation as error:
        # Too many fields or files for Django's limits.
        raise _too_large() from error
    return QueryDict()


def json_fields(body: bytes) -> dict[str, Any]:
    """The API's JSON body as form data: its ``action`` and ``categories``, for the form to
    check. A body that is no object, or an ``action`` that is no text, has no action."""
    try:
        value = json.loads(body or b"null")
    except RecursionError as error:
        raise BadDecision(
            _(
                "The body is nested too deeply to be a cookie choice: send an object with "
                "“action” and, with “save”, “categories”."
            )
        ) from error
    except ValueError as error:
        raise BadDecision(_("The body is not valid JSON.")) from error
    fields = value if isinstance(value, dict) else {}
    action = fields.get("action")
    return {
        "action": action if isinstance(action, str) else None,
        "categories": fields.get("categories", []),
    }


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
            say_in_json(
                refusal,
                _(
                    "Your choice was not saved: the page's security token (CSRF) is missing "
                    "or out of date. Reload the page and try again."
                ),
            )
        return refusal


def decision_view(
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
                return error_response(request, str(error), status=400, as_json=always_json)
            response: HttpResponseBase = checked(request, data)
            return response

        return csrf_exempt(bounded)

    return decorator


def form_fields(request: HttpRequest, body: bytes) -> QueryDict:
    fields = read_form(request, body)
    # Where Django's CSRF check looks for the form's token. (Django's own multipart
    # parser sets a mutable QueryDict there too.)
    request.POST = fields  # type: ignore[assignment]
    return fields


def body_as_sent(request: HttpRequest, body: bytes) -> bytes:
    return body
