"""Google Consent Mode v2: the ``default`` command that reflects the visitor's decision.

Each category names the consent types it grants (admin-editable); a type is granted when
a category that names it is granted, denied otherwise, and denied for everyone before a
decision (necessary categories excepted, as they are always granted).
"""

from __future__ import annotations

from typing import Any

from cookie_consent.catalogue.validation import CONSENT_MODE_TYPES
from cookie_consent.conf import conf
from cookie_consent.consent.state import ConsentState


def consent_types(state: ConsentState) -> dict[str, str]:
    """Every Consent Mode v2 type, ``granted`` or ``denied`` for this visitor."""
    granted = {
        kind
        for category in state.catalogue.categories
        if state.granted(category.slug)
        for kind in category.consent_mode
    }
    return {kind: "granted" if kind in granted else "denied" for kind in CONSENT_MODE_TYPES}


def default_command(state: ConsentState) -> dict[str, Any]:
    """What the app's script passes to gtag: the default, and the settings to ``set``."""
    default: dict[str, Any] = dict(consent_types(state))
    if conf.CONSENT_MODE_WAIT_FOR_UPDATE is not None:
        default["wait_for_update"] = conf.CONSENT_MODE_WAIT_FOR_UPDATE
    if conf.CONSENT_MODE_REGION:
        default["region"] = list(conf.CONSENT_MODE_REGION)
    extra = {
        "ads_data_redaction": conf.CONSENT_MODE_ADS_DATA_REDACTION,
        "url_passthrough": conf.CONSENT_MODE_URL_PASSTHROUGH,
    }
    return {"default": default, "set": {k: v for k, v in extra.items() if v is not None}}
