"""Decisions from many connections at once: one record each, every chain intact."""

from __future__ import annotations

import threading
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from cookie_consent.models import ConsentRecord
from tests.toolkit import decide

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="the in-memory SQLite test database cannot be shared between threads",
    ),
]

THREADS = 20
DECISIONS_PER_THREAD = 10
ACTIONS = ("accept_all", "reject_all")
COOKIE = "cookies_preferences"


def test_concurrent_decisions_each_leave_a_record_and_chains_verify() -> None:
    shared = Client()
    decide(shared, ACTIONS[1])
    shared_id = ConsentRecord.objects.get().consent_id
    statuses: list[int] = []
    barrier = threading.Barrier(THREADS)

    def visitor(index: int) -> None:
        """Even threads decide as the shared visitor, odd ones each as a new visitor."""
        client = Client()
        if index % 2 == 0:
            client.cookies[COOKIE] = shared.cookies[COOKIE].value
        try:
            barrier.wait()
            # Collected, not asserted: an assertion would end the thread, not the test.
            statuses.extend(
                decide(client, ACTIONS[n % 2], status=None).status_code
                for n in range(DECISIONS_PER_THREAD)
            )
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [303] * THREADS * DECISIONS_PER_THREAD
    chains = Counter(ConsentRecord.objects.values_list("consent_id", flat=True))
    assert sum(chains.values()) == 1 + THREADS * DECISIONS_PER_THREAD
    assert chains.pop(shared_id) == 1 + THREADS // 2 * DECISIONS_PER_THREAD
    assert list(chains.values()) == [DECISIONS_PER_THREAD] * (THREADS // 2)
    shared_chain = ConsentRecord.objects.filter(consent_id=shared_id).order_by("id")
    macs = list(shared_chain.values_list("previous_mac", "mac"))
    assert [previous for previous, _ in macs] == ["", *(mac for _, mac in macs[:-1])]
    out = StringIO()
    call_command("cookie_consent_verify", stdout=out)
    assert out.getvalue() == (
        f"{1 + THREADS * DECISIONS_PER_THREAD} records in {1 + THREADS // 2} chains verified: "
        "no problem found.\n"
    )
