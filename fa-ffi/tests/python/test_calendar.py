"""Calendars through the generated bindings: the slot finder; Google sign-in, events and the
assistant's calendar tools against a loopback mock of Google (bodies from fa-calendar's cited
fixtures, fa-calendar/tests/fixtures/*/SOURCES.md); CalDAV on Radicale when FA_TEST_CALDAV_URL
is set."""

import json
import os
import threading
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Tuple
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import START, family, open_test_store, scope
from fa_uniffi import fa_core, fa_ffi

FIXTURES = Path(__file__).resolve().parents[3] / "fa-calendar" / "tests" / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_free_slots_avoid_busy_time_and_keep_to_hours() -> None:
    busy = fa_ffi.TimeSpan(start=utc("2026-12-04T08:00:00Z"), end=utc("2026-12-04T15:00:00Z"))
    ann = fa_ffi.SlotAttendee(timezone="Europe/Berlin", busy=[busy], from_hour=8, to_hour=20, weekdays_only=False)
    search = fa_ffi.SlotSearch(
        duration=timedelta(hours=1), window_start=utc("2026-12-04T00:00:00Z"),
        window_end=utc("2026-12-05T00:00:00Z"), buffer_before=None, buffer_after=timedelta(minutes=15),
        min_notice=None, limit=10, per_day=0,
    )
    slots = fa_ffi.find_free_slots(START, [ann], search)
    assert slots
    for slot in slots:
        assert slot.end - slot.start == timedelta(hours=1)
        # 08:00-20:00 Berlin is 07:00-19:00 UTC in December; busy 08:00-15:00 UTC plus the
        # 15-minute buffer after the slot.
        assert slot.start >= utc("2026-12-04T07:00:00Z") and slot.end <= utc("2026-12-04T19:00:00Z")
        assert slot.end + timedelta(minutes=15) <= busy.start or slot.start >= busy.end
    with pytest.raises(fa_core.FaError.InvalidInput):
        fa_ffi.find_free_slots(START, [fa_ffi.SlotAttendee(
            timezone="Europe/Berlin", busy=[], from_hour=30, to_hour=20, weekdays_only=False)], search)


Seen = List[Tuple[str, str, bytes]]


@pytest.fixture
def google() -> Iterator[Tuple[str, Seen]]:
    """The token endpoint and the Calendar API on loopback."""
    seen: Seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.split("?", 1)[0]
            seen.append((self.command, path, body))
            status, answer = 404, {"error": {"code": 404, "message": "Not Found"}}
            if path == "/token":
                status, answer = 200, fixture("oauth/google_token.json")
            elif path == "/calendar/v3/users/me/calendarList":
                status, answer = 200, fixture("google/calendar_list.json")
            elif path.endswith("/events") and self.command == "GET":
                status, answer = 200, {"kind": "calendar#events", "items": []}
            elif path.endswith("/events"):
                asked = json.loads(body)
                status, answer = 200, fixture("google/event_inserted.json")
                for key in ("summary", "start", "end", "location"):
                    answer.pop(key, None)
                    if key in asked:
                        answer[key] = asked[key]
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


