"""``cookie_consent_export`` and the export module: records as CSV or JSON lines."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from datetime import timezone as dt_timezone
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from cookie_consent.models import ConsentRecord
from cookie_consent.records import export
from tests.toolkit import decide, record_of, url

pytestmark = pytest.mark.django_db

JANUARY = datetime(2025, 1, 10, 8, 30, tzinfo=dt_timezone.utc)
MARCH = datetime(2025, 3, 5, 17, 0, 0, 250000, tzinfo=dt_timezone.utc)
UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def recorded(
    client: Client, action: str, *categories: str, at: datetime = JANUARY, method: str = ""
) -> ConsentRecord:
    """The record of a decision made ``at`` (in January unless told) by a Firefox."""
    response = decide(client, action, categories, at=at, method=method, headers={"user-agent": UA})
    return record_of(response)


def exported(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("cookie_consent_export", *args, stdout=out, stderr=err)
    return out.getvalue()


def json_lines(*args: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in exported(*args).splitlines()]


def test_csv_has_a_header_and_one_row_per_record() -> None:
    client = Client()
    first = recorded(client, "save", "statistics", method="banner")
    second = recorded(client, "reject_all", at=MARCH)
    rows = list(csv.reader(StringIO(exported("--format", "csv"))))
    assert rows[0] == list(export.CSV_COLUMNS)
    assert len(rows) == 3
    row = dict(zip(export.CSV_COLUMNS, rows[1], strict=True))
    assert row == {
        "record_id": str(first.id),
        "consent_id": first.consent_id,
        "time_utc": "2025-01-10T08:30:00Z",
        "action": "save",
        "event": "given",
        "method": "banner",
        "granted": "statistics",
        "denied": "first_party third_party",
        "revisions": " ".join(f"{k}:{v}" for k, v in sorted(first.revisions.items())),
        "reconsent": "0",
        "language": first.language,
        "policy_url": "http://testserver" + url("policy"),
        "gpc": "0",
        "user_id": "",
        "ip_hash": "",
        "user_agent": UA,
        "previous_mac": "",
        "mac": first.mac,
    }
    later = dict(zip(export.CSV_COLUMNS, rows[2], strict=True))
    assert (later["record_id"], later["time_utc"]) == (
        str(second.id),
        "2025-03-05T17:00:00.250000Z",
    )
    assert (later["event"], later["method"]) == ("withdrawn", "preferences")
    assert (later["previous_mac"], later["granted"]) == (first.mac, "")


def test_csv_of_no_records_is_the_header() -> None:
    assert exported("--format", "csv") == ",".join(f'"{c}"' for c in export.CSV_COLUMNS) + "\r\n"


FORMULA = '=HYPERLINK("http://evil","x")'


def test_a_user_agent_formula_is_text_in_csv_and_exact_in_json() -> None:
    client = Client()
    decide(client, "accept_all", at=JANUARY, headers={"user-agent": FORMULA})
    text = exported("--format", "csv")
    # OWASP's form: the cell quoted, a single quote first, its double quotes doubled.
    assert '"\'=HYPERLINK(""http://evil"",""x"")"' in text
    [header, row] = csv.reader(StringIO(text))
    assert dict(zip(header, row, strict=True))["user_agent"] == "'" + FORMULA
    assert json_lines()[0]["user_agent"] == FORMULA
    out = StringIO()
    call_command("cookie_consent_verify", stdout=out)
    assert out.getvalue() == "1 record in 1 chain verified: no problem found.\n"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_no_csv_cell_starts_a_formula(start: str) -> None:
    agent = f"{start}1+2"
    decide(Client(), "reject_all", headers={"user-agent": agent})
    [_, row] = csv.reader(StringIO(exported("--format", "csv")))
    assert row[export.CSV_COLUMNS.index("user_agent")] == "'" + agent
    assert json_lines()[0]["user_agent"] == agent


def test_every_csv_cell_is_quoted_so_no_separator_opens_a_cell() -> None:
    """Spreadsheets in many languages split on ";": in quotes it stays inside the cell."""
    agent = "Mozilla/5.0;=cmd|' /C calc'!A0"
    decide(Client(), "reject_all", headers={"user-agent": agent})
    row = exported("--format", "csv").splitlines()[1]
    assert f'"{agent}"' in row
    assert row.startswith('"')
    assert row.endswith('"')
    assert row.count('","') == len(export.CSV_COLUMNS) - 1


@override_settings(
    COOKIE_CONSENT_JURISDICTION="EU",
    COOKIE_CONSENT_CONTROLLER="Example Open Data Portal",
    COOKIE_CONSENT_RECORD_IP=True,
)
def test_json_lines_carry_the_documented_fields() -> None:
    user = User.objects.create_user("ada")
    client = Client(REMOTE_ADDR="192.0.2.77")
    client.force_login(user)
    record = recorded(client, "accept_all", method="banner")
    [line] = json_lines()
    assert set(line) == {
        "schema",
        "record_id",
        "pii_principal_id",
        "event_time",
        "event_type",
        "event_state",
        "collection_method",
        "processing_purposes",
        "purposes_refused",
        "notice",
        "reconsent",
        "language",
        "gpc",
        "jurisdiction",
        "data_controller",
        "user_id",
        "ip_hash",
        "user_agent",
        "previous_mac",
        "mac",
    }
    assert line["schema"] == export.SCHEMA
    assert line["record_id"] == str(record.id)
    assert line["pii_principal_id"] == record.consent_id
    assert line["event_time"] == "2025-01-10T08:30:00Z"
    assert (line["event_type"], line["event_state"]) == ("consent_accept_all", "given")
    assert line["collection_method"] == "banner"
    assert line["processing_purposes"] == ["statistics", "first_party", "third_party"]
    assert line["purposes_refused"] == []
    policy = "http://testserver" + url("policy")
    assert line["notice"] == {"url": policy, "revisions": record.revisions}
    assert set(line["notice"]["revisions"]) == {"statistics", "first_party", "third_party"}
    assert (line["reconsent"], line["gpc"]) == (False, False)
    assert line["language"] == record.language
    assert (line["jurisdiction"], line["data_controller"]) == ("EU", "Example Open Data Portal")
    assert line["user_id"] == user.pk
    assert line["ip_hash"] == record.ip_hash
    assert len(line["ip_hash"]) == 64
    assert line["user_agent"] == UA
    assert (line["previous_mac"], line["mac"]) == ("", record.mac)
    # An anonymous visitor's record, without IP or user agent, under GPC.
    with override_settings(COOKIE_CONSENT_RECORD_USER_AGENT=False, COOKIE_CONSENT_RECORD_IP=False):
        recorded(Client(HTTP_SEC_GPC="1"), "reject_all")
    later = json_lines()[1]
    assert (later["user_id"], later["ip_hash"], later["user_agent"]) == (None, None, None)
    assert (later["gpc"], later["event_state"]) == (True, "refused")
    assert later["purposes_refused"] == ["statistics", "first_party", "third_party"]


def test_json_lines_are_sorted_and_the_default_format() -> None:
    recorded(Client(), "accept_all")
    text = exported()
    assert text == exported("--format", "jsonl")
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), sort_keys=True) + "\n"


def test_since_until_and_consent_id_select_records() -> None:
    alice, bob = Client(), Client()
    early = recorded(alice, "accept_all", at=JANUARY)
    middle = recorded(bob, "accept_all", at=datetime(2025, 2, 1, tzinfo=dt_timezone.utc))
    late = recorded(alice, "reject_all", at=MARCH)

    def ids(*args: str) -> list[str]:
        return [line["record_id"] for line in json_lines(*args)]

    assert ids() == [str(early.id), str(middle.id), str(late.id)]
    assert ids("--since", "2025-02-01") == [str(middle.id), str(late.id)]
    assert ids("--until", "2025-02-01") == [str(early.id)]
    assert ids("--since", "2025-01-10T08:30:00", "--until", "2025-03-05") == [
        str(early.id),
        str(middle.id),
    ]
    # An offset counts: 09:30 in UTC+1 is 08:30 UTC, 09:31 is after it.
    assert ids("--since", "2025-01-10T09:30:00+01:00", "--until", "2025-01-11") == [str(early.id)]
    assert ids("--since", "2025-01-10T09:31+01:00", "--until", "2025-01-11") == []
    assert ids("--since", "2025-01-10T08:30:00.000001Z", "--until", "2025-02-02") == [
        str(middle.id)
    ]
    assert ids("--consent-id", early.consent_id) == [str(early.id), str(late.id)]
    assert ids("--consent-id", early.consent_id, "--since", "2025-02-01") == [str(late.id)]
    assert ids("--consent-id", "0" * 32) == []


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "2025-02-30", "2025-01-31 25:00"])
def test_a_bad_date_is_a_clear_error(value: str) -> None:
    with pytest.raises(CommandError) as info:
        call_command("cookie_consent_export", "--since", value, stdout=StringIO())
    assert str(info.value) == (
        f"--since: “{value}” is not a date or a date and time. Use ISO 8601, "
        "e.g. 2025-01-31 or 2025-01-31T12:00:00Z."
    )


def test_since_must_come_before_until() -> None:
    with pytest.raises(CommandError, match=r"--since \(2025-02-01\) must come before --until"):
        call_command("cookie_consent_export", "--since", "2025-02-01", "--until", "2025-02-01")


def test_output_goes_to_a_file(tmp_path: Path) -> None:
    client = Client()
    recorded(client, "accept_all")
    recorded(client, "reject_all", at=MARCH)
    target = tmp_path / "records.csv"
    target.write_text("old content that is replaced")
    out, err = StringIO(), StringIO()
    call_command(
        "cookie_consent_export", "--format", "csv", "--output", str(target), stdout=out, stderr=err
    )
    assert out.getvalue() == ""
    assert err.getvalue() == f"2 consent records written to {target}.\n"
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(export.CSV_COLUMNS)
    assert [row[0] for row in rows[1:]] == [
        str(r.id) for r in ConsentRecord.objects.order_by("id")
    ]
    jsonl = tmp_path / "records.jsonl"
    call_command("cookie_consent_export", "--output", str(jsonl), stderr=err)
    assert len(jsonl.read_text(encoding="utf-8").splitlines()) == 2


def test_the_count_goes_to_standard_error() -> None:
    recorded(Client(), "accept_all")
    err = StringIO()
    call_command("cookie_consent_export", stdout=StringIO(), stderr=err)
    assert err.getvalue() == "1 consent record written to standard output.\n"


def test_an_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "records.csv"
    with pytest.raises(CommandError, match=rf"^Cannot write {target}: No such file or directory"):
        call_command("cookie_consent_export", "--output", str(target))


@pytest.mark.parametrize("count", [0, 1, 4, 5])
def test_records_come_in_id_order_across_batches(count: int) -> None:
    clients = [Client(), Client()]
    for number in range(count):
        recorded(clients[number % 2], "accept_all" if number % 3 else "reject_all")
    expected = list(ConsentRecord.objects.order_by("id"))
    assert list(export.iter_records(batch_size=2)) == expected
    assert list(export.iter_records(batch_size=1)) == expected
    if expected:
        first = expected[0].consent_id
        mine = [r for r in expected if r.consent_id == first]
        assert list(export.iter_records(consent_id=first, batch_size=2)) == mine
        chosen = [r.id for r in expected[1::2]]
        assert [r.id for r in export.iter_records(ids=chosen, batch_size=1)] == chosen


def test_iter_records_filters_by_time_in_batches() -> None:
    client = Client()
    for day in range(1, 8):
        recorded(client, "accept_all", at=datetime(2025, 1, day, tzinfo=dt_timezone.utc))
    since = datetime(2025, 1, 2, tzinfo=dt_timezone.utc)
    until = datetime(2025, 1, 7, tzinfo=dt_timezone.utc)
    days = [r.created_at.day for r in export.iter_records(since=since, until=until, batch_size=2)]
    assert days == [2, 3, 4, 5, 6]


def test_by_category_matches_whole_slugs_only() -> None:
    records = {
        "all": recorded(Client(), "accept_all"),
        "statistics": recorded(Client(), "save", "statistics"),
        "third_party": recorded(Client(), "save", "third_party"),
        "first_party": recorded(Client(), "save", "first_party"),
        "statistics third_party": recorded(Client(), "save", "statistics", "third_party"),
        "none": recorded(Client(), "reject_all"),
    }
    assert records["all"].granted == "statistics first_party third_party"
    assert records["statistics third_party"].granted == "statistics third_party"

    def granting(slug: str) -> set[str]:
        ids = set(
            ConsentRecord.objects.filter(export.by_category(slug)).values_list("id", flat=True)
        )
        return {name for name, record in records.items() if record.id in ids}

    assert granting("statistics") == {"all", "statistics", "statistics third_party"}
    assert granting("first_party") == {"all", "first_party"}
    assert granting("third_party") == {"all", "third_party", "statistics third_party"}
    assert granting("party") == set()
