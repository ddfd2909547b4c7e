"""The decision views under hostile or broken input and under faults: issue 11.

A malformed body is a readable 400; a body is bounded while it is read, under ASGI too;
a JSON request gets every answer as JSON, a CSRF refusal included; a fault is one log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tracemalloc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections
from django.test import Client

from cookie_consent.consent import cookie as consent_cookie
from cookie_consent.models import ConsentRecord
from tests.toolkit import decide, url

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

COOKIE_NAME = "cookies_preferences"
TOO_LARGE = "The request is too large to be a cookie choice."
CSRF_REFUSED = (
    "Your choice was not saved: the page's security token (CSRF) is missing or out of date. "
    "Reload the page and try again."
)
# A CSRF secret of the right length: Django accepts it unmasked, in the cookie and the header.
CSRF_SECRET = "s" * 32


def json_error(response: Response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert COOKIE_NAME not in response.cookies
    error: str = response.json()["error"]
    return error


def assert_one_line(
    caplog: pytest.LogCaptureFixture, level: str, message: str, *, logger: str | None = None
) -> None:
    """The request logged exactly one record, at ``level``, without a traceback."""
    [record] = caplog.records
    assert (record.levelname, record.getMessage()) == (level, message)
    assert record.exc_info is None
    assert logger is None or record.name == logger


# 5. Deep JSON


TOO_DEEP = (
    "The body is nested too deeply to be a cookie choice: send an object with "
    "“action” and, with “save”, “categories”."
)


def test_json_nested_deeper_than_the_parser_goes_is_a_readable_400() -> None:
    # 16,000 levels, under the body limit: past every supported Python's JSON parser.
    response = Client().post(url("api"), "[" * 16_000, content_type="application/json")
    assert json_error(response, 400) == TOO_DEEP
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "[" * 3000,
        "[" * 3000 + "]" * 3000,
        '{"action": "save", "categories": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"action": "save", "categories": {"statistics": ' + '{"a":' * 2000 + "1" + "}" * 2002,
    ],
    ids=["unclosed", "closed", "in-categories", "objects"],
)
def test_deeply_nested_json_is_a_readable_400(body: str) -> None:
    # Python 3.13's parser reads 3,000 levels (3.11 and 3.12 raise RecursionError): either
    # way a 400 that says what is wrong, and nothing stored.
    response = Client().post(url("api"), body, content_type="application/json")
    message = json_error(response, 400)
    assert message
    assert message == TOO_DEEP or sys.version_info >= (3, 13)
    assert not ConsentRecord.objects.exists()


def test_malformed_multipart_form_is_a_readable_400(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        response = Client().post(
            url("update"),
            b"--x\r\nContent-Disposition: form-data; name=action\r\n\r\naccept_all",
            content_type="multipart/form-data",
        )
    assert response.status_code == 400
    assert "Your cookie choice was not saved" in response.text
    assert (
        "The form could not be read: send it as application/x-www-form-urlencoded or "
        "multipart/form-data."
    ) in response.text
    assert COOKIE_NAME not in response.cookies
    assert_one_line(caplog, "WARNING", f"Bad Request: {url('update')}")


def test_form_with_too_many_fields_is_a_readable_400(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        response = Client().post(
            url("update"),
            "action=accept_all" + "&a=" * 1000,
            content_type="application/x-www-form-urlencoded",
            headers={"Accept": "application/json"},
        )
    assert json_error(response, 400) == TOO_LARGE
    assert_one_line(caplog, "WARNING", f"Bad Request: {url('update')}")


def test_the_sites_smaller_upload_limit_holds(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"action": "accept_all", "padding": "a" * 1000})
    response = Client().post(url("api"), body, content_type="application/json")
    assert json_error(response, 400) == TOO_LARGE


# 9. Under ASGI, a body without Content-Length


@contextmanager
def database_connections_kept() -> Iterator[None]:
    """As Django's test clients do: the test's transaction outlives the request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class AsgiAnswer:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        start = messages[0]
        self.status_code: int = start["status"]
        self.headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
        self.cookies = [
            value.decode() for name, value in start["headers"] if name.lower() == b"set-cookie"
        ]
        self.content = b"".join(m.get("body", b"") for m in messages[1:])

    def json(self) -> Any:
        return json.loads(self.content)


