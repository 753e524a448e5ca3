//! Microsoft Graph on a wiremock server whose bodies follow Microsoft's Graph reference
//! (tests/fixtures/graph/SOURCES.md): calendars, calendarView over two pages with a moved and a
//! cancelled occurrence, create in a Windows-named zone, an ETag conflict, getSchedule, errors.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use fa_calendar::outlook::{FixedToken, OutlookCalendar};
use fa_core::Secret;
use fa_core::calendar::{Calendar, EventDraft};
use fa_core::connector::ConnectorErrorKind;
use wiremock::matchers::{
    body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str, base: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/graph/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("{base}", base);
    serde_json::from_str(&text).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn graph() -> (MockServer, OutlookCalendar) {
    let server = MockServer::start().await;
    let calendar = OutlookCalendar::with_base(
        server.uri(),
        Arc::new(FixedToken(Secret::new("eyJ0eXAi.test"))),
    )
    .viewer("Europe/Berlin".parse().unwrap());
    (server, calendar)
}

#[tokio::test]
async fn calendars_say_which_can_be_written() {
    let (server, outlook) = graph().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendars"))
        .and(header("Authorization", "Bearer eyJ0eXAi.test"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("calendars.json", &server.uri())),
        )
        .mount(&server)
        .await;
    let calendars = outlook.calendars().await.unwrap();
    let got: Vec<(&str, &str, bool)> = calendars
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.read_only))
        .collect();
    assert_eq!(
        got,
        [
            ("AAMkAGI2TGuLAAA=", "Calendar", false),
            ("AAMkAGI2TGuLBBB=", "Birthdays", true)
        ]
    );
}

#[tokio::test]
async fn the_calendar_view_over_two_pages_without_the_cancelled_occurrence() {
    let (server, outlook) = graph().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendars/AAMkAGI2TGuLAAA=/calendarView"))
        .and(query_param("startDateTime", "2026-03-16T00:00:00+00:00"))
        .and(query_param_is_missing("$skip"))
        .and(header("Prefer", "outlook.timezone=\"UTC\""))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("calendar_view_page1.json", &server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendars/AAMkAGI2TGuLAAA=/calendarView"))
        .and(query_param("$skip", "3"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("calendar_view_page2.json", &server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    let events = outlook
        .events(
            "AAMkAGI2TGuLAAA=",
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
            ("Football training", utc("2026-03-17T17:00:00Z"), true),
            (
                "Football training (pitch moved)",
                utc("2026-03-25T17:00:00Z"),
                true
            ),
            // All-day, read on Berlin's clock, and marked free.
            ("Easter holidays", utc("2026-04-02T22:00:00Z"), false),
        ]
    );
    assert_eq!(events[1].recurrence_id, Some(utc("2026-03-24T17:00:00Z")));
    assert_eq!(events[1].location.as_deref(), Some("Halle Nord"));
    assert_eq!(
        events[1].etag.as_deref(),
        Some("W/\"nfZyf7VcrEKLNoU37KWlkQAAA0x0+1==\"")
    );
    assert!(events[2].all_day && events[2].location.is_none());
}

#[tokio::test]
async fn create_in_the_members_zone_and_a_stale_change_is_a_conflict() {
    let (server, outlook) = graph().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/me/calendars/AAMkAGI2TGuLAAA=/events"))
        .and(body_partial_json(serde_json::json!({
            "subject": "Dentist",
            "start": { "dateTime": "2026-03-26T16:00:00", "timeZone": "Europe/Berlin" },
            "end": { "dateTime": "2026-03-26T17:00:00", "timeZone": "Europe/Berlin" },
            "location": { "displayName": "Hauptstraße 5" },
            "isAllDay": false
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture("event_created.json", &server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/me/events/AAMkAGI2TGuLNew5"))
        .and(header("If-Match", "W/\"stale\""))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(fixture("error_conflict.json", &server.uri())),
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
    let created = outlook.create("AAMkAGI2TGuLAAA=", &draft).await.unwrap();
    // Graph answered in "W. Europe Standard Time": the same instants.
    assert_eq!(
        (created.start, created.end),
        (utc("2026-03-26T15:00:00Z"), utc("2026-03-26T16:00:00Z"))
    );
    assert_eq!(created.id, "AAMkAGI2TGuLNew5");
    let conflict = outlook
        .update("AAMkAGI2TGuLAAA=", &created.id, Some("W/\"stale\""), &draft)
        .await
        .unwrap_err();
    assert_eq!(conflict.kind, ConnectorErrorKind::Conflict);
    assert!(
        conflict.message.contains("ErrorIrresolvableConflict")
            && conflict.message.contains("read it again")
    );
}

#[tokio::test]
async fn get_schedule_gives_busy_time_by_mailbox() {
    let (server, outlook) = graph().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/me/calendar/getSchedule"))
        .and(body_partial_json(serde_json::json!({ "schedules": ["ben@contoso.com"], "startTime": { "dateTime": "2026-03-23T00:00:00", "timeZone": "UTC" } })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("get_schedule.json", &server.uri())))
        .mount(&server)
        .await;
    let schedules = outlook
        .schedules(
            &["ben@contoso.com".to_owned()],
            utc("2026-03-23T00:00:00Z"),
            utc("2026-03-24T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        schedules,
        [(
            "ben@contoso.com".to_owned(),
            vec![(utc("2026-03-23T16:00:00Z"), utc("2026-03-23T17:00:00Z"))]
        )]
    );
}

#[tokio::test]
async fn an_expired_token_and_throttling_by_kind() {
    let (server, outlook) = graph().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendars"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(fixture("error_token_expired.json", &server.uri())),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendars"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "12")
                .set_body_json(fixture("error_throttled.json", &server.uri())),
        )
        .mount(&server)
        .await;
    let expired = outlook.calendars().await.unwrap_err();
    assert_eq!(expired.kind, ConnectorErrorKind::Unauthorized);
    assert!(
        expired.message.contains("InvalidAuthenticationToken")
            && !expired.message.contains("eyJ0eXAi")
    );
    let throttled = outlook.calendars().await.unwrap_err();
    assert_eq!(
        throttled.kind,
        ConnectorErrorKind::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(12))
        }
    );
}
