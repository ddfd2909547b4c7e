from __future__ import annotations

import re
import time
from http.cookies import SimpleCookie

import pytest
from django.core import signing
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from cookie_consent.consent.cookie import (
    MAX_DECISIONS,
    MAX_LENGTH,
    Decision,
    StoredConsent,
    decode,
    encode,
    new_consent_id,
)

CONSENT_ID = "0123456789abcdef0123456789abcdef"
CONSENT = StoredConsent(
    CONSENT_ID,
    {
        "statistics": Decision(True, "b23e30b7d800", 1_700_000_000),
        "first_party": Decision(False, "0a1b", 1_700_000_001),
    },
)
PAYLOAD = f"1|{CONSENT_ID}|first_party:0:0a1b:1700000001|statistics:1:b23e30b7d800:1700000000"

# Part of the format: a new salt would turn every visitor's decision into no decision.
SALT = "cookie_consent.consent"
OTHER_KEY = "another-site-entirely-with-its-own-secret-key-0123456789"
OLD_KEY = "the-secret-key-this-site-used-before-it-was-rotated-0123"

# Django's HMAC-SHA256 signature: 32 bytes, URL-safe base64 without padding.
SIGNATURE = r"[A-Za-z0-9_-]{43}"
FORMAT = re.compile(
    r"1\|[0-9a-f]{32}(\|[-a-zA-Z0-9_]{1,64}:[01]:[0-9a-f]{1,64}:[0-9]{1,12})*~" + SIGNATURE
)
SIGNATURE_LENGTH = len("~") + 43

consent_ids = st.from_regex(r"[0-9a-f]{32}", fullmatch=True)
slugs = st.from_regex(r"[-a-zA-Z0-9_]{1,64}", fullmatch=True)
decisions = st.builds(
    Decision,
    granted=st.booleans(),
    revision=st.from_regex(r"[0-9a-f]{1,64}", fullmatch=True),
    # Decisions are made in the past (see test_decision_from_the_far_future_is_no_decision).
    decided_at=st.integers(min_value=0, max_value=int(time.time())),
)
# Few enough decisions that the value stays under MAX_LENGTH, as a real catalogue's does.
consents = st.builds(
    StoredConsent,
    consent_id=consent_ids,
    decisions=st.dictionaries(slugs, decisions, max_size=8),
)


def signer_with_key(key: str | None = None) -> signing.Signer:
    """The app's signer; made per call so that it reads the settings as they are now."""
    return signing.Signer(key=key, salt=SALT, sep="~", algorithm="sha256")


def sign(payload: str) -> str:
    """``payload`` signed exactly as the app signs, valid or not."""
    return signer_with_key().sign(payload)


def signed_of_length(length: int) -> str:
    """A well-formed value of ``MAX_DECISIONS`` or fewer decisions, ``length`` characters long."""
    head = f"1|{CONSENT_ID}"
    room = length - len(head) - SIGNATURE_LENGTH
    items: list[str] = []
    # "|sNN:1:<revision>:1" is 9 characters plus the revision's 1 to 64.
    while room:
        size = room if room <= 73 else (73 if room >= 83 else room - 10)
        items.append(f"|s{len(items):02d}:1:{'a' * (size - 9)}:1")
        room -= size
    assert len(items) <= MAX_DECISIONS
    value = sign(head + "".join(items))
    assert len(value) == length
    return value


# Round trip and format


def test_round_trip() -> None:
    assert decode(encode(CONSENT)) == CONSENT


def test_round_trip_without_decisions() -> None:
    consent = StoredConsent(CONSENT_ID, {})
    assert decode(encode(consent)) == consent


@given(consents)
def test_round_trip_of_any_consent(consent: StoredConsent) -> None:
    assert decode(encode(consent)) == consent


def test_documented_format() -> None:
    payload, _, signature = encode(CONSENT).rpartition("~")
    # Decisions in slug order, whatever order the mapping has.
    assert payload == PAYLOAD
    assert re.fullmatch(SIGNATURE, signature)


@given(consents)
def test_every_value_has_the_documented_format(consent: StoredConsent) -> None:
    assert FORMAT.fullmatch(encode(consent))


@given(consents)
def test_http_cookies_leaves_the_value_unquoted(consent: StoredConsent) -> None:
    value = encode(consent)
    cookie: SimpleCookie = SimpleCookie()
    cookie["cookies_preferences"] = value
    assert cookie["cookies_preferences"].coded_value == value
    assert '"' not in cookie.output()
    assert "\\" not in cookie.output()


