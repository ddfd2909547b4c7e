"""The validators at the path this app's migrations name them by.

They live in ``cookie_consent.catalogue.validation``; migrations 0001, 0004 and 0005 refer
to them as ``cookie_consent.validation.…`` and stay as they are.
"""

from cookie_consent.catalogue.validation import (
    TranslationsValidator,
    validate_consent_mode_types,
    validate_cookie_name,
)

__all__ = ["TranslationsValidator", "validate_consent_mode_types", "validate_cookie_name"]