def asgi_post(
    path: str, chunks: Iterable[bytes], content_type: str, headers: dict[str, str] | None = None
) -> AsgiAnswer:
    """POST ``chunks`` through Django's ASGI application, chunked: no Content-Length."""
    sent: list[dict[str, Any]] = []
    header_list = [
        (b"content-type", content_type.encode()),
        (b"cookie", f"csrftoken={CSRF_SECRET}".encode()),
        (b"x-csrftoken", CSRF_SECRET.encode()),
        *((name.encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *header_list],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    pending = iter(chunks)
    finished = False

    async def receive() -> dict[str, Any]:
        nonlocal finished
        chunk = next(pending, None)
        if chunk is not None:
            return {"type": "http.request", "body": chunk, "more_body": True}
        if not finished:
            finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # The client stays connected until it has the answer.
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    with database_connections_kept():
        async_to_sync(ASGIHandler())(scope, receive, send)
    return AsgiAnswer(sent)


def filler(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of padding inside a JSON string, in chunks, without holding them all."""
    block = b"a" * chunk
    for _ in range(total // chunk):
        yield block
    yield b"a" * (total % chunk)


def oversized_decision(total: int) -> Iterator[bytes]:
    yield b'{"action": "accept_all", "padding": "'
    yield from filler(total)
    yield b'"}'


def test_asgi_small_body_without_length_is_read() -> None:
    answer = asgi_post(url("api"), [b'{"action": ', b'"accept_all"}'], "application/json")
    assert answer.status_code == 200
    assert answer.json()["decided"] is True
    assert any(cookie.startswith(f"{COOKIE_NAME}=") for cookie in answer.cookies)


def test_asgi_api_body_without_length_is_bounded() -> None:
    answer = asgi_post(url("api"), oversized_decision(17 * 1024), "application/json")
    assert answer.status_code == 400
    assert answer.json() == {"error": TOO_LARGE}
    assert not answer.cookies
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    ("content_type", "chunks"),
    [
        ("application/x-www-form-urlencoded", [b"action=accept_all&pad=", b"a" * 17 * 1024]),
        (
            "multipart/form-data; boundary=x",
            [
                b"--x\r\nContent-Disposition: form-data; name=action\r\n\r\naccept_all\r\n",
                b"--x\r\nContent-Disposition: form-data; name=pad\r\n\r\n",
                b"a" * 17 * 1024,
                b"\r\n--x--\r\n",
            ],
        ),
    ],
    ids=["urlencoded", "multipart"],
)
def test_asgi_form_without_length_is_bounded(content_type: str, chunks: list[bytes]) -> None:
    answer = asgi_post(url("update"), chunks, content_type)
    assert answer.status_code == 400
    assert TOO_LARGE in answer.content.decode()
    assert not answer.cookies
    assert not ConsentRecord.objects.exists()


def test_asgi_multipart_form_without_length_is_read() -> None:
    chunks = [
        b"--x\r\nContent-Disposition: form-data; name=action\r\n\r\nreject_all\r\n",
        b"--x\r\nContent-Disposition: form-data; name=next\r\n\r\n/page/\r\n--x--\r\n",
    ]
    answer = asgi_post(url("update"), chunks, "multipart/form-data; boundary=x")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/page/"
    assert ConsentRecord.objects.get().action == "reject_all"


def test_asgi_body_is_never_read_whole(settings: Any) -> None:
    """Without the site's limit, the view still reads no more than the decision limit."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    total = 24 * 1024 * 1024
    tracemalloc.start()
    try:
        answer = asgi_post(url("api"), oversized_decision(total), "application/json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.json() == {"error": TOO_LARGE}
    # Django spools the body (to disk past FILE_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB).
    assert peak < total / 3


# 10. A JSON request gets a JSON answer


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_update_answers_a_json_content_type_in_json(content_type: str) -> None:
    response = Client().post(url("update"), '{"action": "accept_all"}', content_type=content_type)
    assert json_error(response, 400) == "action: This field is required."


def test_update_answers_json_to_get_from_a_json_request() -> None:
    response = Client().get(url("update"), headers={"Accept": "application/json"})
    assert json_error(response, 405) == "Send a cookie choice with POST."
    assert response["Allow"] == "POST"


def test_api_answers_json_to_a_method_it_does_not_take() -> None:
    response = Client().put(url("api"), "{}", content_type="application/json")
    assert json_error(response, 405) == "Send a cookie choice with POST."
    assert response["Allow"] == "GET, POST"


def test_update_form_get_keeps_djangos_405() -> None:
    response = Client().get(url("update"))
    assert response.status_code == 405
    assert response.content == b""


def test_api_csrf_failure_is_json(caplog: pytest.LogCaptureFixture) -> None:
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.INFO):
        # A form content type and no Accept: still the API, still JSON.
        response = client.post(url("api"), {"action": "accept_all"})
    assert json_error(response, 403) == CSRF_REFUSED
    assert not ConsentRecord.objects.exists()
    [record] = caplog.records
    assert (record.name, record.levelname) == ("django.security.csrf", "WARNING")
    assert record.getMessage() == f"Forbidden (CSRF cookie not set.): {url('api')}"


def test_api_csrf_failure_with_a_wrong_token_is_json() -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_SECRET
    response = client.post(
        url("api"),
        {"action": "accept_all"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN="t" * 32,
    )
    assert json_error(response, 403) == CSRF_REFUSED


@pytest.mark.parametrize(
    "request_headers",
    [{"Accept": "application/json"}, {"Content-Type": "application/json"}],
    ids=["accept", "content-type"],
)
def test_update_csrf_failure_is_json_for_a_json_request(request_headers: dict[str, str]) -> None:
    client = Client(enforce_csrf_checks=True)
    if "Content-Type" in request_headers:
        response = client.post(url("update"), "{}", content_type="application/json")
    else:
        response = decide(client, "accept_all", status=403, headers=request_headers)
    assert json_error(response, 403) == CSRF_REFUSED


def test_update_form_csrf_failure_keeps_djangos_page() -> None:
    response = decide(Client(enforce_csrf_checks=True), "accept_all", status=403)
    assert response["Content-Type"].startswith("text/html")
    assert "CSRF verification failed" in response.text
    assert COOKIE_NAME not in response.cookies


def test_the_sites_pages_keep_djangos_csrf_page() -> None:
    response = Client(enforce_csrf_checks=True).post(
        "/page/", {"a": "1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 403
    assert "CSRF verification failed" in response.text


def test_form_token_in_the_bounded_body_passes_the_check() -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_SECRET
    response = decide(client, "accept_all", csrfmiddlewaretoken=CSRF_SECRET)
    stored = consent_cookie.decode(response.cookies[COOKIE_NAME].value)
    assert stored is not None
    assert all(decision.granted for decision in stored.decisions.values())


# 14. One log line per fault


@pytest.fixture
def records_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise OperationalError('connection to server failed: Connection refused\n\tIs it "up"?')

    monkeypatch.setattr(ConsentRecord, "save", fail)


@pytest.mark.usefixtures("records_fail")
@pytest.mark.parametrize(
    ("view", "kwargs"),
    [("update", {}), ("api", {"content_type": "application/json"})],
    ids=["update", "api"],
)
def test_unavailable_is_one_error_line(
    caplog: pytest.LogCaptureFixture, view: str, kwargs: dict[str, Any]
) -> None:
    with caplog.at_level(logging.INFO):
        response = Client().post(url(view), {"action": "accept_all"}, **kwargs)
    assert response.status_code == 503
    assert_one_line(
        caplog,
        "ERROR",
        "Cookie consent: the consent record could not be written, nothing was stored "
        "(OperationalError: connection to server failed: Connection refused "
        f'Is it "up"?): {url(view)}',
        logger="cookie_consent.views",
    )


def test_unreadable_records_are_one_warning_line(
    client: Client, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    decide(client, "reject_all")

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("cookie_consent.records.recent.ConsentRecord.objects.filter", fail)
    with caplog.at_level(logging.INFO):
        response = client.get(url("policy"))
    assert response.status_code == 200
    assert_one_line(
        caplog,
        "WARNING",
        "Cookie consent: the consent records could not be read, the policy page shows none "
        "(OperationalError: server closed the connection unexpectedly).",
        logger="cookie_consent.views",
    )
