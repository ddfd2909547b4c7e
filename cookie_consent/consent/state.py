"""A visitor's consent as the current request sees it: what is granted, what must be asked.

Built from the signed consent cookie and the catalogue snapshot. A category that needs no
consent is always granted; a consent-requiring one only by a decision that is still
current: same revision as the catalogue's, and younger than ``COOKIE_CONSENT_MAX_AGE``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import NamedTuple

from django.db import models
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

from cookie_consent.catalogue import names
from cookie_consent.catalogue.snapshot import Catalogue, Category, get_catalogue
from cookie_consent.conf import conf
from cookie_consent.consent import cookie as consent_cookie
from cookie_consent.consent.cookie import Decision


class Status(models.TextChoices):
    """A category's status for a visitor: the one vocabulary of the code, the JSON API and
    the templates, which get it through their context (``statuses.CURRENT``)."""

    MISSING = "missing"
    STALE = "stale"  # the category changed since the decision
    EXPIRED = "expired"
    CURRENT = "current"
    # Not a decision's status: a category that needs none.
    ALWAYS = "always"


# The members bound to names once: ``Status.CURRENT`` is a lookup on the enum class each
# time, several times slower than a global, and the statuses are read on every request.
MISSING, STALE, EXPIRED, CURRENT, ALWAYS = (
    Status.MISSING,
    Status.STALE,
    Status.EXPIRED,
    Status.CURRENT,
    Status.ALWAYS,
)


class Choice(NamedTuple):
    """One category as the visitor's choice shows it, for templates."""

    category: Category
    granted: bool
    status: Status
    # Consent-free categories are on whatever the visitor does.
    always_on: bool
    decided_at: datetime | None


@dataclass(frozen=True)
class ConsentState:
    consent_id: str | None
    decisions: Mapping[str, Decision]
    catalogue: Catalogue
    now: int
    # The request carried Sec-GPC: 1 and COOKIE_CONSENT_HONOR_GPC is on.
    gpc: bool = False

    def status(self, category: Category) -> Status:
        """``missing``, ``stale`` (the category changed), ``expired`` or ``current``."""
        decision = self.decisions.get(category.slug)
        if decision is None:
            return MISSING
        if decision.revision != category.revision:
            return STALE
        if self.now - decision.decided_at >= conf.MAX_AGE:
            return EXPIRED
        return CURRENT

    def granted(self, slug: str) -> bool:
        """Whether cookies of category ``slug`` may be set and read."""
        category = self.catalogue.category(slug)
        if category is None:
            return False
        if category.required or not category.needs_consent:
            return True
        if self.status(category) != CURRENT:
            return False
        decision = self.decisions[slug]
        # Under the GPC signal, only a grant made while sending it stands.
        return decision.granted and (decision.gpc or not self._gpc_covers(category))

    def _gpc_covers(self, category: Category) -> bool:
        return self.gpc and category.honors_gpc

    @cached_property
    def askable(self) -> tuple[Category, ...]:
        """The categories a visitor can be asked about: consent-requiring ones."""
        return tuple(c for c in self.catalogue.categories if c.needs_consent and not c.required)

    @cached_property
    def pending(self) -> tuple[Category, ...]:
        """The categories to ask about, in catalogue order; GPC answers for those it covers."""
        return tuple(
            c for c in self.askable if self.status(c) != CURRENT and not self._gpc_covers(c)
        )

    @cached_property
    def refused_by_gpc(self) -> tuple[Category, ...]:
        """Categories the banner would ask about, refused by the GPC signal instead."""
        return tuple(c for c in self.askable if self.status(c) != CURRENT and self._gpc_covers(c))

    @property
    def needs_decision(self) -> bool:
        return bool(self.pending)

    @property
    def decided(self) -> bool:
        """Whether the visitor has ever made a decision that still counts for something."""
        return self.consent_id is not None

    @cached_property
    def changed(self) -> tuple[Category, ...]:
        """Pending categories that changed, or are new, since the visitor last decided."""
        if not self.decided:
            return ()
        return tuple(c for c in self.pending if self.status(c) in (STALE, MISSING))

    @cached_property
    def granted_slugs(self) -> frozenset[str]:
        return frozenset(c.slug for c in self.catalogue.categories if self.granted(c.slug))

    @cached_property
    def choices(self) -> tuple[Choice, ...]:
        return tuple(
            Choice(
                c,
                self.granted(c.slug),
                self.status(c),
                c.required or not c.needs_consent,
                self._decided_at(c.slug),
            )
            for c in self.catalogue.categories
        )

    def _decided_at(self, slug: str) -> datetime | None:
        decision = self.decisions.get(slug)
        return (
            None if decision is None else datetime.fromtimestamp(decision.decided_at, timezone.utc)
        )

    def last_decided_at(self) -> int | None:
        return max((d.decided_at for d in self.decisions.values()), default=None)


def read_consent(request: HttpRequest) -> ConsentState:
    """The consent the request's cookie holds, checked against the current catalogue."""
    stored = (
        None
        if _consent_is_ambiguous(request)
        else consent_cookie.decode(request.COOKIES.get(conf.COOKIE_NAME))
    )
    return ConsentState(
        consent_id=None if stored is None else stored.consent_id,
        decisions={} if stored is None else stored.decisions,
        catalogue=get_catalogue(),
        now=int(time.time()),
        gpc=conf.HONOR_GPC and sends_gpc(request),
    )


def _consent_is_ambiguous(request: HttpRequest) -> bool:
    """A second consent cookie hidden after a comma (a header joined by a proxy): which of
    the two the browser meant cannot be told, so neither is a decision (fail safe)."""
    header = request.META.get("HTTP_COOKIE", "")
    return "," in header and conf.COOKIE_NAME in names.hidden_names(header)


def sends_gpc(request: HttpRequest) -> bool:
    """``Sec-GPC: 1``: exactly "1" (GPC specification), or the signal sent more than once,
    which servers and proxies join with commas into "1, 1"."""
    # META, not request.headers: that would cache the Cookie header before stripping.
    value = request.META.get("HTTP_SEC_GPC")
    if value is None or "," not in value:
        return value == "1"
    return all(item.strip(" \t") == "1" for item in value.split(","))


# The request's memo of its consent state. This module alone reads and writes it.
_MEMO = "_cookie_consent_state"


def get_consent(request: HttpRequest) -> ConsentState:
    """The request's consent state, read once per request, with or without the middleware."""
    state: ConsentState | None = request.__dict__.get(_MEMO)
    if state is None:
        state = read_consent(request)
        request.__dict__[_MEMO] = state
    return state


def remember_consent(request: HttpRequest, state: ConsentState) -> None:
    """A decision made during the request: what the code after it, and the response, see."""
    request.__dict__[_MEMO] = state


def consent_was_read(request: HttpRequest) -> bool:
    """Whether anything in this request looked at the visitor's consent."""
    return _MEMO in request.__dict__


def vary_on_consent(response: HttpResponseBase) -> None:
    """Say that ``response`` depends on the consent cookie, and on GPC when it is honoured."""
    patch_vary_headers(response, ("Cookie", "Sec-GPC") if conf.HONOR_GPC else ("Cookie",))
