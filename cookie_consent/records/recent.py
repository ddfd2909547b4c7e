"""A visitor's last decisions, as the policy page shows them."""

from __future__ import annotations

import logging

from django.db import DatabaseError

from cookie_consent.logs import one_line
from cookie_consent.models import ConsentRecord

# The logger docs/views.rst names for the policy page's degraded answer.
logger = logging.getLogger("cookie_consent.views")


def recent_records(consent_id: str | None) -> list[ConsentRecord] | None:
    """The visitor's last decisions, newest first; None when the database cannot say."""
    if consent_id is None:
        return []
    try:
        return list(ConsentRecord.objects.filter(consent_id=consent_id).order_by("-id")[:5])
    except DatabaseError as error:
        # The page is still served, without them: a degraded page, not a failed request.
        logger.warning(
            "Cookie consent: the consent records could not be read, the policy page shows "
            "none (%s).",
            one_line(error),
        )
        return None
