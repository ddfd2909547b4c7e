"""One request's passage through enforcement, from the request phase to the response.

The middleware gets it from the request phase and hands it to the response phase, as
django.contrib.messages hands its storage to ``update(response)``: data crosses the
view as an argument, not as attributes of the request that several modules read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from cookie_consent.consent.state import ConsentState
from cookie_consent.enforcement.exemption import is_exempt


@dataclass(slots=True)
class Passage:
    """What the browser sent, the verdicts on it, and whether enforcement applies."""

    # Every name but the essential ones, those hidden after a comma included.
    names: list[str]
    # Whether the request is exempt; None until a phase needs to know.
    exempt: bool | None = None
    # The consent the names were judged by (None until judged), and those it refused.
    judged_by: ConsentState | None = None
    refused: frozenset[str] = frozenset()
    # ``request.COOKIES`` and the Cookie header as sent, once stripped of the refused.
    sent: tuple[dict[str, str], str] | None = None

    def is_exempt(self, request: HttpRequest) -> bool:
        """Decided once: by the first phase that has a cookie to judge (the view Django
        resolves settles it, see ``inbound.settle_exemption``)."""
        if self.exempt is None:
            self.exempt = is_exempt(request)
        return self.exempt
