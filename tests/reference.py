"""What the reference cookie policy (shared/reference/cookies-policy.txt) says."""

from __future__ import annotations

# The reference policy's table, row by row and word for word: provider, function and
# location, cookie name, purposes.
REFERENCE_ROWS = [
    (
        "Opendatasoft",
        "Authentication (front and back office)",
        "sessionid",
        "To remember the user from one page to another",
    ),
    (
        "Opendatasoft",
        "Language selection (front and back office)",
        "django_language",
        "To remember the visitor's language",
    ),
    (
        "Opendatasoft",
        "API (CSRF) (front et back office)",
        "csrftoken",
        "To retrieve data via API calls",
    ),
    (
        "Opendatasoft",
        "Choices related to your cookie preferences",
        "cookies_preferences",
        "To remember the visitor's cookie preferences",
    ),
]
