"""The proof of consent: one append-only record per decision, chained by MACs.

Each record's MAC covers its canonical content and the MAC of the previous record of the
same consent id, so a record edited, inserted or deleted in the middle of a chain breaks
it (``manage.py cookie_consent_verify``). The key is ``COOKIE_CONSENT_RECORD_KEY``, or one
derived from ``SECRET_KEY``; records made under a key now in ``SECRET_KEY_FALLBACKS``
still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.db import router, transaction
from django.utils import timezone

from cookie_consent.conf import conf
from cookie_consent.consent.state import ConsentState
from cookie_consent.models import ConsentCheckpoint, ConsentRecord

# The fields a record's MAC covers, in the canonical form's order (sorted keys).
SIGNED_FIELDS = (
    "action",
    "consent_id",
    "created_at",
    "denied",
    "event",
    "gpc",
    "granted",
    "ip_hash",
    "language",
    "method",
    "policy_url",
    "previous_mac",
    "reconsent",
    "revisions",
    "user_agent",
    "user_id",
)


def signing_keys() -> list[bytes]:
    """The current key first, then those records made before a rotation may carry."""
    if conf.RECORD_KEY:
        return [_derive(key) for key in [conf.RECORD_KEY, *conf.RECORD_KEY_FALLBACKS]]
    return [_derive(secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


def _derive(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(b"cookie_consent.records:" + raw).digest()


def canonical(record: ConsentRecord) -> bytes:
    content: dict[str, Any] = {name: getattr(record, name) for name in SIGNED_FIELDS}
    content["created_at"] = as_utc(record.created_at).isoformat()
    content["user_id"] = user_key(record.user_id)
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def user_key(pk: object) -> str | int | float | None:
    """The user id as the MAC and the JSON export hold it, for any primary key.

    Integer and string keys stay as JSON has always written them, so records made before
    still verify; any other key (a UUID, a decimal...) is its text, which Django gives
    back the same whenever it reads the record. (A composite key cannot be the target of
    the record's foreign key: Django refuses it, fields.E347.)
    """
    if pk is None or isinstance(pk, (str, int, float)):
        return pk
    return str(pk)


def as_utc(moment: datetime) -> datetime:
    """Records are written with aware UTC times; a naive time (USE_TZ = False) is UTC too."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt_timezone.utc)
    return moment.astimezone(dt_timezone.utc)


def record_mac(record: ConsentRecord, key: bytes) -> str:
    return hmac.new(key, canonical(record), hashlib.sha256).hexdigest()


def mac_is_valid(record: ConsentRecord, keys: list[bytes]) -> bool:
    return any(hmac.compare_digest(record.mac, record_mac(record, key)) for key in keys)


def checkpoint_mac(checkpoint: ConsentCheckpoint, key: bytes) -> str:
    content = f"{checkpoint.consent_id}|{checkpoint.last_mac}|{checkpoint.pruned}".encode()
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def event_of(old: ConsentState, new: ConsentState) -> str:
    """given, withdrawn (a grant taken back) or refused (nothing granted)."""
    askable = [c.slug for c in new.askable]
    if any(old.granted(slug) and not new.granted(slug) for slug in askable):
        return ConsentRecord.Event.WITHDRAWN
    if any(new.granted(slug) for slug in askable):
        return ConsentRecord.Event.GIVEN
    return ConsentRecord.Event.REFUSED


def truncated_ip_hash(remote_addr: str) -> str:
    """A keyed hash of the address with its host part cut (IPv4 /24, IPv6 /48); "" for
    anything that is not an IP address."""
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return ""
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d, all in one IPv6 /48.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return hmac.new(signing_keys()[0], str(network).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Circumstances:
    """Where and by whom a decision was made, as its record keeps them: plain values the
    caller takes from its request, so that the writer needs none."""

    language: str
    policy_url: str
    user_agent: str = ""
    # The user's primary key, of whatever type (the user model may be swapped); None for an
    # anonymous visitor.
    user_id: Any = None
    # truncated_ip_hash() of the address, or "" when COOKIE_CONSENT_RECORD_IP is off.
    ip_hash: str = ""


def write_record(
    old: ConsentState,
    new: ConsentState,
    *,
    action: str,
    method: str,
    circumstances: Circumstances,
) -> ConsentRecord:
    """Write the record of a decision, chained to the last one of its consent id.

    Runs in its own transaction; a database error propagates and nothing is written. The
    time is the writer's own, read once the chain is locked, so that times follow it.
    """
    assert new.consent_id is not None, "a stored decision always has a consent id"
    decided = [c for c in new.askable if c.slug in new.decisions]
    record = ConsentRecord(
        consent_id=new.consent_id,
        action=action,
        event=event_of(old, new),
        method=method,
        # What the visitor decided, as the cookie stores it; the GPC flag says whether the
        # signal refused some of these grants at the time.
        granted=" ".join(c.slug for c in decided if new.decisions[c.slug].granted),
        denied=" ".join(c.slug for c in decided if not new.decisions[c.slug].granted),
        revisions={c.slug: new.decisions[c.slug].revision for c in decided},
        reconsent=bool(old.changed),
        language=circumstances.language,
        policy_url=circumstances.policy_url,
        gpc=new.gpc,
        ip_hash=circumstances.ip_hash,
        # As much as the field holds.
        user_agent=circumstances.user_agent[:512],
        user_id=circumstances.user_id,
    )
    with transaction.atomic(using=router.db_for_write(ConsentRecord)):
        # Every writer of a chain locks the same row, its first record (or, once pruned,
        # its checkpoint), so that two concurrent decisions cannot both take the same
        # last record as their predecessor; the unique (consent id, previous MAC) pair
        # is the database's own guard behind it.
        chain = ConsentRecord.objects.select_for_update().filter(consent_id=record.consent_id)
        checkpoint = ConsentCheckpoint.objects.select_for_update().filter(
            consent_id=record.consent_id
        )
        # Two statements, not one: under READ COMMITTED the second reads with a snapshot
        # taken after the lock was granted, so it sees what the previous holder wrote.
        chain.order_by("id").values_list("id", flat=True).first()
        last = chain.order_by("-id").values_list("mac", flat=True).first()
        if last is None:
            last = checkpoint.values_list("last_mac", flat=True).first() or ""
        record.created_at = timezone.now()  # after the lock: times follow the chain
        record.previous_mac = last
        record.mac = record_mac(record, signing_keys()[0])
        record.save(force_insert=True)
    return record
