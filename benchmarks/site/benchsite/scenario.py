"""The requests a benchmark sends, the same for every variant; no Django import here."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

HOST = "www.example.com"
# A valid unmasked CSRF secret (32 letters and digits): what a returning visitor holds.
CSRF_SECRET = "BenchmarkCsrfSecret0123456789abc"
assert len(CSRF_SECRET) == 32

# The four tracking cookies a visitor's browser holds once scripts have run; all four
# are declared in every variant's catalogue (_ga_ABC123 through the pattern _ga_*).
TRACKING_COOKIES = {
    "_ga": "GA1.1.1234567890.1764400000",
    "_ga_ABC123": "GS2.1.s1764400000$o3$g1$t1764400100$j60$l0$h0",
    "_gid": "GA1.1.987654321.1764400000",
    "_fbp": "fb.1.1764400000000.1234567890123456789",
}

# Stands in for a consent cookie in variants that have none, so that every returning
# visitor sends a Cookie header of about the same length.
PLACEHOLDER_CONSENT = (
    "1|" + "0" * 32 + "|" + "|".join(["statistics:1:0123456789ab:1764400000"] * 3)
)

HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.7",
    "Accept-Encoding": "gzip, deflate, br, zstd",
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = ""

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def header_lines(self) -> list[str]:
        """Every header a client sends (for wrk), Host and Cookie included."""
        lines = [f"Host: {HOST}"] + [f"{name}: {value}" for name, value in self.headers.items()]
        if self.cookies:
            lines.append(f"Cookie: {self.cookie_header}")
        return lines


def get(path: str, cookies: dict[str, str] | None = None, **headers: str) -> Request:
    return Request("GET", path, dict(cookies or {}), {**HEADERS, **headers})


def post_form(path: str, fields: list[tuple[str, str]], cookies: dict[str, str]) -> Request:
    """A form POST with its CSRF token, as a browser sends it from the page."""
    body = urlencode([("csrfmiddlewaretoken", CSRF_SECRET), *fields]).encode()
    return Request(
        "POST",
        path,
        {"csrftoken": CSRF_SECRET, **cookies},
        {**HEADERS, "Origin": f"http://{HOST}", "Referer": f"http://{HOST}/"},
        body,
        "application/x-www-form-urlencoded",
    )


def returning(consent_name: str, consent_value: str) -> dict[str, str]:
    """A returning visitor's cookies: CSRF, consent, and the four tracking cookies."""
    return {"csrftoken": CSRF_SECRET, consent_name: consent_value, **TRACKING_COOKIES}
