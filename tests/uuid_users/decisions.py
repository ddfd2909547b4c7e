"""A signed-in user whose primary key is a UUID decides, and the proof holds.

Not collected by the main run (the name has no ``test_`` prefix): tests/records/test_chain.py
runs it with ``pytest --ds=tests.uuid_users.settings`` in a process of its own.
"""

from __future__ import annotations

import csv
import json
import uuid
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from cookie_consent.models import ConsentRecord
from tests.toolkit import decide, decide_by_api

pytestmark = pytest.mark.django_db


def output(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_user_keyed_by_uuid_decides_and_the_records_verify(client: Client) -> None:
    user = get_user_model().objects.create_user("ada", password="pw")
    assert isinstance(user.pk, uuid.UUID)
    client.force_login(user)
    decide(client, "accept_all")
    decide_by_api(client, "reject_all")
    assert [r.user_id for r in ConsentRecord.objects.order_by("id")] == [user.pk, user.pk]
    assert output("cookie_consent_verify") == (
        "2 records in 1 chain verified: no problem found.\n"
    )
    lines = [json.loads(line) for line in output("cookie_consent_export").splitlines()]
    assert [line["user_id"] for line in lines] == [str(user.pk), str(user.pk)]
    rows = list(csv.DictReader(StringIO(output("cookie_consent_export", "--format", "csv"))))
    assert [row["user_id"] for row in rows] == [str(user.pk), str(user.pk)]