def test_new_consent_id_is_32_hex_characters() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", new_consent_id())


def test_new_consent_id_differs_each_call() -> None:
    assert len({new_consent_id() for _ in range(100)}) == 100


# Values that are not ours, or not well formed, are no decision


@pytest.mark.parametrize("value", [None, ""])
def test_no_value(value: str | None) -> None:
    assert decode(value) is None


def test_longest_value_decodes() -> None:
    assert decode(signed_of_length(MAX_LENGTH)) is not None


def test_longer_than_max_length() -> None:
    assert decode(signed_of_length(MAX_LENGTH + 1)) is None


def test_bad_signature() -> None:
    payload, _, signature = encode(CONSENT).rpartition("~")
    forged = "A" if signature[0] != "A" else "B"
    assert decode(f"{payload}~{forged}{signature[1:]}") is None


def test_no_signature() -> None:
    assert decode(PAYLOAD) is None
    assert decode(PAYLOAD + "~") is None


def test_signed_with_another_secret_key() -> None:
    with override_settings(SECRET_KEY=OTHER_KEY):
        value = encode(CONSENT)
    assert decode(value) is None


def test_signed_by_another_signer_with_another_key() -> None:
    assert decode(signer_with_key(OTHER_KEY).sign(PAYLOAD)) is None


def test_signed_with_another_salt() -> None:
    other = signing.Signer(salt="another.app", sep="~", algorithm="sha256")
    assert decode(other.sign(PAYLOAD)) is None


def test_signed_with_django_default_signer() -> None:
    assert decode(signing.Signer(sep="~").sign(PAYLOAD)) is None


