"""The consent cookie's value: a short text page scripts can read, with a signature.

Format (version 1), documented in docs/consent-cookie.rst::

    1|<consent id>|<slug>:<decision>:<revision>:<unix time>|...~<signature>

where the decision is 0 (denied), 1 (granted) or 2 (granted while the browser sent the
Global Privacy Control signal, which is what lets such a grant stand under the signal).

Every character is one that ``http.cookies`` leaves unquoted, so ``document.cookie`` shows
the value as it is. The signature is Django's (HMAC-SHA256 with ``SECRET_KEY``, and the
keys of ``SECRET_KEY_FALLBACKS`` when checking): an edited or foreign value decodes to
nothing, never to a grant.
"""

from __future__ import annotations

import functools
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.conf import settings
from django.core import signing

VERSION = "1"
MAX_LENGTH = 4096
MAX_DECISIONS = 64

SALT = "cookie_consent.consent"
# Servers' clocks differ a little; a decision further in the future than this was not
# made by any of them (and a year past 9999 would overflow every date computed from it).
MAX_CLOCK_SKEW = 24 * 60 * 60


def _signer() -> signing.Signer:
    # Made per call: it reads SECRET_KEY and SECRET_KEY_FALLBACKS as they are now.
    return signing.Signer(salt=SALT, sep="~", algorithm="sha256")


_CONSENT_ID = re.compile(r"[0-9a-f]{32}")
_DECISION = re.compile(r"([-a-zA-Z0-9_]{1,64}):([012]):([0-9a-f]{1,64}):([0-9]{1,12})")


@dataclass(frozen=True)
class Decision:
    """A visitor's answer for one category, and what the category was when given."""

    granted: bool
    revision: str
    decided_at: int
    # Made while the browser sent Sec-GPC: 1.
    gpc: bool = False


@dataclass(frozen=True)
class StoredConsent:
    consent_id: str
    decisions: Mapping[str, Decision]


def new_consent_id() -> str:
    """Random, so that it says nothing about the visitor it identifies."""
    return secrets.token_hex(16)


def _decision_code(decision: Decision) -> str:
    if not decision.granted:
        return "0"
    return "2" if decision.gpc else "1"


def encode(consent: StoredConsent) -> str:
    parts = [VERSION, consent.consent_id]
    parts += [
        f"{slug}:{_decision_code(d)}:{d.revision}:{d.decided_at}"
        for slug, d in sorted(consent.decisions.items())
    ]
    return _signer().sign("|".join(parts))


def decode(value: str | None) -> StoredConsent | None:
    """The stored consent, or ``None`` for anything that is not a value we signed."""
    if not value or len(value) > MAX_LENGTH:
        return None
    return _decode(value, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


# A visitor sends the same value on every request: checking its signature once per
# process is enough. The keys are part of the cache key, so a rotation takes effect.
@functools.lru_cache(maxsize=4096)
def _decode(value: str, key: str, fallback_keys: tuple[str, ...]) -> StoredConsent | None:
    signer = signing.Signer(
        key=key, fallback_keys=list(fallback_keys), salt=SALT, sep="~", algorithm="sha256"
    )
    try:
        payload = signer.unsign(value)
    except signing.BadSignature:
        return None
    version, _, rest = payload.partition("|")
    consent_id, _, decisions_text = rest.partition("|")
    if version != VERSION or not _CONSENT_ID.fullmatch(consent_id):
        return None
    decisions: dict[str, Decision] = {}
    # Cached results stay right as time passes: a value accepted now stays acceptable.
    latest = time.time() + MAX_CLOCK_SKEW
    for item in decisions_text.split("|") if decisions_text else ():
        match = _DECISION.fullmatch(item)
        if match is None or match[1] in decisions or len(decisions) >= MAX_DECISIONS:
            return None
        if int(match[4]) > latest:
            return None
        decisions[match[1]] = Decision(match[2] != "0", match[3], int(match[4]), match[2] == "2")
    # Shared by every request that sends this value: read-only.
    return StoredConsent(consent_id, MappingProxyType(decisions))
