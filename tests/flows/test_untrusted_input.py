"""Whatever a client sends, the views answer without a server error and forge no grant."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cookie_consent.consent import cookie as consent_cookie
from cookie_consent.models import ConsentRecord
from tests.factories import make_consent_cookie
from tests.flows.test_redirects import OFF_SITE, assert_stays_on_site
from tests.toolkit import decide, decide_by_api, url

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

COOKIE_NAME = "cookies_preferences"
# The default catalogue's categories.
CONSENT_SLUGS = frozenset({"statistics", "first_party", "third_party"})
SLUGS = CONSENT_SLUGS | {"necessary"}
ACCEPT_ALL, REJECT_ALL, SAVE = ConsentRecord.Action
ACTIONS = ConsentRecord.Action.values

fuzz = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def as_received(value: str) -> str:
    """``value`` as a WSGI server hands a header to Django: its UTF-8 bytes read as Latin-1."""
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


def cookie_header(value: str) -> str:
    return f"{COOKIE_NAME}={as_received(value)}"


def valid_value() -> str:
    """A consent cookie granting every category of the current catalogue."""
    return make_consent_cookie(accept_all=True)


def granted_in_api(response: Response) -> set[str]:
    body = json.loads(response.content)
    return {c["slug"] for c in body["categories"] if c["granted"]}


def assert_no_decision(client: Client, header: str) -> None:
    """Every consent page reads the Cookie header ``header`` as no decision at all."""
    for view in ("policy", "preferences"):
        response = client.get(url(view), headers={"Cookie": header})
        assert response.status_code == 200
        assert response.context["consent"].granted_slugs == {"necessary"}
        assert not re.search(r"<input[^>]*\bchecked\b", response.content.decode())
    response = client.get(url("api"), headers={"Cookie": header})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["consent_id"] is None
    assert body["decided"] is False
    assert granted_in_api(response) == {"necessary"}


def assert_nothing_stored(response: Response) -> None:
    assert COOKIE_NAME not in response.cookies


def stored_grants(response: Response) -> set[str]:
    """The consent-requiring categories the response's consent cookie grants."""
    stored = consent_cookie.decode(response.cookies[COOKIE_NAME].value)
    assert stored is not None
    assert set(stored.decisions) == CONSENT_SLUGS
    return {slug for slug, decision in stored.decisions.items() if decision.granted}


# Consent cookies that are not ours


def test_the_valid_value_grants() -> None:
    """The control for what follows: untouched, the value grants every category."""
    response = Client().get(url("api"), headers={"Cookie": cookie_header(valid_value())})
    assert granted_in_api(response) == SLUGS


@fuzz
@given(st.text())
def test_any_text_cookie_is_no_decision(value: str) -> None:
    assert_no_decision(Client(), cookie_header(value))


@fuzz
@given(st.binary())
def test_any_bytes_cookie_is_no_decision(value: bytes) -> None:
    assert_no_decision(Client(), f"{COOKIE_NAME}={value.decode('latin-1')}")


@fuzz
@given(st.binary())
def test_any_cookie_header_is_no_decision(header: bytes) -> None:
    assert_no_decision(Client(), header.decode("latin-1"))


@fuzz
@given(st.data())
def test_tampered_cookie_is_no_decision(data: st.DataObject) -> None:
    value = valid_value()
    position = data.draw(st.integers(min_value=0, max_value=len(value) - 1), label="position")
    character = data.draw(
        st.one_of(st.sampled_from('0123456789abcdef|:~_-A"\\;= '), st.characters()),
        label="character",
    )
    if character == value[position]:
        return
    assert_no_decision(
        Client(), cookie_header(value[:position] + character + value[position + 1 :])
    )


@fuzz
@given(st.data())
def test_truncated_cookie_is_no_decision(data: st.DataObject) -> None:
    value = valid_value()
    end = data.draw(st.integers(min_value=0, max_value=len(value) - 1), label="end")
    assert_no_decision(Client(), cookie_header(value[:end]))


def test_cookie_with_a_grant_edited_in_is_no_decision() -> None:
    value = valid_value()
    refused = value.replace(":1:", ":0:")
    assert_no_decision(Client(), cookie_header(refused))


@pytest.mark.parametrize(
    "make",
    [
        lambda v: "A" * 10240,
        lambda v: v + "A" * 10240,
        lambda v: "A" * 10240 + v,
        lambda v: v * 60,
        lambda v: "é" * 5120,
        lambda v: v.rpartition("~")[0] + "~" + "A" * 10240,
    ],
    ids=["filler", "appended", "prepended", "repeated", "non-ascii", "long-signature"],
)
def test_ten_kilobyte_cookie_is_no_decision(make: Any) -> None:
    value: str = make(valid_value())
    assert len(as_received(value)) >= 10240
    assert_no_decision(Client(), cookie_header(value))


