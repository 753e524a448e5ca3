//! CalDAV against Radicale (a real CalDAV server) on loopback, with htpasswd accounts:
//! discovery, calendars, events in a range (a recurring series across DST expanded), create,
//! update and delete guarded by ETags, and wrong passwords. Runs when `FA_TEST_CALDAV_URL` is
//! set (scripts/test starts Radicale and sets it, with the accounts in `FA_TEST_CALDAV_USERS`
//! as `user:password,…`); with `FA_TEST_REQUIRE_CALDAV` set, a missing URL fails.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use fa_calendar::caldav::CalDavCalendar;
use fa_core::Secret;
use fa_core::calendar::{Calendar, EventDraft};
use fa_core::connector::ConnectorErrorKind;

fn server() -> Option<(String, String, String)> {
    match std::env::var("FA_TEST_CALDAV_URL") {
        Ok(url) if !url.is_empty() => {
            let users = std::env::var("FA_TEST_CALDAV_USERS").expect("FA_TEST_CALDAV_USERS");
            let (user, password) = users
                .split(',')
                .next()
                .and_then(|u| u.split_once(':'))
                .expect("user:password");
            Some((url, user.to_owned(), password.to_owned()))
        }
        _ if std::env::var_os("FA_TEST_REQUIRE_CALDAV").is_some() => {
            panic!("FA_TEST_REQUIRE_CALDAV is set but FA_TEST_CALDAV_URL is not")
        }
        _ => None,
    }
}

fn berlin() -> Tz {
    "Europe/Berlin".parse().unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A fresh calendar of the test account's.
async fn fresh() -> Option<(CalDavCalendar, String, String)> {
    let Some((url, user, password)) = server() else {
        eprintln!("skipped: FA_TEST_CALDAV_URL is not set");
        return None;
    };
    let calendar = CalDavCalendar::discover(&url, &user, Secret::new(password), berlin())
        .await
        .unwrap();
    let slug = format!("t{}", uuid::Uuid::now_v7().simple());
    let info = calendar
        .make_calendar(&slug, "Family & friends")
        .await
        .unwrap();
    Some((calendar, info.id, url))
}

#[tokio::test]
async fn discovery_finds_the_home_and_the_calendars() {
    let Some((calendar, id, _)) = fresh().await else {
        return;
    };
    assert!(calendar.home().ends_with("/"), "{}", calendar.home());
    let calendars = calendar.calendars().await.unwrap();
    let made = calendars
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} in {calendars:?}"));
    assert_eq!(made.name, "Family & friends");
    assert!(!made.read_only);
}

