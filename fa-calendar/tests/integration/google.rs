//! Google Calendar on a wiremock server whose bodies follow Google's API reference
//! (tests/fixtures/google/SOURCES.md): the calendar list, expanded instances with a moved and a
//! cancelled one over two pages, insert, an ETag conflict, free/busy, and errors by kind.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use fa_calendar::google::{FixedToken, GoogleCalendar};
use fa_core::Secret;
use fa_core::calendar::{Calendar, EventDraft};
use fa_core::connector::ConnectorErrorKind;
use wiremock::matchers::{
    body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/google/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn google() -> (MockServer, GoogleCalendar) {
    let server = MockServer::start().await;
    let calendar = GoogleCalendar::with_base(
        server.uri(),
        Arc::new(FixedToken(Secret::new("ya29.test-token"))),
    )
    .viewer("Europe/Berlin".parse().unwrap());
    (server, calendar)
}

#[tokio::test]
async fn the_calendar_list_says_which_calendars_can_be_written() {
    let (server, google) = google().await;
    Mock::given(method("GET"))
        .and(path("/calendar/v3/users/me/calendarList"))
        .and(header("Authorization", "Bearer ya29.test-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("calendar_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    let calendars = google.calendars().await.unwrap();
    let summary: Vec<(&str, &str, bool)> = calendars
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.read_only))
        .collect();
    assert_eq!(
        summary,
        [
            ("ana@example.com", "ana@example.com", false),
            (
                "family01234567890abcdef@group.calendar.google.com",
                "Family",
                false
            ),
            (
                "de.german#holiday@group.v.calendar.google.com",
                "Feiertage",
                true
            ),
        ]
    );
}

#[tokio::test]
async fn instances_over_two_pages_with_a_moved_and_a_cancelled_one() {
    let (server, google) = google().await;
    Mock::given(method("GET"))
        .and(path("/calendar/v3/calendars/ana@example.com/events"))
        .and(query_param("singleEvents", "true"))
        .and(query_param("timeMin", "2026-03-16T00:00:00+00:00"))
        .and(query_param_is_missing("pageToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("events_page1.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/calendar/v3/calendars/ana@example.com/events"))
        .and(query_param("pageToken", "CigKGjRwdWI3ZHJ0Y2JjNG0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("events_page2.json")))
        .expect(1)
        .mount(&server)
        .await;
    let events = google
        .events(
            "ana@example.com",
            utc("2026-03-16T00:00:00Z"),
            utc("2026-04-13T00:00:00Z"),
        )
        .await
        .unwrap();
    let got: Vec<(&str, DateTime<Utc>, bool)> = events
        .iter()
        .map(|e| (e.summary.as_str(), e.start, e.busy))
        .collect();
    assert_eq!(
        got,
        [
            ("Stand-up", utc("2026-03-16T08:00:00Z"), true),
            ("Stand-up (moved)", utc("2026-03-23T10:30:00Z"), true),
            // 30 March cancelled; the Easter holidays are all-day (Berlin midnight) and free.
            ("Easter holidays", utc("2026-04-02T22:00:00Z"), false),
            ("Stand-up", utc("2026-04-06T07:00:00Z"), true),
        ]
    );
    let moved = &events[1];
    assert_eq!(moved.recurrence_id, Some(utc("2026-03-23T08:00:00Z")));
    assert_eq!(moved.etag.as_deref(), Some("\"3422116400000001\""));
    assert!(
        moved
            .link
            .as_deref()
            .unwrap()
            .starts_with("https://www.google.com/calendar/event?eid=")
    );
    assert!(events[2].all_day && events[2].end == utc("2026-04-06T22:00:00Z"));
}

#[tokio::test]
async fn insert_then_a_stale_patch_is_a_conflict() {
    let (server, google) = google().await;
    Mock::given(method("POST"))
        .and(path("/calendar/v3/calendars/ana@example.com/events"))
        .and(body_partial_json(serde_json::json!({
            "summary": "Dentist",
            "location": "Hauptstraße 5",
            "start": { "dateTime": "2026-03-26T16:00:00+01:00", "timeZone": "Europe/Berlin" },
            "end": { "dateTime": "2026-03-26T17:00:00+01:00", "timeZone": "Europe/Berlin" }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("event_inserted.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(
            "/calendar/v3/calendars/ana@example.com/events/fa0dentist0k9n2q5s8v1y4b7e",
        ))
        .and(header("If-Match", "\"old-etag\""))
        .respond_with(
            ResponseTemplate::new(412).set_body_json(fixture("error_precondition_failed.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let berlin = "Europe/Berlin".parse().unwrap();
    let draft = EventDraft::new(
        "Dentist",
        utc("2026-03-26T15:00:00Z"),
        utc("2026-03-26T16:00:00Z"),
        berlin,
    )
    .location("Hauptstraße 5");
    let created = google.create("ana@example.com", &draft).await.unwrap();
    assert_eq!(created.id, "fa0dentist0k9n2q5s8v1y4b7e");
    assert_eq!(
        (created.start, created.end),
        (utc("2026-03-26T15:00:00Z"), utc("2026-03-26T16:00:00Z"))
    );
    assert!(created.link.is_some());
    let conflict = google
        .update("ana@example.com", &created.id, Some("\"old-etag\""), &draft)
        .await
        .unwrap_err();
    assert_eq!(conflict.kind, ConnectorErrorKind::Conflict, "{conflict}");
    assert!(conflict.message.contains("read it again"));
}

#[tokio::test]
async fn free_busy_merges_calendars() {
    let (server, google) = google().await;
    Mock::given(method("POST"))
        .and(path("/calendar/v3/freeBusy"))
        .and(body_partial_json(serde_json::json!({ "items": [{ "id": "ana@example.com" }, { "id": "family01234567890abcdef@group.calendar.google.com" }] })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("freebusy.json")))
        .mount(&server)
        .await;
    let busy = google
        .busy(
            &[
                "ana@example.com".to_owned(),
                "family01234567890abcdef@group.calendar.google.com".to_owned(),
            ],
            utc("2026-03-23T00:00:00Z"),
            utc("2026-03-24T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        busy,
        [
            (utc("2026-03-23T08:00:00Z"), utc("2026-03-23T09:00:00Z")),
            (utc("2026-03-23T12:00:00Z"), utc("2026-03-23T13:30:00Z")),
            (utc("2026-03-23T16:00:00Z"), utc("2026-03-23T17:00:00Z")),
        ]
    );
}

#[tokio::test]
async fn errors_come_back_by_kind_and_without_the_token() {
    let (server, google) = google().await;
    Mock::given(method("GET"))
        .and(path("/calendar/v3/users/me/calendarList"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(fixture("error_invalid_credentials.json")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/calendar/v3/users/me/calendarList"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("Retry-After", "7")
                .set_body_json(fixture("error_rate_limit.json")),
        )
        .mount(&server)
        .await;
    let unauthorized = google.calendars().await.unwrap_err();
    assert_eq!(unauthorized.kind, ConnectorErrorKind::Unauthorized);
    assert!(
        unauthorized.message.contains("Invalid Credentials")
            && unauthorized
                .message
                .contains("connect the Google account again")
    );
    assert!(!unauthorized.message.contains("ya29"));
    let limited = google.calendars().await.unwrap_err();
    assert_eq!(
        limited.kind,
        ConnectorErrorKind::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(7))
        }
    );
}

#[tokio::test]
async fn incremental_sync_applies_changes_and_a_410_falls_back_to_a_full_sync() {
    let (server, google) = google().await;
    let events = "/calendar/v3/calendars/ana@example.com/events";
    // The stored token has expired at Google: 410 Gone, full sync required.
    Mock::given(method("GET"))
        .and(path(events))
        .and(query_param(
            "syncToken",
            "CKiSuYyDx70CEKiSuYyDx70CGAU=-expired",
        ))
        .respond_with(
            ResponseTemplate::new(410).set_body_json(fixture("error_full_sync_required.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The full sync: two pages, the token on the last.
    Mock::given(method("GET"))
        .and(path(events))
        .and(query_param_is_missing("syncToken"))
        .and(query_param_is_missing("pageToken"))
        .and(query_param("singleEvents", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("events_page1.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(events))
        .and(query_param_is_missing("syncToken"))
        .and(query_param("pageToken", "CigKGjRwdWI3ZHJ0Y2JjNG0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("events_page2.json")))
        .expect(1)
        .mount(&server)
        .await;
    let full = google
        .changes(
            "ana@example.com",
            Some("CKiSuYyDx70CEKiSuYyDx70CGAU=-expired"),
        )
        .await
        .unwrap();
    assert!(full.full);
    // The token of the full sync's last page, not the expired one.
    assert_eq!(full.sync_token, "CPDAlvWDx70CEPDAlvWDx70CGAU=");
    assert!(!full.changed.is_empty());
    assert!(full.changed.iter().all(|e| !e.summary.is_empty()));

    // The next round with a fresh token: one event changed, one deleted.
    Mock::given(method("GET"))
        .and(path(events))
        .and(query_param(
            "syncToken",
            "CNDQ7a2Ex70CENDQ7a2Ex70CGAU=-previous",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("events_incremental.json")))
        .expect(1)
        .mount(&server)
        .await;
    let delta = google
        .changes(
            "ana@example.com",
            Some("CNDQ7a2Ex70CENDQ7a2Ex70CGAU=-previous"),
        )
        .await
        .unwrap();
    assert!(!delta.full);
    assert_eq!(delta.sync_token, "CNDQ7a2Ex70CENDQ7a2Ex70CGAU=");
    assert_eq!(delta.removed, ["0ld0lunch0k9n2q5s8v1y4b7e"]);
    let moved: Vec<(&str, DateTime<Utc>)> = delta
        .changed
        .iter()
        .map(|e| (e.summary.as_str(), e.start))
        .collect();
    assert_eq!(moved, [("Dentist (moved)", utc("2026-03-27T09:00:00Z"))]);
}
