from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from cookie_consent import undeclared
from cookie_consent.models import Cookie, CookieCategory, UndeclaredCookie

pytestmark = pytest.mark.django_db


def test_names_too_long_or_beyond_the_cap_are_not_tallied(monkeypatch: pytest.MonkeyPatch) -> None:
    undeclared.seen("x" * 256, undeclared.REQUEST, "/")
    assert undeclared.pending_names() == set()
    monkeypatch.setattr(undeclared, "MAX_PENDING", 2)
    for name in ("a", "b", "c"):
        undeclared.seen(name, undeclared.REQUEST, "/")
    undeclared.seen("a", undeclared.REQUEST, "/again")
    assert undeclared.pending_names() == {("a", "request"), ("b", "request")}


def test_a_failed_write_keeps_what_was_not_written(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        undeclared.seen(name, undeclared.REQUEST, "/")
    real_write = undeclared._write
    calls: list[str] = []

    def failing_write(name: str, *args: Any) -> None:
        calls.append(name)
        if name == "b":
            # A request counts "b" again while the write fails.
            undeclared.seen("b", undeclared.REQUEST, "/")
            raise ConnectionError("database is down")
        real_write(name, *args)

    monkeypatch.setattr(undeclared, "_write", failing_write)
    with pytest.raises(ConnectionError):
        undeclared.flush()
    # Meanwhile the site keeps counting.
    undeclared.seen("b", undeclared.REQUEST, "/")
    assert undeclared.pending_names() == {("b", "request"), ("c", "request")}
    monkeypatch.setattr(undeclared, "_write", real_write)
    assert undeclared.flush() == 2
    assert UndeclaredCookie.objects.get(name="b").count == 3
    assert sorted(UndeclaredCookie.objects.values_list("name", flat=True)) == ["a", "b", "c"]


@override_settings(COOKIE_CONSENT_UNDECLARED="report")
def test_warning_says_report_lets_it_through(caplog: pytest.LogCaptureFixture) -> None:
    undeclared.seen("_x", undeclared.RESPONSE, "/p/")
    undeclared.flush()
    assert "Undeclared cookie '_x' set by the server (e.g. /p/)" in caplog.text
    assert "until then it is let through." in caplog.text


@pytest.mark.django_db(transaction=True)
@override_settings(COOKIE_CONSENT_UNDECLARED_FLUSH_INTERVAL=0.05)
def test_background_thread_writes_the_tally() -> None:
    undeclared.seen("_bg", undeclared.REQUEST, "/")
    undeclared.seen("_bg", undeclared.REQUEST, "/")
    deadline = time.monotonic() + 5
    while not UndeclaredCookie.objects.filter(name="_bg").exists():
        assert time.monotonic() < deadline, "the flusher thread wrote nothing"
        time.sleep(0.02)
    assert UndeclaredCookie.objects.get(name="_bg").count == 2
    assert undeclared._flusher is not None
    assert undeclared._flusher.daemon
    # One thread per process, however many sightings.
    thread = undeclared._flusher
    undeclared.seen("_bg2", undeclared.REQUEST, "/")
    assert undeclared._flusher is thread


@pytest.mark.django_db(transaction=True)
@override_settings(COOKIE_CONSENT_UNDECLARED_FLUSH_INTERVAL=0.05)
def test_background_thread_survives_a_failing_database(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failures: list[int] = []

    def failing_write(*args: Any) -> None:
        failures.append(1)
        raise ConnectionError("database is down")

    monkeypatch.setattr(undeclared, "_write", failing_write)
    undeclared.seen("_down", undeclared.REQUEST, "/")
    deadline = time.monotonic() + 5
    while len(failures) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert "writing undeclared cookie sightings failed" in caplog.text
    monkeypatch.undo()
    while not UndeclaredCookie.objects.filter(name="_down").exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("admin", "a@example.com", "pw"))
    return client


def sighting(name: str, direction: str = "request") -> UndeclaredCookie:
    undeclared.seen(name, direction, "/page/")
    undeclared.flush()
    return UndeclaredCookie.objects.get(name=name, direction=direction)


def test_admin_lists_sightings_read_only(admin_client: Client) -> None:
    row = sighting("_hj")
    assert str(row) == "_hj"
    response = admin_client.get("/admin/cookie_consent/undeclaredcookie/")
    assert response.status_code == 200
    assert "_hj" in response.text
    assert admin_client.get("/admin/cookie_consent/undeclaredcookie/add/").status_code == 403


def test_declare_action_asks_for_a_category_then_declares(admin_client: Client) -> None:
    first, second = sighting("_hj"), sighting("_hj", "response")
    third = sighting("_fbp")
    url = "/admin/cookie_consent/undeclaredcookie/"
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
        "/admin/cookie_consent/undeclaredcookie/",
        {"action": "declare", "_selected_action": [row.pk], "category": statistics.pk},
        follow=True,
    )
    assert "_pref: “_pref” is already declared in the category “third_party”." in response.text
    assert UndeclaredCookie.objects.filter(name="_pref").exists()


def test_a_full_table_takes_no_new_names(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sighting("_known")
    monkeypatch.setattr(undeclared, "MAX_ROWS", 1)
    undeclared.seen("_known", undeclared.REQUEST, "/")
    undeclared.seen("_new", undeclared.REQUEST, "/")
    assert undeclared.flush() == 1
    assert not UndeclaredCookie.objects.filter(name="_new").exists()
    assert UndeclaredCookie.objects.get(name="_known").count == 2
    assert "1 new names were not recorded" in caplog.text


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
    url = "/admin/cookie_consent/undeclaredcookie/"
    assert 'value="declare"' not in client.get(url).text
    staff.user_permissions.add(Permission.objects.get(codename="add_cookie"))
    staff = User.objects.get(pk=staff.pk)
    client.force_login(staff)
    assert 'value="declare"' in client.get(url).text
    assert row.pk