def test_fallback_key_still_decodes() -> None:
    """Rotating SECRET_KEY keeps the decisions signed with the key listed as a fallback."""
    with override_settings(SECRET_KEY=OLD_KEY):
        value = encode(CONSENT)
    with override_settings(SECRET_KEY=OTHER_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        assert decode(value) == CONSENT
    with override_settings(SECRET_KEY=OTHER_KEY, SECRET_KEY_FALLBACKS=[]):
        assert decode(value) is None


def test_value_signed_with_a_fallback_key_decodes() -> None:
    value = signer_with_key(OLD_KEY).sign(PAYLOAD)
    with override_settings(SECRET_KEY_FALLBACKS=[OLD_KEY]):
        assert decode(value) == CONSENT


@pytest.mark.parametrize("version", ["2", "0", "", "01", "1 "])
def test_other_version(version: str) -> None:
    assert decode(sign(version + PAYLOAD[1:])) is None


@pytest.mark.parametrize(
    "consent_id",
    [
        "",
        CONSENT_ID[:-1],
        CONSENT_ID + "0",
        CONSENT_ID.upper(),
        "g" * 32,
        CONSENT_ID[:-1] + " ",
        CONSENT_ID[:-1] + "٣",  # an Arabic-Indic digit
    ],
)
def test_bad_consent_id(consent_id: str) -> None:
    assert decode(sign(f"1|{consent_id}|statistics:1:ab:1")) is None


def test_version_alone() -> None:
    assert decode(sign("1")) is None


@pytest.mark.parametrize(
    "decision",
    [
        "",
        "statistics",
        "statistics:1:ab",
        "statistics:1:ab:1:2",
        "statistics:3:ab:1",
        "statistics:yes:ab:1",
        "statistics:1:AB:1",
        "statistics:1:xyz:1",
        "statistics:1::1",
        "statistics:1:ab:",
        "statistics:1:ab:-1",
        "statistics:1:ab:1.5",
        "statistics:1:ab:1234567890123",
        "statistics:1:ab:١",  # an Arabic-Indic digit
        "statistics:1:" + "a" * 65 + ":1",
        ":1:ab:1",
        "s" * 65 + ":1:ab:1",
        "stat istics:1:ab:1",
        "statistics.x:1:ab:1",
        "statistics:1:ab:1\n",
        "statistïcs:1:ab:1",
    ],
)
def test_malformed_decision(decision: str) -> None:
    assert decode(sign(f"1|{CONSENT_ID}|first_party:0:ab:1|{decision}")) is None


def test_duplicate_slug() -> None:
    value = sign(f"1|{CONSENT_ID}|statistics:0:ab:1|statistics:1:ab:2")
    assert decode(value) is None


def test_max_decisions() -> None:
    items = "".join(f"|c{n}:1:ab:1" for n in range(MAX_DECISIONS))
    stored = decode(sign(f"1|{CONSENT_ID}{items}"))
    assert stored is not None
    assert len(stored.decisions) == MAX_DECISIONS


def test_more_than_max_decisions() -> None:
    items = "".join(f"|c{n}:1:ab:1" for n in range(MAX_DECISIONS + 1))
    assert decode(sign(f"1|{CONSENT_ID}{items}")) is None


# Properties: only what we signed decodes, and any edit of it is no decision


@settings(max_examples=500)
@given(st.text())
def test_any_text_is_no_decision(value: str) -> None:
    assert decode(value) is None


@settings(max_examples=200)
@given(st.text(alphabet="0123456789abcdef|:~_-ABCXYZstaic1"))
def test_any_text_of_the_format_alphabet_is_no_decision(value: str) -> None:
    assert decode(value) is None


@given(consents, st.from_regex(SIGNATURE, fullmatch=True))
def test_well_formed_payload_with_a_made_up_signature(
    consent: StoredConsent, signature: str
) -> None:
    payload = encode(consent).rpartition("~")[0]
    assert decode(f"{payload}~{signature}") is None


# Characters an attacker would try first: the format's own and the signature's.
likely_characters = st.sampled_from("0123456789abcdefABCDEF|:~_-=;\"' \\\x00\nzZ" + "é☃\U0001f36a")


@settings(max_examples=300)
@given(consents, st.data())
def test_any_single_character_changed(consent: StoredConsent, data: st.DataObject) -> None:
    value = encode(consent)
    position = data.draw(st.integers(min_value=0, max_value=len(value) - 1), label="position")
    character = data.draw(st.one_of(likely_characters, st.characters()), label="character")
    tampered = value[:position] + character + value[position + 1 :]
    if character == value[position]:
        assert decode(tampered) == consent
    else:
        assert decode(tampered) is None


@settings(max_examples=200)
@given(consents, st.data())
def test_truncated_at_any_position(consent: StoredConsent, data: st.DataObject) -> None:
    value = encode(consent)
    end = data.draw(st.integers(min_value=0, max_value=len(value) - 1), label="end")
    assert decode(value[:end]) is None


@settings(max_examples=200)
@given(consents, st.data())
def test_head_cut_off_at_any_position(consent: StoredConsent, data: st.DataObject) -> None:
    value = encode(consent)
    start = data.draw(st.integers(min_value=1, max_value=len(value) - 1), label="start")
    assert decode(value[start:]) is None


@settings(max_examples=200)
@given(consents, st.text(min_size=1))
def test_anything_appended(consent: StoredConsent, suffix: str) -> None:
    assert decode(encode(consent) + suffix) is None


@settings(max_examples=200)
@given(consents, st.text(min_size=1))
def test_anything_prepended(consent: StoredConsent, prefix: str) -> None:
    assert decode(prefix + encode(consent)) is None


@given(consents, consents)
def test_payload_of_one_with_signature_of_another(
    first: StoredConsent, second: StoredConsent
) -> None:
    payload = encode(first).rpartition("~")[0]
    signature = encode(second).rpartition("~")[2]
    spliced = f"{payload}~{signature}"
    assert decode(spliced) == (first if spliced == encode(first) else None)


def test_grant_made_under_gpc_round_trips() -> None:
    from cookie_consent.consent.cookie import Decision, StoredConsent, encode

    stored = StoredConsent(
        "0" * 32,
        {
            "statistics": Decision(True, "ab", 1, gpc=True),
            "third_party": Decision(True, "ab", 1),
            "first_party": Decision(False, "ab", 1),
        },
    )
    value = encode(stored)
    assert "|statistics:2:ab:1|" in value
    assert "|third_party:1:ab:1~" in value
    assert decode(value) == stored


# Times no server wrote


def test_decision_from_the_far_future_is_no_decision() -> None:
    # Signed with the site's key, so only a key holder could make it: still no decision.
    assert decode(sign(f"1|{CONSENT_ID}|statistics:1:ab:999999999999")) is None


def test_decision_a_few_hours_ahead_decodes() -> None:
    # Another server whose clock runs ahead wrote it.
    ahead = int(time.time()) + 6 * 60 * 60
    stored = decode(sign(f"1|{CONSENT_ID}|statistics:1:ab:{ahead}"))
    assert stored is not None
    assert stored.decisions["statistics"].decided_at == ahead


def test_decision_more_than_a_day_ahead_is_no_decision() -> None:
    ahead = int(time.time()) + 25 * 60 * 60
    assert decode(sign(f"1|{CONSENT_ID}|statistics:1:ab:{ahead}")) is None
