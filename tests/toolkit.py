"""The suite's toolkit: the app's URLs by name, and a decision as a visitor posts it.

One helper per way of deciding, so that a test says which decision it makes and nothing
of how the form is spelled; docs/development.rst, "Test toolkit", shows them in use.
The consent cookie a test sends without deciding comes from tests/factories.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from datetime import datetime
from typing import TYPE_CHECKING

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

from cookie_consent.conf import conf
from cookie_consent.consent.cookie import decode
from cookie_consent.models import ConsentRecord

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response


def url(name: str, **query: str) -> str:
    """The path of the app's view ``name`` (``policy``, ``preferences``, ``update``,
    ``api``), with ``query`` encoded as its query string (``next="/"`` gives ``?next=%2F``).

    Reversed when called, so that a test's ``pytest.mark.urls`` or script prefix applies.
    """
    path = reverse(f"cookie_consent:{name}")
    return f"{path}?{urlencode(query)}" if query else path


def admin_url(model: str, view: str, *args: object) -> str:
    """The path of the admin's ``view`` (``changelist``, ``add``, ``change``…) of the
    app's ``model``; ``args`` are the view's (the object's primary key)."""
    return reverse(f"admin:cookie_consent_{model}_{view}", args=args)


def _checked(response: Response, status: int | None) -> Response:
    if status is not None:
        assert response.status_code == status, response.content.decode(errors="replace")
    return response


def decide(
    client: Client,
    action: str,
    categories: Iterable[str] = (),
    *,
    at: datetime | None = None,
    status: int | None = 303,
    headers: Mapping[str, str] | None = None,
    secure: bool = False,
    **fields: str,
) -> Response:
    """Post ``action`` (with the ``categories`` granted by ``save``) to the update view,
    as the banner's and the preferences page's form do; the response.

    ``fields`` are the form's other fields (``next``, ``method``); ``headers`` and
    ``secure`` go to the request; ``at`` is the moment the decision is made (the clock
    stands still there meanwhile). The response must have ``status`` (a decision's
    redirect by default); ``status=None`` leaves the checking to the test.
    """
    data = {"action": action, "categories": list(categories), **fields}
    with time_machine.travel(at, tick=False) if at else nullcontext():
        response = client.post(url("update"), data, headers=headers, secure=secure)
    return _checked(response, status)


def decide_by_api(
    client: Client,
    action: str,
    categories: Iterable[str] = (),
    *,
    status: int | None = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Post ``action`` to the JSON API, as the script does; the response (the new state).

    ``status`` and ``headers`` as for :func:`decide`.
    """
    body: dict[str, object] = {"action": action}
    if categories:
        body["categories"] = list(categories)
    response = client.post(
        url("api"), json.dumps(body), content_type="application/json", headers=headers
    )
    return _checked(response, status)


def record_of(response: Response) -> ConsentRecord:
    """The consent record of the decision ``response`` answered: the last of the chain
    its consent cookie names."""
    stored = decode(response.cookies[conf.COOKIE_NAME].value)
    assert stored is not None, "the response sets no consent cookie of ours"
    record: ConsentRecord = ConsentRecord.objects.filter(consent_id=stored.consent_id).latest("id")
    return record
