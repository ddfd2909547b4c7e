"""The deletions that expire a refused cookie, and what counts as a deletion."""

from __future__ import annotations

import pytest

from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.catalogue.snapshot import Catalogue, DeclaredCookie
from cookie_consent.enforcement.expiry import deletion_variants_for
from cookie_consent.models import CookieCategory
from tests.factories import make_cookie

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names whose declarations a snapshot was asked for."""
    names: list[str] = []
    declarations = Catalogue.declarations

    def counted(self: Catalogue, cookie_name: str) -> tuple[DeclaredCookie, ...]:
        names.append(cookie_name)
        return declarations(self, cookie_name)

    monkeypatch.setattr(Catalogue, "declarations", counted)
    return names


def test_deletion_variants_are_remembered_per_snapshot(asked: list[str]) -> None:
    statistics = CookieCategory.objects.get(slug="statistics")
    make_cookie(category=statistics, name="_ga", domain="")
    make_cookie(category=statistics, name="_ga", domain=".example.com")
    snapshot = catalogue.get_catalogue()
    variants = (("", "/"), (".example.com", "/"), (".www.example.com", "/"))
    assert deletion_variants_for(snapshot, "_ga", "www.example.com") == variants
    assert deletion_variants_for(snapshot, "_ga", "www.example.com") == variants
    assert asked == ["_ga"]
    # Another snapshot, which may declare the name otherwise, is asked again.
    assert deletion_variants_for(Catalogue(()), "_ga", "www.example.com") == (("", "/"),)
    assert asked == ["_ga", "_ga"]


def test_the_memo_of_deletion_variants_is_bounded(asked: list[str]) -> None:
    snapshot = catalogue.get_catalogue()
    # Names are the client's: past the bound, the memo starts again.
    for index in range(4097):
        deletion_variants_for(snapshot, f"_n{index}", "testserver")
    deletion_variants_for(snapshot, "_n0", "testserver")
    deletion_variants_for(snapshot, "_n4096", "testserver")
    assert asked.count("_n0") == 2
    assert asked.count("_n4096") == 1
