//! iCalendar objects shaped as Google Calendar, Apple (iCloud) and Outlook export them, and as
//! RFC 5545 writes them (3.8.5.3 RRULE, 3.8.4.4 RECURRENCE-ID with RANGE=THISANDFUTURE, 3.8.5.1
//! EXDATE, 3.8.5.2 RDATE, 3.3.5 DATE-TIME forms), expanded across the DST changes of
//! Europe/Berlin (29 March and 25 October 2026) and America/New_York (8 March and 1 November
//! 2026).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use fa_calendar::{Interval, Occurrence, expand, parse_calendar};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn berlin() -> Tz {
    "Europe/Berlin".parse().unwrap()
}

fn calendar(events: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n{}END:VCALENDAR\r\n",
        events.replace('\n', "\r\n")
    )
}

fn occurrences(ics: &str, from: &str, to: &str, viewer: Tz) -> Vec<Occurrence> {
    let parsed = parse_calendar(ics).unwrap();
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    let expansion = expand(&parsed.events, Interval::new(utc(from), utc(to)), viewer);
    assert!(expansion.skipped.is_empty(), "{:?}", expansion.skipped);
    expansion.occurrences
}

fn starts(list: &[Occurrence]) -> Vec<String> {
    list.iter()
        .map(|o| o.start.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

#[test]
fn a_weekly_meeting_keeps_its_wall_clock_across_the_spring_change_with_exdate_and_a_moved_instance()
{
    let ics = calendar(
        "BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260316T090000
DTEND;TZID=Europe/Berlin:20260316T100000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Berlin:20260406T090000
UID:standup@example.com
SUMMARY:Stand-up
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260414T143000
DTEND;TZID=Europe/Berlin:20260414T153000
RECURRENCE-ID;TZID=Europe/Berlin:20260413T090000
UID:standup@example.com
SUMMARY:Stand-up (moved to Tuesday)
SEQUENCE:1
END:VEVENT
",
    );
    let list = occurrences(
        &ics,
        "2026-03-16T00:00:00Z",
        "2026-04-21T00:00:00Z",
        berlin(),
    );
    assert_eq!(
        starts(&list),
        [
            "2026-03-16T08:00Z", // CET, UTC+1
            "2026-03-23T08:00Z",
            "2026-03-30T07:00Z", // CEST, UTC+2: still 09:00 on the wall clock
            // 6 April removed by EXDATE
            "2026-04-14T12:30Z", // 13 April moved to Tuesday 14:30
            "2026-04-20T07:00Z",
        ]
    );
    let moved = &list[3];
    assert_eq!(moved.summary, "Stand-up (moved to Tuesday)");
    assert_eq!(moved.recurrence_id, Some(utc("2026-04-13T07:00:00Z")));
    assert!(list.iter().all(|o| o.end - o.start == Duration::hours(1)));
}

#[test]
fn a_daily_new_york_event_across_the_fall_change_with_a_cancelled_instance() {
    let ics = calendar(
        "BEGIN:VEVENT
DTSTART;TZID=America/New_York:20261030T083000
DURATION:PT45M
RRULE:FREQ=DAILY;COUNT=5
UID:school-run@example.com
SUMMARY:School run
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=America/New_York:20261101T083000
DURATION:PT45M
RECURRENCE-ID;TZID=America/New_York:20261101T083000
STATUS:CANCELLED
UID:school-run@example.com
SUMMARY:School run
END:VEVENT
",
    );
    let list = occurrences(
        &ics,
        "2026-10-29T00:00:00Z",
        "2026-11-10T00:00:00Z",
        berlin(),
    );
    assert_eq!(
        starts(&list),
        [
            "2026-10-30T12:30Z", // EDT, UTC−4
            "2026-10-31T12:30Z",
            // 1 November cancelled
            "2026-11-02T13:30Z", // EST, UTC−5: 08:30 on the wall clock
            "2026-11-03T13:30Z",
        ]
    );
    assert!(
        list.iter()
            .all(|o| o.end - o.start == Duration::minutes(45))
    );
}

#[test]
fn this_and_future_moves_every_later_instance() {
    // RFC 5545 3.8.4.4: RANGE=THISANDFUTURE changes the instance and all after it.
    let ics = calendar(
        "BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260302T100000
DTEND;TZID=Europe/Berlin:20260302T110000
RRULE:FREQ=WEEKLY;COUNT=6
UID:piano@example.com
SUMMARY:Piano lesson
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260316T113000
DTEND;TZID=Europe/Berlin:20260316T123000
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20260316T100000
UID:piano@example.com
SUMMARY:Piano lesson (new teacher)
SEQUENCE:2
END:VEVENT
",
    );
    let list = occurrences(
        &ics,
        "2026-03-01T00:00:00Z",
        "2026-05-01T00:00:00Z",
        berlin(),
    );
    assert_eq!(
        starts(&list),
        [
            "2026-03-02T09:00Z",
            "2026-03-09T09:00Z",
            "2026-03-16T10:30Z", // 11:30 CET
            "2026-03-23T10:30Z",
            "2026-03-30T09:30Z", // 11:30 CEST: the wall clock holds across the change
            "2026-04-06T09:30Z",
        ]
    );
    assert_eq!(list[1].summary, "Piano lesson");
    assert!(
        list[2..]
            .iter()
            .all(|o| o.summary == "Piano lesson (new teacher)")
    );
}

#[test]
fn all_day_and_floating_events_are_read_on_the_viewers_clock() {
    let ics = calendar(
        "BEGIN:VEVENT
DTSTART;VALUE=DATE:20000412
DTEND;VALUE=DATE:20000413
RRULE:FREQ=YEARLY
UID:birthday@example.com
SUMMARY:Ana's birthday
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20260801
DTEND;VALUE=DATE:20260815
UID:holiday@example.com
SUMMARY:Holiday
END:VEVENT
BEGIN:VEVENT
DTSTART:20260412T180000
DTEND:20260412T190000
UID:floating@example.com
SUMMARY:Dinner
END:VEVENT
",
    );
    let list = occurrences(
        &ics,
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
        berlin(),
    );
    let birthday = list
        .iter()
        .find(|o| o.uid == "birthday@example.com")
        .unwrap();
    assert_eq!(birthday.start, utc("2026-04-11T22:00:00Z")); // midnight, CEST
    assert_eq!(birthday.end, utc("2026-04-12T22:00:00Z"));
    assert!(birthday.all_day && !birthday.busy);
    let holiday = list
        .iter()
        .find(|o| o.uid == "holiday@example.com")
        .unwrap();
    assert_eq!(
        (holiday.start, holiday.end),
        (utc("2026-07-31T22:00:00Z"), utc("2026-08-14T22:00:00Z"))
    );
    let dinner = list
        .iter()
        .find(|o| o.uid == "floating@example.com")
        .unwrap();
    assert_eq!(dinner.start, utc("2026-04-12T16:00:00Z"));
    // The same floating dinner seen from New York is at 18:00 there.
    let ny: Tz = "America/New_York".parse().unwrap();
    let seen = occurrences(&ics, "2026-04-12T00:00:00Z", "2026-04-14T00:00:00Z", ny);
    let dinner = seen
        .iter()
        .find(|o| o.uid == "floating@example.com")
        .unwrap();
    assert_eq!(dinner.start, utc("2026-04-12T22:00:00Z"));
}

#[test]
fn an_instance_in_the_spring_gap_is_shifted_by_the_gap() {
    // RFC 5545 3.3.5: 02:30 does not exist on 29 March 2026 in Berlin; it is read with the
    // offset before the gap (UTC+1), which is 03:30 CEST.
    let ics = calendar(
        "BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260328T023000
DTEND;TZID=Europe/Berlin:20260328T030000
RRULE:FREQ=DAILY;UNTIL=20260330T003000Z
UID:night@example.com
SUMMARY:Night backup
END:VEVENT
",
    );
    let list = occurrences(
        &ics,
        "2026-03-27T00:00:00Z",
        "2026-04-02T00:00:00Z",
        berlin(),
    );
    assert_eq!(
        starts(&list),
        [
            "2026-03-28T01:30Z",
            "2026-03-29T01:30Z",
            "2026-03-30T00:30Z"
        ]
    );
}

#[test]
fn outlook_and_apple_zone_names_are_understood() {
    let ics = calendar(
        "BEGIN:VTIMEZONE
TZID:Custom Berlin
X-LIC-LOCATION:Europe/Berlin
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=W. Europe Standard Time:20260326T160000
DTEND;TZID=W. Europe Standard Time:20260326T170000
UID:outlook@example.com
SUMMARY:Dentist
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Custom Berlin:20260327T160000
DTEND;TZID=Custom Berlin:20260327T170000
UID:apple@example.com
SUMMARY:Haircut
END:VEVENT
",
    );
    let list = occurrences(
        &ics,
        "2026-03-26T00:00:00Z",
        "2026-03-28T00:00:00Z",
        berlin(),
    );
    assert_eq!(starts(&list), ["2026-03-26T15:00Z", "2026-03-27T15:00Z"]);
}

#[test]
fn rdates_add_instances_and_an_unused_override_stands_alone() {
    let ics = calendar(
        "BEGIN:VEVENT
DTSTART:20260601T170000Z
DTEND:20260601T180000Z
RRULE:FREQ=WEEKLY;COUNT=2
RDATE:20260603T170000Z,20260605T170000Z
UID:training@example.com
SUMMARY:Training
END:VEVENT
",
    );
    let list = occurrences(
        &ics,
        "2026-06-01T00:00:00Z",
        "2026-07-01T00:00:00Z",
        berlin(),
    );
    assert_eq!(
        starts(&list),
        [
            "2026-06-01T17:00Z",
            "2026-06-03T17:00Z",
            "2026-06-05T17:00Z",
            "2026-06-08T17:00Z"
        ]
    );
}

#[test]
fn bad_events_are_reported_and_the_rest_kept() {
    let ics = calendar(
        "BEGIN:VEVENT
UID:no-start@example.com
SUMMARY:Nothing
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Mars/Olympus:20260326T160000
UID:mars@example.com
END:VEVENT
BEGIN:VEVENT
DTSTART:2026-03-26
UID:dashes@example.com
END:VEVENT
BEGIN:VEVENT
DTSTART:20260326T160000Z
RRULE:FREQ=SOMETIMES
UID:bad-rule@example.com
END:VEVENT
BEGIN:VEVENT
DTSTART:20260326T160000Z
DURATION:PT1H
UID:fine@example.com
SUMMARY:Fine
END:VEVENT
",
    );
    let parsed = parse_calendar(&ics).unwrap();
    let skipped: Vec<_> = parsed
        .skipped
        .iter()
        .map(|(uid, _)| uid.clone().unwrap())
        .collect();
    assert_eq!(
        skipped,
        [
            "no-start@example.com",
            "mars@example.com",
            "dashes@example.com"
        ]
    );
    assert!(parsed.skipped[1].1.contains("Mars/Olympus"));
    let expansion = expand(
        &parsed.events,
        Interval::new(utc("2026-03-01T00:00:00Z"), utc("2026-04-01T00:00:00Z")),
        berlin(),
    );
    assert_eq!(expansion.skipped.len(), 1);
    assert_eq!(expansion.skipped[0].0, "bad-rule@example.com");
    assert!(
        expansion.skipped[0].1.contains("SOMETIMES"),
        "{:?}",
        expansion.skipped
    );
    assert_eq!(
        expansion
            .occurrences
            .iter()
            .map(|o| o.uid.as_str())
            .collect::<Vec<_>>(),
        ["fine@example.com"]
    );
    let refused = parse_calendar("this is not a calendar").unwrap_err();
    assert!(
        refused.to_string().contains("not an iCalendar object"),
        "{refused}"
    );
}
