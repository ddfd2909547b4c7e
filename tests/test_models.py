from __future__ import annotations

import json

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError

from cookie_consent.enforcement.directions import Direction
from cookie_consent.models import Cookie, CookieCategory, UndeclaredCookie
from tests.factories import make_category, make_cookie

pytestmark = pytest.mark.django_db


def messages_of(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def necessary() -> CookieCategory:
    return CookieCategory.objects.get(slug="necessary")


def statistics() -> CookieCategory:
    return CookieCategory.objects.get(slug="statistics")


def test_str_and_natural_keys() -> None:
    cookie = make_cookie(category=statistics(), name="_ga", domain=".example.com")
    assert str(cookie) == "_ga"
    assert str(statistics()) == "Statistical cookies"
    assert statistics().natural_key() == ("statistics",)
    assert cookie.natural_key() == ("_ga", ".example.com", "/")
    assert CookieCategory.objects.get_by_natural_key("statistics") == statistics()
    assert Cookie.objects.get_by_natural_key("_ga", ".example.com", "/") == cookie


def test_natural_key_serialisation_round_trip() -> None:
    make_cookie(category=statistics(), name="_ga_*")
    text = serializers.serialize(
        "json",
        Cookie.objects.filter(name="_ga_*"),
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )
    assert json.loads(text)[0]["fields"]["category"] == ["statistics"]
    Cookie.objects.filter(name="_ga_*").delete()
    for obj in serializers.deserialize("json", text):
        obj.save()
    assert Cookie.objects.get(name="_ga_*").category == statistics()


def test_is_pattern() -> None:
    assert Cookie(name="_ga_*").is_pattern
    assert not Cookie(name="_ga").is_pattern


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter the cookie's name, or a pattern such as _ga_*."),
        ("has space", "“has space” is not a valid cookie name"),
        ("semi;colon", "“semi;colon” is not a valid cookie name"),
        ("**", "The pattern “**” would match every cookie"),
    ],
)
def test_cookie_name_errors(name: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        Cookie(category=statistics(), name=name).full_clean()
    assert message in messages_of(error)["name"][0]


def test_blank_only_name_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as error:
        Cookie(category=statistics(), name="   ").full_clean()
    assert "Enter the cookie's name" in messages_of(error)["name"][0]


def test_duplicate_name_domain_path() -> None:
    make_cookie(category=statistics(), name="_ga")
    with pytest.raises(ValidationError) as error:
        Cookie(category=statistics(), name="_ga", path="/").full_clean()
    assert messages_of(error)["__all__"] == [
        "A cookie with this name, domain and path is already declared."
    ]
    # Another path is another cookie.
    Cookie(category=statistics(), name="_ga", path="/shop").full_clean()


def test_name_in_two_categories() -> None:
    make_cookie(category=statistics(), name="_ga")
    third = make_category(slug="third_party")
    with pytest.raises(ValidationError) as error:
        Cookie(category=third, name="_ga", domain=".example.com").full_clean()
    assert messages_of(error)["name"] == [
        "“_ga” is already declared in the category “statistics”."
    ]


def test_pattern_matching_a_required_cookie() -> None:
    with pytest.raises(ValidationError) as error:
        Cookie(category=statistics(), name="session*").full_clean()
    assert messages_of(error)["name"] == [
        "The pattern “session*” matches “sessionid”, a cookie of a required category; "
        "narrow the pattern or move the cookie."
    ]


def test_required_cookie_matched_by_an_existing_pattern() -> None:
    make_cookie(category=statistics(), name="_track*")
    with pytest.raises(ValidationError) as error:
        Cookie(category=necessary(), name="_tracker_login").full_clean()
    assert "The pattern “_track*” matches “_tracker_login”" in messages_of(error)["name"][0]


def test_patterns_in_the_same_category_do_not_clash() -> None:
    make_cookie(category=necessary(), name="csrf*")
    necessary().full_clean()
    Cookie(category=necessary(), name="csrftoken", domain=".example.com").full_clean()


def test_category_required_and_needing_consent() -> None:
    with pytest.raises(ValidationError) as error:
        CookieCategory(slug="x", name="X", required=True, needs_consent=True).full_clean()
    assert "A required category cannot need consent" in messages_of(error)["__all__"][0]


def test_category_becoming_required_is_checked_against_patterns() -> None:
    make_cookie(category=statistics(), name="_pref*")
    prefs = make_category(slug="preferences")
    make_cookie(category=prefs, name="_prefs_lang")
    prefs.required, prefs.needs_consent = True, False
    with pytest.raises(ValidationError) as error:
        prefs.full_clean()
    assert "The pattern “_pref*” matches “_prefs_lang”" in messages_of(error)["name"][0]


def test_new_category_is_cleaned_without_cookies() -> None:
    CookieCategory(slug="new", name="New").full_clean()


def test_cookie_without_category_reports_only_the_missing_field() -> None:
    with pytest.raises(ValidationError) as error:
        Cookie(name="_ga").full_clean()
    assert set(messages_of(error)) == {"category"}


def test_a_cookie_the_site_needs_cannot_move_to_a_consent_category() -> None:
    session = Cookie.objects.get(name="sessionid")
    session.category = statistics()
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert "“sessionid” is a cookie the site cannot work without" in messages_of(error)["name"][0]
    # A category that needs no consent takes it.
    free = make_category(slug="functional", needs_consent=False)
    session.category = free
    session.full_clean()


def test_directions_of_undeclared_cookies_are_one_vocabulary() -> None:
    # The model's choices are the class the enforcement imports: values and labels as
    # migration 0002 wrote them.
    assert UndeclaredCookie.Direction is Direction
    assert [(value, str(label)) for value, label in Direction.choices] == [
        ("request", "sent by the browser"),
        ("response", "set by the server"),
    ]