#[tokio::test]
async fn an_event_is_created_changed_and_deleted_only_at_the_version_read() {
    let Some((calendar, id, _)) = fresh().await else {
        return;
    };
    let start = utc("2026-03-26T15:00:00Z");
    let draft = EventDraft::new("Dentist", start, start + Duration::hours(1), berlin())
        .location("Hauptstraße 5");
    let created = calendar.create(&id, &draft).await.unwrap();
    let first_etag = created.etag.clone().expect("an ETag");
    let listed = calendar
        .events(
            &id,
            utc("2026-03-26T00:00:00Z"),
            utc("2026-03-27T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].summary.as_str(), listed[0].start, listed[0].end),
        ("Dentist", start, start + Duration::hours(1))
    );
    assert_eq!(listed[0].location.as_deref(), Some("Hauptstraße 5"));
    assert_eq!(listed[0].etag.as_deref(), Some(first_etag.as_str()));

    let moved = EventDraft::new(
        "Dentist",
        start + Duration::hours(1),
        start + Duration::hours(2),
        berlin(),
    );
    let updated = calendar
        .update(&id, &created.id, Some(&first_etag), &moved)
        .await
        .unwrap();
    assert_ne!(updated.etag.as_deref(), Some(first_etag.as_str()));

    // Someone holding the first version tries to change it: refused, nothing overwritten.
    let stale = EventDraft::new(
        "Dentist (stale)",
        start,
        start + Duration::hours(1),
        berlin(),
    );
    let conflict = calendar
        .update(&id, &created.id, Some(&first_etag), &stale)
        .await
        .unwrap_err();
    assert_eq!(conflict.kind, ConnectorErrorKind::Conflict, "{conflict}");
    assert!(conflict.message.contains("read it again"), "{conflict}");
    let now = calendar
        .events(
            &id,
            utc("2026-03-26T00:00:00Z"),
            utc("2026-03-27T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        (now[0].summary.as_str(), now[0].start),
        ("Dentist", start + Duration::hours(1))
    );

    let refused = calendar
        .delete(&id, &created.id, Some(&first_etag))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ConnectorErrorKind::Conflict);
    calendar
        .delete(&id, &created.id, updated.etag.as_deref())
        .await
        .unwrap();
    assert!(
        calendar
            .events(
                &id,
                utc("2026-03-26T00:00:00Z"),
                utc("2026-03-27T00:00:00Z")
            )
            .await
            .unwrap()
            .is_empty()
    );
    let gone = calendar.delete(&id, &created.id, None).await.unwrap_err();
    assert_eq!(gone.kind, ConnectorErrorKind::NotFound);
}

#[tokio::test]
async fn a_recurring_series_is_expanded_across_dst_with_its_exceptions() {
    let Some((calendar, id, url)) = fresh().await else {
        return;
    };
    let (_, user, password) = server().unwrap();
    // A weekly series as Apple Calendar writes it, with an EXDATE and a moved instance.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 15.0//EN\r\n\
BEGIN:VEVENT\r\nUID:swim@example.com\r\nDTSTAMP:20260301T000000Z\r\n\
DTSTART;TZID=Europe/Berlin:20260319T180000\r\nDTEND;TZID=Europe/Berlin:20260319T190000\r\n\
RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Berlin:20260402T180000\r\nSUMMARY:Swimming\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:swim@example.com\r\nDTSTAMP:20260301T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260409T180000\r\n\
DTSTART;TZID=Europe/Berlin:20260410T170000\r\nDTEND;TZID=Europe/Berlin:20260410T180000\r\nSUMMARY:Swimming (Friday)\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
    let target = reqwest::Url::parse(&url)
        .unwrap()
        .join(&format!("{id}swim.ics"))
        .unwrap();
    let put = reqwest::Client::new()
        .put(target)
        .basic_auth(&user, Some(&password))
        .header("Content-Type", "text/calendar")
        .body(ics)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let events = calendar
        .events(
            &id,
            utc("2026-03-01T00:00:00Z"),
            utc("2026-05-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let got: Vec<(String, DateTime<Utc>)> = events
        .iter()
        .map(|e| (e.summary.clone(), e.start))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Swimming".to_owned(), utc("2026-03-19T17:00:00Z")), // CET
            ("Swimming".to_owned(), utc("2026-03-26T17:00:00Z")),
            ("Swimming (Friday)".to_owned(), utc("2026-04-10T15:00:00Z")), // CEST
        ]
    );
    // Busy time for the slot finder comes from the same expansion.
    let busy = calendar
        .busy(
            std::slice::from_ref(&id),
            utc("2026-03-25T00:00:00Z"),
            utc("2026-03-27T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        busy,
        vec![(utc("2026-03-26T17:00:00Z"), utc("2026-03-26T18:00:00Z"))]
    );
}

#[tokio::test]
async fn a_wrong_password_is_unauthorized_and_says_what_to_check() {
    let Some((url, user, _)) = server() else {
        eprintln!("skipped: FA_TEST_CALDAV_URL is not set");
        return;
    };
    let refused = CalDavCalendar::discover(&url, &user, Secret::new("wrong"), berlin())
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ConnectorErrorKind::Unauthorized, "{refused}");
    assert!(
        refused.message.contains("app-specific password"),
        "{refused}"
    );
    assert!(!refused.message.contains("wrong"));
}
