"""One request's passage: the exemption is decided once and carried to the response."""

from __future__ import annotations

import json

import pytest
from django.http import HttpRequest
from django.test import Client

from cookie_consent.enforcement import exemption, inbound, passage

pytestmark = pytest.mark.django_db


@pytest.fixture
def decisions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose exemption was decided, once per decision."""
    decided: list[str] = []

    def counted(request: HttpRequest) -> bool:
        decided.append(request.path)
        return exemption.is_exempt(request)

    monkeypatch.setattr(passage, "is_exempt", counted)
    monkeypatch.setattr(inbound, "is_exempt", counted)
    return decided


@pytest.mark.parametrize("url", ["/echo/?kind=view", "/exempt/?kind=view"])
def test_the_response_phase_reuses_the_exemption(
    client: Client, decisions: list[str], url: str
) -> None:
    client.cookies["_ga"] = "GA1.1"
    client.get(url)
    # By the path before the view, then settled by the view Django resolved; not again.
    assert len(decisions) == 2


def test_the_exemption_waits_until_there_is_a_cookie_to_judge(
    client: Client, decisions: list[str]
) -> None:
    assert json.loads(client.get("/echo/").content) == []
    assert decisions == []
    response = client.get("/echo/?kind=view")
    assert decisions == ["/echo/"]
    assert "_ga" not in response.cookies
