"""``cookie_consent_verify``: every modified, inserted or deleted record is named."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from cookie_consent.models import ConsentCheckpoint, ConsentRecord
from cookie_consent.records import verify as verification
from cookie_consent.records.chain import record_mac
from cookie_consent.records.prune import prune
from cookie_consent.records.verify import Problem, Tally, verify
from tests.toolkit import decide, url

pytestmark = pytest.mark.django_db

ACTIONS = ("accept_all", "reject_all")


def visitor(decisions: int = 3, *, first_day: datetime | None = None) -> list[ConsentRecord]:
    """The records of a new visitor who decides ``decisions`` times, in chain order.

    With ``first_day``, the decisions are made that day and on the days after it.
    """
    client = Client()
    for number in range(decisions):
        moment = None if first_day is None else first_day + timedelta(days=number)
        decide(client, ACTIONS[number % 2], at=moment)
    consent_id = client.get(url("api")).json()["consent_id"]
    return list(ConsentRecord.objects.filter(consent_id=consent_id).order_by("id"))


def verified(*args: str) -> str:
    out = StringIO()
    call_command("cookie_consent_verify", *args, stdout=out)
    return out.getvalue()


def failed(*args: str) -> tuple[list[str], str]:
    """The problem lines and the error of a verification that finds something wrong."""
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("cookie_consent_verify", *args, stdout=out)
    assert info.value.returncode == 1
    return out.getvalue().splitlines(), str(info.value)


def execute(sql: str, *params: int | str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def modified(record: ConsentRecord) -> str:
    return (
        f"modified: record {record.id} of consent id {record.consent_id} was modified: "
        "its MAC does not match its content under any signing key."
    )


def broken_before(record: ConsentRecord) -> str:
    return (
        f"broken link: the chain of consent id {record.consent_id} breaks before record "
        f"{record.id}: a record before it was deleted, or one was inserted."
    )


def checkpoint_modified(consent_id: str) -> str:
    return (
        f"checkpoint modified: the checkpoint of consent id {consent_id} was modified: its "
        "MAC does not match its content under any signing key."
    )


def test_no_records_verify() -> None:
    assert verified() == "0 records in 0 chains verified: no problem found.\n"


def test_intact_chains_verify() -> None:
    first, second = visitor(3), visitor(1)
    assert [r.previous_mac for r in first] == ["", first[0].mac, first[1].mac]
    assert second[0].previous_mac == ""
    assert verified() == "4 records in 2 chains verified: no problem found.\n"
    assert verified("--batch-size", "1") == "4 records in 2 chains verified: no problem found.\n"


def test_one_record_of_one_chain() -> None:
    visitor(1)
    assert verified() == "1 record in 1 chain verified: no problem found.\n"


def test_a_record_edited_in_sql_is_named() -> None:
    records = visitor(3)
    visitor(2)
    assert records[1].granted == ""
    execute(
        "UPDATE cookie_consent_consentrecord SET granted = %s WHERE id = %s",
        "statistics first_party third_party",
        records[1].id,
    )
    lines, error = failed()
    assert lines == [modified(records[1])]
    assert error == "1 problem found in 5 records in 2 chains."


@pytest.mark.parametrize(
    ("decisions", "deleted", "summary"),
    [
        (4, 1, "1 problem found in 3 records in 1 chain."),
        (2, 0, "1 problem found in 1 record in 1 chain."),
    ],
    ids=["in the middle", "the first"],
)
def test_a_deleted_record_names_the_next(decisions: int, deleted: int, summary: str) -> None:
    records = visitor(decisions)
    execute("DELETE FROM cookie_consent_consentrecord WHERE id = %s", records[deleted].id)
    lines, error = failed()
    assert lines == [broken_before(records[deleted + 1])]
    assert error == summary


def test_a_forged_record_is_named() -> None:
    records = visitor(2)
    last = records[-1]
    forged = ConsentRecord(
        consent_id=last.consent_id,
        created_at=timezone.now(),
        action="accept_all",
        event="given",
        method="banner",
        granted="statistics first_party third_party",
        previous_mac=last.mac,
    )
    # Whoever forges it has no key: a guess, or a plain hash, is all they can compute.
    forged.mac = record_mac(forged, b"a guessed key")
    forged.save()
    lines, error = failed()
    assert lines == [modified(forged)]
    assert error == "1 problem found in 3 records in 1 chain."


def test_a_forged_record_inserted_in_the_middle_breaks_the_chain() -> None:
    records = visitor(3)
    execute("DELETE FROM cookie_consent_consentrecord WHERE id = %s", records[1].id)
    forged = ConsentRecord(
        id=records[1].id,
        consent_id=records[1].consent_id,
        created_at=records[1].created_at,
        action="accept_all",
        event="given",
        method="banner",
        granted="statistics first_party third_party",
        revisions=records[1].revisions,
        previous_mac=records[0].mac,
        mac="0" * 64,
    )
    forged.save(force_insert=True)
    assert failed()[0] == [modified(forged), broken_before(records[2])]


def test_a_replayed_record_is_refused_or_breaks_the_chain() -> None:
    records = visitor(2)
    copy = ConsentRecord.objects.get(id=records[0].id)
    copy.pk = None
    copy._state.adding = True
    # The database refuses a second successor of the same record...
    with transaction.atomic(), pytest.raises(IntegrityError):
        copy.save()
    # ...and a copy moved to the end of the chain no longer matches its MAC.
    copy.previous_mac = records[1].mac
    copy.save()
    assert failed()[0] == [modified(copy)]


def test_records_made_under_a_rotated_secret_key_still_verify() -> None:
    old_key = settings.SECRET_KEY
    client = Client()
    decide(client, "accept_all")
    with override_settings(SECRET_KEY="a-new-secret-key", SECRET_KEY_FALLBACKS=[old_key]):
        decide(client, "reject_all")
        assert verified() == "2 records in 1 chain verified: no problem found.\n"
    first, second = ConsentRecord.objects.order_by("id")
    assert second.previous_mac == first.mac
    with override_settings(SECRET_KEY="a-new-secret-key", SECRET_KEY_FALLBACKS=[]):
        assert failed()[0] == [modified(first)]


def test_the_record_key_setting_signs_and_verifies() -> None:
    with override_settings(COOKIE_CONSENT_RECORD_KEY="a key for consent records"):
        records = visitor(2)
        assert verified() == "2 records in 1 chain verified: no problem found.\n"
        with override_settings(SECRET_KEY="another-secret-key"):
            assert verified() == "2 records in 1 chain verified: no problem found.\n"
    assert failed()[0] == [modified(records[0]), modified(records[1])]


# A record of a signed-in user with an integer key, and its MAC as the first release wrote
# it (json.dumps of the user id as a number), under tests/settings.py's SECRET_KEY.
OLD_INTEGER_USER_RECORD = {
    "consent_id": "25215ec2ae6176bd47e0d18f7ca5d629",
    "created_at": datetime(2026, 11, 29, 3, 25, 24, 349720, tzinfo=dt_timezone.utc),
    "action": "accept_all",
    "event": "given",
    "method": "banner",
    "granted": "statistics first_party third_party",
    "denied": "",
    "revisions": {
        "first_party": "b23e30b7d800",
        "statistics": "2cfd93fbab52",
        "third_party": "b23e30b7d800",
    },
    "reconsent": False,
    "language": "fr",
    "policy_url": "http://portal.example.org/cookies/",
    "gpc": False,
    "ip_hash": "",
    "user_agent": "Firefox/140",
    "user_id": 42,
    "previous_mac": "",
    "mac": "266650613d0a6555a05fe2c3adf01cc569214c3aac820db005608574b27c893f",
}


def test_a_record_of_an_integer_user_key_written_before_still_verifies() -> None:
    """Taking keys of every type must not change the MAC input of integer keys."""
    ConsentRecord(**OLD_INTEGER_USER_RECORD).save(force_insert=True)
    assert verified() == "1 record in 1 chain verified: no problem found.\n"


def test_a_chain_starts_at_its_checkpoint() -> None:
    records = visitor(3)
    prune(before=records[1].created_at)
    checkpoint = ConsentCheckpoint.objects.get()
    assert (checkpoint.consent_id, checkpoint.last_mac) == (records[0].consent_id, records[0].mac)
    assert verified() == "2 records in 1 chain verified: no problem found.\n"


def test_a_tampered_checkpoint_is_reported() -> None:
    records = visitor(3)
    prune(before=records[1].created_at)
    execute("UPDATE cookie_consent_consentcheckpoint SET pruned = pruned + 1")
    lines, error = failed()
    assert lines == [checkpoint_modified(records[0].consent_id)]
    assert error == "1 problem found in 2 records in 1 chain."


def test_a_checkpoint_moved_to_another_record_breaks_the_chain_too() -> None:
    records = visitor(3)
    prune(before=records[1].created_at)
    execute("UPDATE cookie_consent_consentcheckpoint SET last_mac = %s", records[2].mac)
    assert failed()[0] == [checkpoint_modified(records[0].consent_id), broken_before(records[1])]


def test_a_deleted_checkpoint_breaks_the_chain() -> None:
    records = visitor(3)
    prune(before=records[1].created_at)
    execute("DELETE FROM cookie_consent_consentcheckpoint")
    assert failed()[0] == [broken_before(records[1])]


def test_a_fully_pruned_chain_is_checked_by_its_checkpoint() -> None:
    records = visitor(2)
    prune(before=timezone.now())
    assert verified() == "0 records in 1 chain verified: no problem found.\n"
    execute("UPDATE cookie_consent_consentcheckpoint SET pruned = 1")
    lines, error = failed()
    assert lines == [checkpoint_modified(records[0].consent_id)]
    assert error == "1 problem found in 0 records in 1 chain."


def test_small_batches_walk_across_chains_and_checkpoints() -> None:
    cutoff = datetime(2021, 1, 1, tzinfo=dt_timezone.utc)
    # Two chains lose every record, two their first one, one nothing.
    for first_day in (cutoff - timedelta(days=400),) * 2 + (cutoff - timedelta(days=1),) * 2:
        visitor(3, first_day=first_day)
    visitor(3)
    prune(before=cutoff)
    assert ConsentCheckpoint.objects.count() == 4
    assert ConsentRecord.objects.count() == 7
    tally = Tally()
    assert list(verify(batch_size=2, tally=tally)) == []
    remaining = ConsentRecord.objects.count()
    assert (tally.records, tally.chains) == (remaining, 5)
    assert verified("--batch-size", "2").startswith(f"{remaining} records in 5 chains")

    last = ConsentRecord.objects.order_by("consent_id", "id").last()
    assert last is not None
    execute("UPDATE cookie_consent_consentrecord SET language = 'xx' WHERE id = %s", last.id)
    execute("UPDATE cookie_consent_consentcheckpoint SET pruned = 9")
    small = list(verify(batch_size=2))
    assert small == list(verify())
    assert [p.kind for p in small].count(verification.CHECKPOINT_MODIFIED) == 4
    assert Problem(last.id, last.consent_id, "modified", modified(last)[10:]) in small


def test_the_batch_size_must_be_positive() -> None:
    with pytest.raises(CommandError, match=r"^--batch-size must be at least 1; got 0\.$"):
        call_command("cookie_consent_verify", "--batch-size", "0")


def test_a_problem_reads_as_its_kind_and_message() -> None:
    problem = Problem(7, "abc", verification.BROKEN_LINK, "the chain breaks.")
    assert str(problem) == "broken link: the chain breaks."
