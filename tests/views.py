from __future__ import annotations

import io
import json
from http.cookies import SimpleCookie

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render

from cookie_consent.decorators import cookie_consent_exempt


def page(request: HttpRequest) -> HttpResponse:
    return render(request, "page.html")


async def async_page(request: HttpRequest) -> HttpResponse:
    return render(request, "page.html")


def set_cookie_as(response: HttpResponse, kind: str) -> None:
    """Each way a view can set a cookie: the rows of the enforcement matrix."""
    if kind == "view":
        response.set_cookie("_ga", "GA1.1")
    elif kind == "signed":
        response.set_signed_cookie("_ga", "GA1.1")
    elif kind == "httponly":
        response.set_cookie("_ga", "GA1.1", httponly=True)
    elif kind == "domain":
        response.set_cookie("_ga", "GA1.1", domain=".example.com")
    elif kind == "pattern":
        response.set_cookie("_ga_ABC123", "GS1.1")
    elif kind == "third_party":
        response.set_cookie("_tp", "1")
    elif kind == "undeclared":
        response.set_cookie("_unknown", "1")
    elif kind == "raw":
        response.headers["Set-Cookie"] = "_ga=GA1.1; Path=/"
    elif kind == "delete":
        response.delete_cookie("_ga")


def cookies(request: HttpRequest) -> HttpResponse:
    """Answers the cookies the view sees, and sets the one ``?kind=`` names."""
    response = HttpResponse(json.dumps(sorted(request.COOKIES)), content_type="application/json")
    set_cookie_as(response, request.GET.get("kind", ""))
    return response


async def async_cookies(request: HttpRequest) -> HttpResponse:
    return cookies(request)


def raw_cookie_header(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.META.get("HTTP_COOKIE", ""))


@cookie_consent_exempt
def exempt_cookies(request: HttpRequest) -> HttpResponse:
    return cookies(request)


@cookie_consent_exempt
async def async_exempt_cookies(request: HttpRequest) -> HttpResponse:
    return cookies(request)


def streaming(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(iter([b"chunk-1;", b"chunk-2"]))
    response.set_cookie("_ga", "GA1.1")
    return response


def file(request: HttpRequest) -> FileResponse:
    response = FileResponse(io.BytesIO(b"file body"), filename="a.txt")
    response.set_cookie("_ga", "GA1.1")
    return response


def head_page(request: HttpRequest) -> HttpResponse:
    """A page with Consent Mode defaults in its head (and a CSP nonce when asked)."""
    context = {"csp_nonce": request.GET["nonce"]} if "nonce" in request.GET else {}
    return render(request, "head.html", context)


def cookie_routes(request: HttpRequest) -> JsonResponse:
    """Every route by which a view reads the cookies it was sent, as the view sees them."""
    return JsonResponse(
        {
            "COOKIES": request.COOKIES,
            "META": request.META.get("HTTP_COOKIE"),
            "headers": request.headers.get("Cookie"),
        }
    )


def set_cookies_as_told(request: HttpRequest) -> HttpResponse:
    """Writes the cookies the JSON plan in the ``X-Cookie-Plan`` header lists, each step
    through the call it names, in order: every way a view writes a ``Set-Cookie``."""
    response = HttpResponse("ok")
    for step in json.loads(request.headers.get("X-Cookie-Plan", "[]")):
        call = step.pop("call")
        if call == "header":
            response.headers["Set-Cookie"] = step["value"]
        elif call == "morsel":
            response.cookies[step["name"]] = step["value"]
            for attribute, value in step["attributes"].items():
                response.cookies[step["name"]][attribute] = value
        elif call == "alias":  # a morsel kept under another key than its name
            jar: SimpleCookie = SimpleCookie()
            jar[step["name"]] = step["value"]
            response.cookies[step["key"]] = jar[step["name"]]
        else:  # set_cookie, set_signed_cookie, delete_cookie, with their keyword arguments
            getattr(response, call)(**step)
    return response
