from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

import tests.urls
from cookie_consent.enforcement import tally, undeclared, writer
from cookie_consent.enforcement.directions import Direction
from cookie_consent.models import Cookie, CookieCategory, UndeclaredCookie
from tests.toolkit import admin_url

pytestmark = pytest.mark.django_db


def test_names_too_long_are_not_tallied() -> None:
    undeclared.seen("x" * 256, Direction.REQUEST, "/")
    assert undeclared.pending_names() == set()


@pytest.fixture
def two_places(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tally with two places per kind of name."""
    monkeypatch.setattr(tally, "MAX_PENDING", 2)


@pytest.mark.usefixtures("two_places")
def test_a_received_name_seen_again_keeps_its_place_in_a_full_tally() -> None:
    for name in ("_real", "_real", "_junk1", "_junk2"):
        undeclared.seen(name, Direction.REQUEST, "/")
    # "_junk2" took the place of "_junk1", the name seen least; "_real" kept its own.
    assert undeclared.pending_names() == {("_real", "request"), ("_junk2", "request")}
    undeclared.seen("_junk3", Direction.REQUEST, "/")
    undeclared.seen("_real", Direction.REQUEST, "/")
    assert ("_real", "request") in undeclared.pending_names()
    assert len(undeclared.pending_names()) == 2
    undeclared.flush()
    # The count is what was seen, not the rank that kept the place.
    assert UndeclaredCookie.objects.get(name="_real").count == 3


@pytest.mark.usefixtures("two_places")
def test_names_the_server_sets_are_tallied_apart_and_bounded() -> None:
    for name in ("_set1", "_set2", "_set3", "_set1"):
        undeclared.seen(name, Direction.RESPONSE, "/")
    for number in range(10):
        undeclared.seen(f"_junk{number}", Direction.REQUEST, "/")
    pending = undeclared.pending_names()
    assert {name for name, direction in pending if direction == "response"} == {"_set1", "_set2"}
    assert len(pending) == 4
    undeclared.flush()
    assert UndeclaredCookie.objects.get(name="_set1").count == 2


def test_a_failed_write_keeps_what_was_not_written(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        undeclared.seen(name, Direction.REQUEST, "/")
    assert undeclared.flush() == 3
    for name in ("a", "b", "c"):
        undeclared.seen(name, Direction.REQUEST, "/")
    get_or_create = UndeclaredCookie.objects.get_or_create
    calls: list[str] = []

    def failing_write(**fields: Any) -> tuple[UndeclaredCookie, bool]:
        calls.append(fields["name"])
        if fields["name"] == "b":
            # A request counts "b" again while the write fails.
            undeclared.seen("b", Direction.REQUEST, "/")
            raise ConnectionError("database is down")
        return get_or_create(**fields)

    monkeypatch.setattr(UndeclaredCookie.objects, "get_or_create", failing_write)
    with pytest.raises(ConnectionError):
        undeclared.flush()
    assert calls == ["a", "b"]
    # Meanwhile the site keeps counting.
    undeclared.seen("b", Direction.REQUEST, "/")
    assert undeclared.pending_names() == {("b", "request"), ("c", "request")}
    monkeypatch.undo()
    assert undeclared.flush() == 2
    counts = dict(UndeclaredCookie.objects.values_list("name", "count"))
    assert counts == {"a": 2, "b": 4, "c": 2}


def test_a_failed_write_of_new_names_keeps_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    def database_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is down")

    for name in ("a", "b"):
        undeclared.seen(name, Direction.REQUEST, "/")
    monkeypatch.setattr(UndeclaredCookie.objects, "bulk_create", database_down)
    with pytest.raises(OperationalError):
        undeclared.flush()
    assert undeclared.pending_names() == {("a", "request"), ("b", "request")}
    monkeypatch.undo()
    assert undeclared.flush() == 2
    assert UndeclaredCookie.objects.count() == 2


def test_a_name_another_process_just_recorded_is_added_to(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("_both", "_new"):
        undeclared.seen(name, Direction.REQUEST, "/")
    count = UndeclaredCookie.objects.count

    def after_another_process() -> int:
        # The write looked for the names, then counts the rows to make room: meanwhile
        # another process has written "_both".
        now = timezone.now()
        UndeclaredCookie.objects.create(
            name="_both", direction="request", first_seen=now, last_seen=now, count=1
        )
        return count()

    monkeypatch.setattr(UndeclaredCookie.objects, "count", after_another_process)
    caplog.clear()
    assert undeclared.flush() == 2
    assert dict(UndeclaredCookie.objects.values_list("name", "count")) == {"_both": 2, "_new": 1}
    assert "'_both'" not in caplog.text
    assert "Undeclared cookie '_new'" in caplog.text


@override_settings(COOKIE_CONSENT_EXEMPT_PATHS=["/api/"])
def test_exempt_requests_record_nothing_in_either_direction(client: Client) -> None:
    client.cookies["_sent"] = "1"
    response = client.get("/api/echo/?kind=undeclared")
    assert response.cookies["_unknown"].value == "1"
    assert undeclared.pending_names() == set()


@override_settings(COOKIE_CONSENT_UNDECLARED="report")
def test_warning_says_report_lets_it_through(caplog: pytest.LogCaptureFixture) -> None:
    undeclared.seen("_x", Direction.RESPONSE, "/p/")
    undeclared.flush()
    assert "Undeclared cookie '_x' set by the server (e.g. /p/)" in caplog.text
    assert "until then it is let through." in caplog.text


def wait_for(condition: Callable[[], bool], deadline: float, failure: str) -> None:
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.02)


# These wait for the thread's warning, written after its transaction, rather than read the
# table meanwhile: SQLite's shared in-memory test database refuses to read a table that
# another connection is writing ("database table is locked").
@pytest.mark.django_db(transaction=True)
@override_settings(COOKIE_CONSENT_UNDECLARED_FLUSH_INTERVAL=0.05)
def test_background_thread_writes_the_tally(caplog: pytest.LogCaptureFixture) -> None:
    undeclared.seen("_bg", Direction.REQUEST, "/")
    undeclared.seen("_bg", Direction.REQUEST, "/")
    deadline = time.monotonic() + 5
    wait_for(
        lambda: "Undeclared cookie '_bg'" in caplog.text,
        deadline,
        "the flusher thread wrote nothing",
    )
    assert UndeclaredCookie.objects.get(name="_bg").count == 2
    thread = undeclared.flusher_thread()
    assert thread is not None
    assert thread.daemon
    # One thread per process, however many sightings.
    undeclared.seen("_bg2", Direction.REQUEST, "/")
    assert undeclared.flusher_thread() is thread
    undeclared.stop_flusher()
    assert undeclared.flusher_thread() is None


@pytest.mark.django_db(transaction=True)
@override_settings(COOKIE_CONSENT_UNDECLARED_FLUSH_INTERVAL=0.05)
def test_background_thread_survives_a_failing_database(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failures: list[int] = []

    def database_down(*args: Any, **kwargs: Any) -> None:
        failures.append(1)
        raise ConnectionError("database is down")

    caplog.set_level(logging.INFO, logger="cookie_consent.undeclared")
    monkeypatch.setattr(UndeclaredCookie.objects, "bulk_create", database_down)
    undeclared.seen("_down", Direction.REQUEST, "/")
    deadline = time.monotonic() + 5
    wait_for(lambda: len(failures) >= 3, deadline, "the flusher thread stopped trying")
    # One line for the outage, however many writes it made fail, and no traceback.
    failed = [r for r in caplog.records if "sightings failed" in r.getMessage()]
    assert len(failed) == 1
    assert failed[0].levelname == "WARNING"
    assert failed[0].exc_info is None
    assert "(ConnectionError: database is down)" in failed[0].getMessage()
    monkeypatch.undo()
    wait_for(
        lambda: "Undeclared cookie '_down'" in caplog.text,
        deadline,
        "the flusher thread did not write again",
    )
    assert UndeclaredCookie.objects.filter(name="_down").exists()
    wait_for(
        lambda: "sightings are written again" in caplog.text,
        deadline,
        "the flusher thread did not say it recovered",
    )


def sighting(name: str, direction: str = "request") -> UndeclaredCookie:
    undeclared.seen(name, direction, "/page/")
    undeclared.flush()
    return UndeclaredCookie.objects.get(name=name, direction=direction)


def test_admin_lists_sightings_read_only(admin_client: Client) -> None:
    row = sighting("_hj")
    assert str(row) == "_hj"
    response = admin_client.get(admin_url("undeclaredcookie", "changelist"))
    assert response.status_code == 200
    assert "_hj" in response.text
    assert admin_client.get(admin_url("undeclaredcookie", "add")).status_code == 403


def test_admin_lists_the_most_seen_first(admin_client: Client) -> None:
    sightings("_hjid", "_hjid", "_hjid")
    undeclared.flush()
    sightings(*(f"junk{number}" for number in range(50)))
    undeclared.flush()
    page = admin_client.get(admin_url("undeclaredcookie", "changelist")).text
    assert page.index("_hjid") < page.index("junk")


def test_forget_pending_drops_the_tally_unwritten() -> None:
    sightings("_a")
    undeclared.forget_pending()
    assert undeclared.pending_names() == set()
    assert undeclared.flush() == 0


def test_declare_action_asks_for_a_category_then_declares(admin_client: Client) -> None:
    first, second = sighting("_hj"), sighting("_hj", "response")
    third = sighting("_fbp")
    url = admin_url("undeclaredcookie", "changelist")
    selected = {"action": "declare", "_selected_action": [first.pk, second.pk, third.pk]}
    page = admin_client.post(url, selected)
    assert page.status_code == 200
    assert "Declare cookies in a category" in page.text
    assert "<code>_fbp</code>" in page.text
    statistics = CookieCategory.objects.get(slug="statistics")
    response = admin_client.post(url, {**selected, "category": statistics.pk}, follow=True)
    assert "Declared in “Statistical cookies”: _fbp, _hj." in response.text
    assert set(Cookie.objects.filter(category=statistics).values_list("name", flat=True)) == {
        "_fbp",
        "_hj",
    }
    assert not UndeclaredCookie.objects.exists()


def test_declare_action_reports_names_the_catalogue_refuses(admin_client: Client) -> None:
    row = sighting("_pref")
    Cookie.objects.create(
        category=CookieCategory.objects.get(slug="third_party"), name="_pref", domain=".x.org"
    )
    statistics = CookieCategory.objects.get(slug="statistics")
    response = admin_client.post(
        admin_url("undeclaredcookie", "changelist"),
        {"action": "declare", "_selected_action": [row.pk], "category": statistics.pk},
        follow=True,
    )
    assert "_pref: “_pref” is already declared in the category “third_party”." in response.text
    assert UndeclaredCookie.objects.filter(name="_pref").exists()


def test_a_row_deleted_meanwhile_is_made_again_and_warned_about(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    undeclared.seen("_gone", Direction.REQUEST, "/")
    undeclared.flush()
    undeclared.seen("_gone", Direction.REQUEST, "/")
    get_or_create = UndeclaredCookie.objects.get_or_create

    def after_an_admin_deleted_it(**fields: Any) -> tuple[UndeclaredCookie, bool]:
        # An admin deletes the row after this write found it.
        UndeclaredCookie.objects.filter(name=fields["name"]).delete()
        return get_or_create(**fields)

    monkeypatch.setattr(UndeclaredCookie.objects, "get_or_create", after_an_admin_deleted_it)
    caplog.clear()
    assert undeclared.flush() == 1
    assert UndeclaredCookie.objects.get(name="_gone").count == 1
    assert "Undeclared cookie '_gone' sent by the browser" in caplog.text


def sightings(*names: str, direction: str = "request") -> None:
    for name in names:
        undeclared.seen(name, direction, "/")


def test_a_full_table_gives_the_place_of_the_least_seen_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sightings("_once", "_often", "_often", "_often")
    undeclared.flush()
    monkeypatch.setattr(writer, "MAX_ROWS", 2)

    def names() -> set[tuple[str, str]]:
        return set(UndeclaredCookie.objects.values_list("name", "direction"))

    # Seen once, like "_once": no better claim to the place. It waits, and keeps counting.
    sightings("_new")
    assert undeclared.flush() == 0
    assert names() == {("_once", "request"), ("_often", "request")}
    assert ("_new", "request") in undeclared.pending_names()
    sightings("_new")
    assert undeclared.flush() == 1
    assert names() == {("_new", "request"), ("_often", "request")}
    assert UndeclaredCookie.objects.get(name="_new").count == 2
    # A name the server sets takes the place of the received name seen least, seen once.
    sightings("_set1", direction="response")
    undeclared.flush()
    assert names() == {("_set1", "response"), ("_often", "request")}
    sightings("_set2", direction="response")
    undeclared.flush()
    assert names() == {("_set1", "response"), ("_set2", "response")}
    # Only received names make way: the server's own wait.
    sightings("_set3", direction="response")
    assert undeclared.flush() == 0
    assert ("_set3", "response") in undeclared.pending_names()
    # Known names always count.
    sightings("_set1", direction="response")
    assert undeclared.flush() == 1
    assert UndeclaredCookie.objects.get(name="_set1").count == 2


def test_rows_beyond_the_cap_make_way_first(monkeypatch: pytest.MonkeyPatch) -> None:
    # Processes that found room at the same moment wrote more than the cap.
    sightings("_a", "_b", "_c", "_c")
    undeclared.flush()
    monkeypatch.setattr(writer, "MAX_ROWS", 1)
    sightings("_set", direction="response")
    undeclared.flush()
    assert list(UndeclaredCookie.objects.values_list("name", flat=True)) == ["_set"]


@pytest.mark.usefixtures("two_places")
def test_what_a_full_table_turns_away_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    sightings("_a", "_a")
    undeclared.flush()
    monkeypatch.setattr(writer, "MAX_ROWS", 1)
    sightings("_x", "_y", "_y", "_z")
    assert undeclared.flush() == 0
    # The most seen are held for the next write.
    assert ("_y", "request") in undeclared.pending_names()
    assert len(undeclared.pending_names()) == 2


def full_table_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "Review the list in the admin" in r.getMessage()]


def test_a_full_table_is_logged_once_per_event(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert undeclared.flush() == 0
    monkeypatch.setattr(writer, "MAX_ROWS", 2)
    sightings("_a", "_a", "_b")
    undeclared.flush()
    # The background thread writes every 10 s, with or without new names.
    for number in range(5):
        sightings("_a")
        undeclared.flush()
        sightings(f"_new{number}")
        undeclared.flush()
    [line] = full_table_lines(caplog)
    assert line.levelname == "WARNING"
    assert line.getMessage().startswith(
        "Cookie consent: the list of undeclared cookies is full (2 rows)."
    )
    # An admin makes room; the list fills up again: a new event.
    UndeclaredCookie.objects.filter(name="_b").delete()
    sightings("_c")
    undeclared.flush()
    assert len(full_table_lines(caplog)) == 2


def test_declaring_needs_the_right_to_add_cookies(client: Client) -> None:
    from django.contrib.auth.models import Permission

    row = sighting("_hj")
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_undeclaredcookie", "change_undeclaredcookie"]
        )
    )
    client.force_login(staff)
    url = admin_url("undeclaredcookie", "changelist")
    assert 'value="declare"' not in client.get(url).text
    staff.user_permissions.add(Permission.objects.get(codename="add_cookie"))
    staff = User.objects.get(pk=staff.pk)
    client.force_login(staff)
    assert 'value="declare"' in client.get(url).text
    assert row.pk


# A flood of made-up names against the report (issue 11, item 7). Hotjar's names, as a
# site that forgot to declare Hotjar would see them.
SET_BY_THE_SITE = "_hjSessionUser_123"
SENT_BY_BROWSERS = "_hjSession_123"


def hotjar(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("tracked")
    response.set_cookie(SET_BY_THE_SITE, "1")
    return response


urlpatterns = [path("tracked/", hotjar), *tests.urls.urlpatterns]


def send_junk(count: int, start: int = 0, per_request: int = 1000) -> None:
    """One anonymous client sends ``count`` made-up names, ``per_request`` per Cookie header."""
    client = Client()
    for first in range(start, start + count, per_request):
        names = range(first, min(first + per_request, start + count))
        header = "; ".join(f"junk{number}=1" for number in names)
        assert client.get("/echo/", HTTP_COOKIE=header).status_code == 200


def visit_the_tracked_site() -> None:
    """The site sets its tracker once; three visitors send theirs back."""
    # Undeclared, the cookie does not leave the server ("strip"), but it is recorded.
    assert SET_BY_THE_SITE not in Client().get("/tracked/").cookies
    for _ in range(3):
        assert Client().get("/echo/", HTTP_COOKIE=f"{SENT_BY_BROWSERS}=1").status_code == 200


def times_recorded(name: str, direction: str) -> int | None:
    """The count of the name's row; None without a row."""
    rows = UndeclaredCookie.objects.filter(name=name, direction=direction)
    return rows.values_list("count", flat=True).first()


@pytest.mark.urls(__name__)
def test_a_flood_that_fills_the_table_does_not_hide_real_trackers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # 30,000 made-up names, written by the background thread as they come.
    for start in range(0, 30_000, tally.MAX_PENDING):
        send_junk(tally.MAX_PENDING, start)
        undeclared.flush()
    assert UndeclaredCookie.objects.count() == writer.MAX_ROWS
    caplog.clear()
    # The flood goes on while the trackers are seen.
    send_junk(500, start=30_000)
    visit_the_tracked_site()
    send_junk(500, start=30_500)
    undeclared.flush()
    assert times_recorded(SET_BY_THE_SITE, "response") == 1
    assert times_recorded(SENT_BY_BROWSERS, "request") == 3
    assert f"Undeclared cookie '{SET_BY_THE_SITE}' set by the server" in caplog.text
    assert f"Undeclared cookie '{SENT_BY_BROWSERS}' sent by the browser" in caplog.text
    assert UndeclaredCookie.objects.count() <= writer.MAX_ROWS


@pytest.mark.urls(__name__)
def test_a_flood_between_two_writes_does_not_hide_real_trackers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    send_junk(30_000)
    visit_the_tracked_site()
    pending = undeclared.pending_names()
    assert (SET_BY_THE_SITE, "response") in pending
    assert (SENT_BY_BROWSERS, "request") in pending
    # Memory stays bounded: the made-up names share the places of the names browsers send.
    assert len([name for name, direction in pending if direction == "request"]) <= (
        tally.MAX_PENDING
    )
    undeclared.flush()
    assert times_recorded(SET_BY_THE_SITE, "response") == 1
    assert times_recorded(SENT_BY_BROWSERS, "request") == 3
    assert f"Undeclared cookie '{SENT_BY_BROWSERS}' sent by the browser" in caplog.text
    assert UndeclaredCookie.objects.count() <= tally.MAX_PENDING + 1