# Decisions posted with random fields

actions = st.one_of(st.sampled_from(ACTIONS), st.text(max_size=20))
category_lists = st.lists(st.one_of(st.sampled_from(sorted(SLUGS)), st.text(max_size=20)))
nexts = st.one_of(st.none(), st.sampled_from([*OFF_SITE, "/page/?a=1"]), st.text(max_size=100))
methods = st.one_of(st.none(), st.sampled_from(["banner", "preferences"]), st.text(max_size=10))


def expected_grants(action: Any, categories: Any) -> set[str]:
    if action == ACCEPT_ALL:
        return set(CONSENT_SLUGS)
    if action == REJECT_ALL:
        return set()
    return set(categories) & CONSENT_SLUGS


@settings(fuzz, max_examples=200)
@given(
    action=actions,
    categories=category_lists,
    next_=nexts,
    method=methods,
    wants_json=st.booleans(),
)
def test_posted_decision_is_stored_as_asked_or_refused(
    action: str, categories: list[str], next_: str | None, method: str | None, wants_json: bool
) -> None:
    data: dict[str, Any] = {"action": action, "categories": categories}
    if next_ is not None:
        data["next"] = next_
    if method is not None:
        data["method"] = method
    accept = "application/json" if wants_json else "text/html"
    response = Client().post(url("update"), data, headers={"Accept": accept})
    assert response.status_code in (200, 303, 400)
    well_formed = action in ACTIONS and set(categories) <= SLUGS
    if not well_formed:
        assert response.status_code == 400
    if well_formed and next_ is None and method in (None, "banner", "preferences"):
        assert response.status_code != 400
    if response.status_code == 400:
        assert_nothing_stored(response)
        return
    assert response.status_code == (200 if wants_json else 303)
    assert stored_grants(response) == expected_grants(action, categories)
    if wants_json:
        assert granted_in_api(response) == expected_grants(action, categories) | {"necessary"}
    else:
        assert_stays_on_site(response["Location"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=8,
)
slug_like = st.one_of(st.sampled_from(sorted(SLUGS)), st.text(max_size=12))
api_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"action": st.one_of(st.sampled_from(ACTIONS), json_values)},
        optional={
            "categories": st.one_of(
                st.lists(st.one_of(slug_like, json_values), max_size=5),
                st.dictionaries(slug_like, st.one_of(st.booleans(), json_values), max_size=5),
                json_values,
            )
        },
    ),
)


def api_expected_grants(body: dict[str, Any]) -> set[str]:
    categories = body.get("categories", [])
    if isinstance(categories, list):
        categories = dict.fromkeys(categories, True)
    return expected_grants(body["action"], [s for s, grant in categories.items() if grant])


