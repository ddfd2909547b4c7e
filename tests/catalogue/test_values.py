"""The snapshot's value types: lookup by slug and by cookie name, revisions, pickling."""

from __future__ import annotations

import inspect
import pickle

import pytest

from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.catalogue.values import Catalogue, DeclaredCookie
from cookie_consent.models import CookieCategory
from tests.factories import make_category, make_cookie

pytestmark = pytest.mark.django_db


def statistics() -> CookieCategory:
    return CookieCategory.objects.get(slug="statistics")


def test_default_catalogue_is_read() -> None:
    result = get_catalogue()
    assert [c.slug for c in result.categories] == [
        "necessary",
        "statistics",
        "first_party",
        "third_party",
    ]
    necessary = result.category("necessary")
    assert necessary is not None
    assert necessary.required
    assert not necessary.needs_consent
    assert result.category_of("sessionid") is necessary
    assert result.category_of("csrftoken") is necessary
    assert result.category("nope") is None


def test_exact_names_and_patterns_classify() -> None:
    make_cookie(category=statistics(), name="_ga")
    make_cookie(category=statistics(), name="_ga_*")
    third = make_category(slug="third_party")
    make_cookie(category=third, name="_pk_id.*")
    result = get_catalogue()
    assert result.category_of("_ga") == result.category("statistics")
    assert result.category_of("_ga_ABC123") == result.category("statistics")
    assert result.category_of("_pk_id.1.abcd") == result.category("third_party")
    assert result.category_of("_pk_idX1") is None
    assert result.category_of("_gat") is None
    assert result.category_of("unknown") is None


def test_most_specific_pattern_wins() -> None:
    first = make_category(slug="first_party")
    make_cookie(category=statistics(), name="_x*")
    make_cookie(category=first, name="_x_session_*")
    result = get_catalogue()
    assert result.category_of("_x_session_1") == result.category("first_party")
    assert result.category_of("_x_other") == result.category("statistics")


def test_declarations_list_every_variant() -> None:
    make_cookie(category=statistics(), name="_ga", domain=".example.com")
    make_cookie(category=statistics(), name="_ga", domain="", path="/shop")
    make_cookie(category=statistics(), name="_ga_*", domain=".example.com")
    result = get_catalogue()
    assert {(d.name, d.domain, d.path) for d in result.declarations("_ga")} == {
        ("_ga", ".example.com", "/"),
        ("_ga", "", "/shop"),
    }
    assert [(d.name, d.domain) for d in result.declarations("_ga_X")] == [
        ("_ga_*", ".example.com")
    ]
    assert result.declarations("undeclared") == ()


def test_revision_changes_only_for_the_edited_category() -> None:
    before = get_catalogue()
    make_cookie(category=statistics(), name="_ga")
    after = get_catalogue()

    def revision(snapshot: Catalogue, slug: str) -> str:
        category = snapshot.category(slug)
        assert category is not None
        return category.revision

    assert revision(before, "statistics") != revision(after, "statistics")
    assert revision(before, "necessary") == revision(after, "necessary")
    assert revision(before, "third_party") == revision(after, "third_party")


def test_snapshot_is_immutable_and_picklable() -> None:
    result = get_catalogue()
    with pytest.raises(AttributeError):
        result.categories[0].slug = "x"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(result))
    assert copy.categories == result.categories
    assert copy.category_of("sessionid") == result.category_of("sessionid")


def test_texts_in_the_language_are_properties_of_the_rows_not_of_the_class() -> None:
    # Introspection (inspect, documentation tools) looks the names up on the class.
    members = dict(inspect.getmembers(DeclaredCookie))
    assert {"display_provider", "display_function", "display_purpose"} <= members.keys()
    cookie = get_catalogue().declarations("sessionid")[0]
    assert cookie.display_function == "Authentication (front and back office)"
