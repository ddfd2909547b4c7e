"""``cookie_consent_prune``: old records go, chains stay verifiable through checkpoints."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from cookie_consent.models import ConsentCheckpoint, ConsentRecord
from cookie_consent.records import prune as pruning
from cookie_consent.records.chain import checkpoint_mac, signing_keys
from cookie_consent.records.verify import verify
from tests.toolkit import decide, record_of

pytestmark = pytest.mark.django_db


def accepted(client: Client, *, days_ago: float = 0) -> ConsentRecord:
    """The record of an acceptance made ``days_ago``."""
    return record_of(decide(client, "accept_all", at=timezone.now() - timedelta(days=days_ago)))


def pruned(*args: str) -> str:
    out = StringIO()
    call_command("cookie_consent_prune", *args, stdout=out)
    return out.getvalue()


def assert_verifies() -> None:
    assert list(verify()) == []
    call_command("cookie_consent_verify", stdout=StringIO())


def test_old_records_are_pruned_in_batches_and_chains_still_verify() -> None:
    alice, bob, carol = Client(), Client(), Client()
    alice_old = [accepted(alice, days_ago=days) for days in (900, 800, 700)]
    alice_new = accepted(alice, days_ago=10)
    bob_old = [accepted(bob, days_ago=days) for days in (850, 750)]
    carol_new = accepted(carol, days_ago=1)
    before = timezone.now() - timedelta(days=365)

    output = pruned("--older-than", "365", "--batch-size", "2")

    assert output.startswith(f"Pruned 5 consent records made before {before:%Y-%m-%d} ")
    assert output.endswith(" UTC (365 days ago).\n")
    assert set(ConsentRecord.objects.values_list("id", flat=True)) == {alice_new.id, carol_new.id}
    checkpoints = {c.consent_id: c for c in ConsentCheckpoint.objects.all()}
    assert set(checkpoints) == {alice_new.consent_id, bob_old[0].consent_id}
    alice_checkpoint = checkpoints[alice_new.consent_id]
    assert (alice_checkpoint.last_mac, alice_checkpoint.pruned) == (alice_old[-1].mac, 3)
    assert alice_checkpoint.mac == checkpoint_mac(alice_checkpoint, signing_keys()[0])
    assert timezone.now() - alice_checkpoint.pruned_at < timedelta(minutes=1)
    bob_checkpoint = checkpoints[bob_old[0].consent_id]
    assert (bob_checkpoint.last_mac, bob_checkpoint.pruned) == (bob_old[-1].mac, 2)
    assert str(bob_checkpoint) == bob_old[0].consent_id
    assert_verifies()


def test_pruning_again_moves_the_checkpoint() -> None:
    client = Client()
    records = [accepted(client, days_ago=days) for days in (500, 400, 300, 200, 100)]
    assert pruned("--older-than", "450").startswith("Pruned 1 consent record made before ")
    checkpoint = ConsentCheckpoint.objects.get()
    assert (checkpoint.last_mac, checkpoint.pruned) == (records[0].mac, 1)
    assert_verifies()
    first_pruned_at = checkpoint.pruned_at

    assert pruned("--older-than", "150", "--batch-size", "1").startswith("Pruned 3 consent")
    checkpoint.refresh_from_db()
    assert (checkpoint.last_mac, checkpoint.pruned) == (records[3].mac, 4)
    assert checkpoint.pruned_at >= first_pruned_at
    assert ConsentCheckpoint.objects.count() == 1
    assert list(ConsentRecord.objects.values_list("id", flat=True)) == [records[4].id]
    assert_verifies()


def test_a_decision_after_pruning_chains_onto_the_checkpoint() -> None:
    client = Client()
    old = [accepted(client, days_ago=days) for days in (400, 399)]
    pruned("--older-than", "30")
    assert not ConsentRecord.objects.exists()
    assert list(verify()) == []

    new = accepted(client)
    assert new.consent_id == old[0].consent_id
    assert new.previous_mac == old[-1].mac == ConsentCheckpoint.objects.get().last_mac
    assert_verifies()


def test_the_retention_setting_is_the_default() -> None:
    client = Client()
    accepted(client, days_ago=40)
    kept = accepted(client, days_ago=20)
    with override_settings(COOKIE_CONSENT_RECORD_RETENTION_DAYS=30):
        assert "(30 days ago)" in pruned()
    assert list(ConsentRecord.objects.all()) == [kept]
    # The default, five years, keeps it.
    assert pruned().startswith("Pruned 0 consent records made before ")
    assert "(1825 days ago)" in pruned()


def test_a_dry_run_counts_and_deletes_nothing() -> None:
    client = Client()
    for days in (400, 300, 200):
        accepted(client, days_ago=days)
    accepted(Client(), days_ago=250)
    output = pruned("--older-than", "100", "--dry-run", "--batch-size", "2")
    assert output.startswith("Dry run, nothing deleted: would have pruned 4 consent records made")
    assert ConsentRecord.objects.count() == 4
    assert not ConsentCheckpoint.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--older-than", "0"), "--older-than must be at least 1 day; got 0."),
        (("--older-than", "-3"), "--older-than must be at least 1 day; got -3."),
        (("--batch-size", "0"), "--batch-size must be at least 1; got 0."),
    ],
)
def test_bad_options_are_errors(args: tuple[str, ...], message: str) -> None:
    accepted(Client(), days_ago=4000)
    with pytest.raises(CommandError) as info:
        pruned(*args)
    assert str(info.value) == message
    assert ConsentRecord.objects.count() == 1


@override_settings(COOKIE_CONSENT_RECORD_RETENTION_DAYS=0)
def test_a_retention_setting_below_one_day_is_an_error() -> None:
    with pytest.raises(CommandError, match=r"^COOKIE_CONSENT_RECORD_RETENTION_DAYS must be at"):
        pruned()


def test_only_the_start_of_a_chain_is_pruned() -> None:
    """A record older than its predecessor (made while it waited for the chain's lock)."""
    client = Client()
    first = accepted(client, days_ago=300)
    waited = accepted(client, days_ago=10)
    late = accepted(client, days_ago=10.001)
    other = accepted(Client(), days_ago=10.0005)
    assert late.created_at < waited.created_at

    cutoff = timezone.now() - timedelta(days=10.0002)
    assert pruning.prune(before=cutoff, dry_run=True) == 2
    assert pruning.prune(before=cutoff, batch_size=1) == 2
    remaining = set(ConsentRecord.objects.values_list("id", flat=True))
    assert remaining == {waited.id, late.id}
    assert ConsentCheckpoint.objects.get(consent_id=first.consent_id).last_mac == first.mac
    assert ConsentCheckpoint.objects.get(consent_id=other.consent_id).pruned == 1
    assert_verifies()


def test_pruning_after_a_key_rotation_signs_the_checkpoint_with_the_new_key() -> None:
    client = Client()
    accepted(client, days_ago=100)
    kept = accepted(client)
    old_secret = settings.SECRET_KEY
    with override_settings(SECRET_KEY="a-newer-secret-key", SECRET_KEY_FALLBACKS=[old_secret]):
        assert pruning.prune(before=timezone.now() - timedelta(days=50)) == 1
        checkpoint = ConsentCheckpoint.objects.get()
        assert checkpoint.mac == checkpoint_mac(checkpoint, signing_keys()[0])
        assert_verifies()
    with override_settings(SECRET_KEY="a-newer-secret-key", SECRET_KEY_FALLBACKS=[]):
        # The checkpoint holds; the record made under the retired key no longer does.
        assert [(p.kind, p.record_id) for p in verify()] == [("modified", kept.id)]


def test_nothing_to_prune() -> None:
    assert pruning.prune(before=timezone.now()) == 0
    assert pruned("--older-than", "1").startswith("Pruned 0 consent records")