@settings(fuzz, max_examples=300)
@given(api_bodies)
@example({"action": SAVE, "categories": ["statistics", "third_party"]})
@example({"action": SAVE, "categories": {"statistics": True, "first_party": False}})
@example({"action": SAVE, "categories": [["statistics"]]})
def test_api_decision_is_stored_as_asked_or_refused(body: Any) -> None:
    response = Client().post(url("api"), json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert_nothing_stored(response)
        assert json.loads(response.content)["error"]
        return
    assert isinstance(body, dict)
    assert body["action"] in ACTIONS
    assert stored_grants(response) == api_expected_grants(body)
    assert granted_in_api(response) == api_expected_grants(body) | {"necessary"}


@fuzz
@given(st.binary(max_size=200))
def test_api_any_body_bytes(body: bytes) -> None:
    response = Client().post(url("api"), body, content_type="application/json")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert_nothing_stored(response)


# Errors, with the message a person reads


def post_form(data: dict[str, Any], **kwargs: Any) -> Response:
    return Client().post(url("update"), data, **kwargs)


def post_raw(text: str, **kwargs: Any) -> Response:
    return Client().post(url("api"), text, content_type="application/json", **kwargs)


def post_api(body: Any, **kwargs: Any) -> Response:
    return post_raw(json.dumps(body), **kwargs)


def api_error(response: Response) -> str:
    assert response.status_code == 400
    assert_nothing_stored(response)
    error: str = json.loads(response.content)["error"]
    return error


def form_error(response: Response) -> str:
    assert response.status_code == 400
    assert_nothing_stored(response)
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_unknown_action() -> None:
    content = form_error(post_form({"action": "accept_some"}))
    assert "accept_some is not one of the available choices" in content


def test_missing_action() -> None:
    assert "This field is required" in form_error(post_form({"categories": ["statistics"]}))


def test_unknown_action_message_is_escaped() -> None:
    content = form_error(post_form({"action": "<script>alert(1)</script>"}))
    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;" in content


def test_unknown_action_as_json() -> None:
    response = post_form({"action": "accept_some"}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert_nothing_stored(response)
    assert (
        "accept_some is not one of the available choices" in json.loads(response.content)["error"]
    )


def test_unknown_category() -> None:
    content = form_error(post_form({"action": SAVE, "categories": ["statistics", "marketing"]}))
    assert "marketing is not one of the available choices" in content


def test_api_unknown_action() -> None:
    error = api_error(post_api({"action": "accept_some"}))
    assert "accept_all, reject_all, save" in error


@pytest.mark.parametrize("body", [None, [], "save", 1, {"categories": []}])
def test_api_not_an_action(body: Any) -> None:
    assert "action" in api_error(post_api(body))


def test_api_unknown_category() -> None:
    assert "marketing" in api_error(post_api({"action": SAVE, "categories": ["marketing"]}))


def test_api_required_category_cannot_be_refused() -> None:
    error = api_error(post_api({"action": SAVE, "categories": {"necessary": False}}))
    assert "required" in error
    assert "cannot be refused" in error


def test_api_required_category_granted_is_fine() -> None:
    response = post_api({"action": SAVE, "categories": {"necessary": True, "statistics": True}})
    assert response.status_code == 200
    assert stored_grants(response) == {"statistics"}


@pytest.mark.parametrize(
    "categories",
    [
        [["statistics"]],
        [{"statistics": True}],
        ["statistics", ["first_party"]],
    ],
    ids=["list-in-list", "object-in-list", "mixed"],
)
def test_api_categories_that_cannot_be_slugs(categories: list[Any]) -> None:
    assert "categories" in api_error(post_api({"action": SAVE, "categories": categories}))


@pytest.mark.parametrize(
    "categories", [{"statistics": 1}, {"statistics": "yes"}, "statistics", 3, None]
)
def test_api_categories_of_the_wrong_shape(categories: Any) -> None:
    assert "categories" in api_error(post_api({"action": SAVE, "categories": categories}))


def test_api_categories_with_another_action() -> None:
    error = api_error(post_api({"action": REJECT_ALL, "categories": ["statistics"]}))
    assert "save" in error


@pytest.mark.parametrize("body", ["{", "{'action': 'save'}", "\xff", "NaN-ish"])
def test_api_invalid_json(body: str) -> None:
    assert "not valid JSON" in api_error(post_raw(body))


def test_oversized_form() -> None:
    response = post_form({"action": ACCEPT_ALL, "next": "/" + "a" * (17 * 1024)})
    assert "too large" in form_error(response)


def test_oversized_api_body() -> None:
    body = {"action": ACCEPT_ALL, "padding": "a" * (17 * 1024)}
    assert "too large" in api_error(post_api(body))


def test_declared_oversized_api_body() -> None:
    response = post_api({"action": ACCEPT_ALL}, CONTENT_LENGTH=str(16 * 1024 + 1))
    assert "too large" in api_error(response)


def test_unreadable_content_length() -> None:
    response = post_api({"action": ACCEPT_ALL}, CONTENT_LENGTH="lots")
    assert "too large" in api_error(response)


def test_body_of_exactly_the_limit_is_read() -> None:
    head = json.dumps({"action": ACCEPT_ALL, "padding": ""})
    body = head[:-2] + "a" * (16 * 1024 - len(head)) + head[-2:]
    assert len(body) == 16 * 1024
    response = post_raw(body)
    assert response.status_code == 200
    assert stored_grants(response) == CONSENT_SLUGS


def test_update_refuses_get() -> None:
    response = Client().get(url("update"), {"action": ACCEPT_ALL})
    assert response.status_code == 405
    assert_nothing_stored(response)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_api_refuses_other_methods(method: str) -> None:
    response = getattr(Client(), method)(url("api"))
    assert response.status_code == 405


def test_form_without_csrf_token_is_forbidden() -> None:
    response = decide(Client(enforce_csrf_checks=True), ACCEPT_ALL, status=403)
    assert_nothing_stored(response)


def test_api_without_csrf_token_is_forbidden() -> None:
    response = decide_by_api(Client(enforce_csrf_checks=True), ACCEPT_ALL, status=403)
    assert_nothing_stored(response)


def test_api_with_csrf_header() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(url("preferences"))
    token = client.cookies["csrftoken"].value
    response = decide_by_api(client, ACCEPT_ALL, headers={"X-CSRFToken": token})
    assert stored_grants(response) == CONSENT_SLUGS


def test_form_with_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    content = client.get(url("preferences")).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    assert match is not None
    response = decide(client, REJECT_ALL, csrfmiddlewaretoken=match[1], next="/p/")
    assert stored_grants(response) == set()
