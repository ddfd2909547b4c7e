"""What each scenario must show, so that a figure is never of the wrong page.

A visitor meant to be accepting who still gets the banner, or a refusing one whose
tracking cookies are not expired, would make the timings meaningless: such a mismatch is
reported beside the tables and makes run.py exit with a failure.
"""

from __future__ import annotations

from typing import Any

TRACKING = {"_ga", "_ga_ABC123", "_gid", "_fbp"}
CONSENT_COOKIES = {"guard": "cookies_preferences", "dcc": "cookie_consent"}


def problems(key: str, variant: str, scenario: str, check: dict[str, Any]) -> list[str]:
    found = []
    deleted = {c["name"] for c in check["set_cookies"] if c["delete"]}
    kept = {c["name"] for c in check["set_cookies"] if not c["delete"]}

    def expect(condition: bool, message: str) -> None:
        if not condition:
            found.append(f"{key} {scenario}: {message}")

    page, _, visitor = scenario.partition(":")
    if page == "post":
        expect(check["status"] in (302, 303), f"status {check['status']}, not a redirect")
        expect(CONSENT_COOKIES[variant] in kept, "no consent cookie set")
        return found
    expect(check["status"] == 200, f"status {check['status']}")
    if page != "page":
        return found
    shows_banner = variant == "static" or (variant != "bare" and visitor == "new")
    expect(check["banner"] == shows_banner, f"banner shown: {check['banner']}")
    live = variant == "bare" or visitor == "accept"
    expect(check["gate"] == ("live" if live else "inert"), f"analytics gate {check['gate']}")
    if visitor == "refuse":
        expect(deleted >= TRACKING, f"tracking cookies not all expired: {sorted(deleted)}")
    else:
        expect(not deleted & TRACKING, f"tracking cookies expired: {sorted(deleted)}")
    return found


def static_banner_drift(checks: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """The hand-written banner is a copy of the app's: say when the app's has moved on."""
    static, guard = checks.get(("static", "page:new")), checks.get(("guard", "page:new"))
    if static is None or guard is None:
        return []
    difference = guard["bytes"] - static["bytes"]
    if abs(difference) <= 0.02 * guard["bytes"]:
        return []
    return [
        f"the new visitor's page is {guard['bytes']:,} bytes with the app and "
        f"{static['bytes']:,} with the hand-written banner: the app's banner markup has "
        "changed; copy it into benchmarks/site/templates/static/bench/layout.html"
    ]