async def test_google_sign_in_then_the_assistant_adds_a_confirmed_event(google: Tuple[str, Seen]) -> None:
    url, seen = google
    store = await open_test_store()
    ann = await family(store)
    apps = fa_ffi.CalendarAppSettings(
        public_url="https://fa.example.org", google_client_id="1234.apps.googleusercontent.com",
        google_auth_url=url + "/auth", google_token_url=url + "/token", google_api_url=url,
    )
    calendars = fa_ffi.CalendarAccounts(store, apps, google_client_secret=fa_ffi.SecretText("app-secret"))
    # The secret is in neither the settings record nor the object's printed forms.
    for shown in (str(apps), repr(apps), str(calendars), repr(calendars)):
        assert "app-secret" not in shown
    link = await calendars.start_sign_in(scope(ann), "google")
    state = parse_qs(urlparse(link.url).query)["state"][0]
    to_google = await calendars.authorization_url("google", state)
    assert parse_qs(urlparse(to_google).query)["code_challenge_method"] == ["S256"]
    connected = await calendars.finish_sign_in("google", state, "4/0AeanS0b-code")
    assert connected.status == fa_core.IntegrationStatus.ACTIVE
    with pytest.raises(fa_core.FaError.InvalidInput, match="already used"):
        await calendars.finish_sign_in("google", state, "4/0AeanS0b-code")
    listed = await calendars.calendars(scope(ann), connected.id)
    assert "Family" in [c.name for c in listed]

    call = fa_core.ToolCall(
        id="c1", name="create_event", arguments=json.dumps({"title": "Dentist", "when": "tomorrow at 4pm"})
    )
    model = fa_ffi.Model.scripted([fa_core.ScriptedReply.CALLS([call]), fa_core.ScriptedReply.TEXT("Shall I?")], False)
    assistant = fa_ffi.Assistant(store, None, model, None)
    assistant.add_calendar_tools(calendars)
    reply = await assistant.ask(ann, "dentist tomorrow at 4pm", None, None)
    (action,) = reply.pending
    # Now is Thu 3 Dec 09:00 in Berlin.
    assert action.summary == "Add to Google Calendar (ana@example.com): Dentist, Fri 4 Dec 16:00–17:00"
    assert not [s for s in seen if s[0] == "POST" and s[1].endswith("/events")]
    done = await assistant.confirm(scope(ann), action.id)
    assert "Added in Google Calendar: Fri 4 Dec 16:00–17:00 Dentist." in done.text
    (insert,) = [s for s in seen if s[0] == "POST" and s[1].endswith("/events")]
    assert json.loads(insert[2])["start"] == {"dateTime": "2026-12-04T16:00:00+01:00", "timeZone": "Europe/Berlin"}


async def test_caldav_connects_creates_and_caches_busy_time() -> None:
    url = os.environ.get("FA_TEST_CALDAV_URL")
    if not url:
        if os.environ.get("FA_TEST_REQUIRE_CALDAV"):
            pytest.fail("FA_TEST_REQUIRE_CALDAV is set but FA_TEST_CALDAV_URL is not")
        pytest.skip("FA_TEST_CALDAV_URL is not set")
    user, password = os.environ["FA_TEST_CALDAV_USERS"].split(",")[0].split(":", 1)
    store = await open_test_store()
    ann = await family(store)
    calendars = fa_ffi.CalendarAccounts(store, fa_ffi.CalendarAppSettings(), None, None)
    with pytest.raises(fa_core.FaError.Auth):
        await calendars.connect_caldav(scope(ann), url, user, "wrong", "Radicale")
    connection = await calendars.connect_caldav(scope(ann), url, user, password, "Radicale")
    assert connection.provider == "caldav"
    own = await calendars.make_calendar(scope(ann), connection.integration.id, f"Family {uuid.uuid4().hex[:6]}")
    assert not own.read_only
    start = utc("2026-12-04T15:00:00Z")
    made = await calendars.create_event(
        scope(ann), connection.integration.id, "Dentist", start, start + timedelta(hours=1), "Hauptstraße 5"
    )
    assert made.etag and made.location == "Hauptstraße 5"
    events = await calendars.events(scope(ann), start - timedelta(hours=1), start + timedelta(hours=2))
    assert [(e.summary, e.start) for e in events] == [("Dentist", start)]
    report = await calendars.sync(scope(ann), 31)
    assert (report.synced, report.intervals) == (1, 1)
    # Deleted at the server behind fa's back: a fresh cache still answers, a live read does not.
    import base64
    import urllib.request

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    urllib.request.urlopen(urllib.request.Request(
        made.id, method="DELETE", headers={"Authorization": f"Basic {token}"})).close()
    day = (start - timedelta(days=1), start + timedelta(days=1))
    cached = await calendars.busy(scope(ann), *day, timedelta(hours=6))
    assert cached.intervals == [fa_ffi.TimeSpan(start=start, end=start + timedelta(hours=1))]
    live = await calendars.busy(scope(ann), *day, timedelta(0))
    assert live.intervals == []
