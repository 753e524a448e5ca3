"""Calendars from Python: the slot finder; Google sign-in, events and the assistant's calendar
tools against a mock Google (bodies from fa-calendar's cited fixtures,
fa-calendar/tests/fixtures/*/SOURCES.md); CalDAV on Radicale (a real server) when
``FA_TEST_CALDAV_URL`` is set."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, List
from urllib.parse import parse_qs, urlparse

import pytest

from family_assistant import (
    Assistant, IntegrationStatus, InvalidInput, Member, Model, Store, Unauthorized,
)
from family_assistant.calendar import Attendee, CalendarAccounts, Interval, find_slots
from mock_http import MockServer, Request

FIXTURES = Path(__file__).resolve().parents[2] / "fa-calendar" / "tests" / "fixtures"


def fixture(name: str) -> object:
    return json.loads((FIXTURES / name).read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_free_slots_avoid_everyones_busy_time_and_keep_to_their_hours() -> None:
    now = utc("2026-11-18T10:15:00Z")
    ana = Attendee("Europe/Berlin", [(utc("2026-11-19T08:00:00Z"), utc("2026-11-19T11:00:00Z"))])
    ben = Attendee(
        "Europe/Berlin", [Interval(utc("2026-11-19T12:00:00Z"), utc("2026-11-19T17:00:00Z"))],
        hours=(8, 20),
    )
    slots = find_slots(
        now, [ana, ben], timedelta(hours=1), utc("2026-11-19T00:00:00Z"), utc("2026-11-20T00:00:00Z"),
        limit=10, per_day=0,
    )
    assert slots, "Thursday has free hours for both"
    busy = ana.busy[0], (ben.busy[0].start, ben.busy[0].end)  # type: ignore[union-attr]
    for slot in slots:
        assert slot.end - slot.start == timedelta(hours=1)
        for start, end in busy:
            assert slot.end <= start or slot.start >= end, slot
        # 08:00-20:00 Berlin is 07:00-19:00 UTC in November.
        assert utc("2026-11-19T07:00:00Z") <= slot.start and slot.end <= utc("2026-11-19T19:00:00Z")
    with pytest.raises(InvalidInput, match="time zone"):
        find_slots(now, [Attendee("Mars/Olympus")], 3600, now, now + timedelta(days=1))


@pytest.fixture
def google() -> Iterator[MockServer]:
    server = MockServer()
    server.routes["/token"] = lambda _r: (200, fixture("oauth/google_token.json"), {})
    server.routes["/calendar/v3/users/me/calendarlist"] = lambda _r: (
        200, fixture("google/calendar_list.json"), {},
    )

    def events(request: Request):  # type: ignore[no-untyped-def]
        if not request.path.endswith("/events"):
            return 404, {"error": {"code": 404, "message": "Not Found"}}, {}
        if request.method == "GET":
            return 200, {"kind": "calendar#events", "items": []}, {}
        made = dict(fixture("google/event_inserted.json"))  # type: ignore[arg-type]
        for key in ("summary", "start", "end", "location"):
            made.pop(key, None)
            if key in request.body:
                made[key] = request.body[key]
        return 200, made, {}

    server.fallback = events
    yield server
    server.close()


def _accounts(store: Store, server: MockServer) -> CalendarAccounts:
    return CalendarAccounts(
        store,
        public_url="https://fa.example.org",
        google=("1234.apps.googleusercontent.com", "app-secret"),
        endpoints={
            "google_auth": server.url + "/auth",
            "google_token": server.url + "/token",
            "google_api": server.url,
        },
    )


async def test_google_sign_in_then_the_assistant_adds_a_confirmed_event(
    store: Store, ana: Member, google: MockServer
) -> None:
    calendars = _accounts(store, google)
    assert "app-secret" not in repr(calendars)
    link = await calendars.start_sign_in(ana, "google")
    assert link.url.startswith("https://fa.example.org/oauth/google/start?state=")
    state = parse_qs(urlparse(link.url).query)["state"][0]
    to_google = await calendars.authorization_url("google", state)
    query = parse_qs(urlparse(to_google).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [state]

    connected = await calendars.finish_sign_in("google", state, "4/0AeanS0b-code")
    assert connected.status is IntegrationStatus.ACTIVE
    (exchange,) = google.calls("/token")
    assert "code_verifier=" in exchange.body and "grant_type=authorization_code" in exchange.body
    with pytest.raises(InvalidInput, match="already used"):
        await calendars.finish_sign_in("google", state, "4/0AeanS0b-code")
    (info,) = [c for c in await calendars.connections(ana) if c.id == connected.id]
    assert info.settings["default_calendar"] == "ana@example.com"
    names = [c.name for c in await calendars.calendars(ana, connected)]
    assert "Family" in names

    model = Model.scripted([
        {"calls": [{"name": "create_event", "arguments": {"title": "Dentist", "when": "thursday at 4pm"}}]},
        {"text": "Shall I?"},
    ])
    assistant = Assistant(store, model=model, calendars=calendars)
    assert {"calendar_events", "find_free_time", "create_event", "move_event", "cancel_event"} <= set(assistant.tool_names)
    reply = await assistant.ask(ana, "dentist thursday at 4pm")
    (action,) = reply.pending
    # Friday 27 March 09:00 in Berlin now; Thursday is 2 April, after the clocks went forward.
    assert action.summary == "Add to Google Calendar (ana@example.com): Dentist, Thu 2 Apr 16:00–17:00"
    assert [r for r in google.requests if r.method == "POST" and r.path.endswith("/events")] == []
    done = await assistant.confirm(ana, action)
    assert "Added in Google Calendar: Thu 2 Apr 16:00–17:00 Dentist." in done.text
    assert "Open it: https://www.google.com/calendar/event?eid=" in done.text
    (insert,) = [r for r in google.requests if r.method == "POST" and r.path.endswith("/events")]
    assert insert.body["start"] == {"dateTime": "2026-04-02T16:00:00+02:00", "timeZone": "Europe/Berlin"}


async def test_a_refused_sign_in_changes_nothing(store: Store, ana: Member, google: MockServer) -> None:
    calendars = _accounts(store, google)
    with pytest.raises(InvalidInput, match="sign-in link"):
        await calendars.finish_sign_in("google", "not-a-state", "code")
    with pytest.raises(InvalidInput, match="provider"):
        await calendars.start_sign_in(ana, "yahoo")
    unconfigured = CalendarAccounts(store)
    with pytest.raises(InvalidInput, match="calendar.public_url"):
        await unconfigured.start_sign_in(ana, "microsoft")
    assert await calendars.connections(ana) == []


def _caldav() -> List[str]:
    url = os.environ.get("FA_TEST_CALDAV_URL")
    if not url:
        if os.environ.get("FA_TEST_REQUIRE_CALDAV"):
            raise RuntimeError("FA_TEST_REQUIRE_CALDAV is set but FA_TEST_CALDAV_URL is not")
        pytest.skip("FA_TEST_CALDAV_URL is not set")
    user, password = os.environ["FA_TEST_CALDAV_USERS"].split(",")[0].split(":", 1)
    return [url, user, password]


async def test_caldav_connects_creates_and_caches_busy_time(store: Store, ana: Member) -> None:
    url, user, password = _caldav()
    calendars = CalendarAccounts(store)
    with pytest.raises(Unauthorized):
        await calendars.connect_caldav(ana, url, user, "wrong")
    assert await calendars.connections(ana) == []
    connection = await calendars.connect_caldav(ana, url, user, password, label="Radicale")
    assert connection.provider == "caldav" and connection.integration.label == "Radicale"
    # A calendar of this test's own, made on the server, becomes the default.
    own = await calendars.make_calendar(ana, connection.integration, f"Family {uuid.uuid4().hex[:6]}")
    assert own.name.startswith("Family ") and not own.read_only

    start = datetime(2026, 4, 2, 14, 0, tzinfo=timezone.utc)
    made = await calendars.create_event(
        ana, connection.integration, "Dentist", start, start + timedelta(hours=1), location="Hauptstraße 5"
    )
    assert made.summary == "Dentist" and made.etag
    events = await calendars.events(ana, start - timedelta(hours=2), start + timedelta(hours=2))
    assert [(e.summary, e.start) for e in events] == [("Dentist", start)]
    report = await calendars.sync(ana, days=31)
    assert (report.synced, report.intervals, report.failed) == (1, 1, [])
    # Deleted at the server behind fa's back: a fresh cache still answers, a live read does not.
    _delete(made.id, user, password)
    day = (start - timedelta(days=1), start + timedelta(days=1))
    cached = await calendars.busy(ana, *day)
    assert cached.intervals == [Interval(start, start + timedelta(hours=1))]
    assert (cached.stale, cached.unread) == ([], [])
    live = await calendars.busy(ana, *day, max_age=0)
    assert live.intervals == []


def _delete(url: str, user: str, password: str) -> None:
    """DELETE on the CalDAV server directly, as another client would."""
    import base64
    import urllib.request

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, method="DELETE", headers={"Authorization": f"Basic {token}"})
    urllib.request.urlopen(request).close()
