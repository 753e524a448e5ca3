//! The phrase table: every row's expected instant or rule is written out by hand, as RFC 3339
//! text, not computed by the code under test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::*;

/// Wednesday 18 November 2026, 11:15 in Berlin, 05:15 in New York.
const N: &str = "2026-11-18T10:15:00Z";
/// Saturday before Berlin springs forward (29 March 2026, 02:00 -> 03:00), 13:00 CET.
const BERLIN_SPRING: &str = "2026-03-28T12:00:00Z";
/// Saturday before Berlin falls back (25 October 2026, 03:00 -> 02:00), 14:00 CEST.
const BERLIN_FALL: &str = "2026-10-24T12:00:00Z";
/// Saturday before New York springs forward (8 March 2026, 02:00 -> 03:00), 12:00 EST.
const NY_SPRING: &str = "2026-03-07T17:00:00Z";
/// Saturday before New York falls back (1 November 2026, 02:00 -> 01:00), 12:00 EDT.
const NY_FALL: &str = "2026-10-31T16:00:00Z";
/// 21:30 in Berlin on N's day.
const LATE: &str = "2026-11-18T20:30:00Z";

const B: Tz = chrono_tz::Europe::Berlin;
const NY: Tz = chrono_tz::America::New_York;

#[derive(Debug, Clone, Copy)]
enum Want {
    Once(&'static str),
    /// rule, start (wall clock), first (instant)
    Rec(&'static str, &'static str, &'static str),
    Fails(DateErrorKind),
}
use Want::{Fails, Once, Rec};

const DAILY_7: &str = "FREQ=DAILY;BYHOUR=7;BYMINUTE=0;BYSECOND=0";

#[rustfmt::skip]
fn rows() -> Vec<(&'static str, &'static str, Tz, Want)> {
    vec![
        // Times alone: today if still ahead, else tomorrow; a bare 1–11 may be the evening.
        ("tomorrow at 9", N, B, Once("2026-11-19T08:00:00Z")),
        ("9", N, B, Once("2026-11-18T20:00:00Z")),
        ("9am", N, B, Once("2026-11-19T08:00:00Z")),
        ("9 am", N, B, Once("2026-11-19T08:00:00Z")),
        ("9 a.m.", N, B, Once("2026-11-19T08:00:00Z")),
        ("9:30", N, B, Once("2026-11-18T20:30:00Z")),
        ("9.30pm", N, B, Once("2026-11-18T20:30:00Z")),
        ("21:15", N, B, Once("2026-11-18T20:15:00Z")),
        ("noon", N, B, Once("2026-11-18T11:00:00Z")),
        ("midnight", N, B, Once("2026-11-18T23:00:00Z")),
        ("at 9", N, B, Once("2026-11-18T20:00:00Z")),
        ("@9", N, B, Once("2026-11-18T20:00:00Z")),
        ("9 o'clock", N, B, Once("2026-11-18T20:00:00Z")),
        ("at 09", N, B, Once("2026-11-19T08:00:00Z")),
        ("12am", N, B, Once("2026-11-18T23:00:00Z")),
        ("12pm tomorrow", N, B, Once("2026-11-19T11:00:00Z")),
        ("morning", N, B, Once("2026-11-19T08:00:00Z")),
        ("afternoon", N, B, Once("2026-11-18T14:00:00Z")),
        ("evening", N, B, Once("2026-11-18T18:00:00Z")),
        ("tonight", N, B, Once("2026-11-18T19:00:00Z")),
        ("tonight", LATE, B, Once("2026-11-19T19:00:00Z")),
        ("tonight at 10", N, B, Once("2026-11-18T21:00:00Z")),
        ("9 in the evening", N, B, Once("2026-11-18T20:00:00Z")),
        ("tomorrow evening at 7", N, B, Once("2026-11-19T18:00:00Z")),
        ("tomorrow morning", N, B, Once("2026-11-19T08:00:00Z")),
        ("today at 5", N, B, Once("2026-11-18T16:00:00Z")),
        ("today at 9", N, B, Once("2026-11-18T20:00:00Z")),
        ("today at 9am", N, B, Fails(DateErrorKind::Past)),
        ("today at 9", LATE, B, Fails(DateErrorKind::Past)),
        ("today", N, B, Fails(DateErrorKind::Past)),
        ("Tomorrow at 9.", N, B, Once("2026-11-19T08:00:00Z")),
        ("  TOMORROW   AT   9  ", N, B, Once("2026-11-19T08:00:00Z")),
        ("at 9 tomorrow", N, B, Once("2026-11-19T08:00:00Z")),
        // Days.
        ("tomorrow", N, B, Once("2026-11-19T08:00:00Z")),
        ("day after tomorrow", N, B, Once("2026-11-20T08:00:00Z")),
        ("the day after tomorrow at 18:30", N, B, Once("2026-11-20T17:30:00Z")),
        ("friday", N, B, Once("2026-11-20T08:00:00Z")),
        ("on friday at 5pm", N, B, Once("2026-11-20T16:00:00Z")),
        ("next friday", N, B, Once("2026-11-20T08:00:00Z")),
        ("this fri at 7:45", N, B, Once("2026-11-20T06:45:00Z")),
        ("friday at midnight", N, B, Once("2026-11-20T23:00:00Z")),
        ("wednesday at 9", N, B, Once("2026-11-18T20:00:00Z")),
        ("wed", N, B, Once("2026-11-25T08:00:00Z")),
        ("next wednesday at 9", N, B, Once("2026-11-25T08:00:00Z")),
        ("on the 3rd", N, B, Once("2026-12-03T08:00:00Z")),
        ("the 15th", N, B, Once("2026-12-15T08:00:00Z")),
        ("the 18th at 8pm", N, B, Once("2026-11-18T19:00:00Z")),
        ("on the 31st", N, B, Once("2026-12-31T08:00:00Z")),
        ("15 march", N, B, Once("2027-03-15T08:00:00Z")),
        ("march 15", N, B, Once("2027-03-15T08:00:00Z")),
        ("march 15th at 7am", N, B, Once("2027-03-15T06:00:00Z")),
        ("2026-12-24", N, B, Once("2026-12-24T08:00:00Z")),
        ("on 24 december at 10", N, B, Once("2026-12-24T09:00:00Z")),
        ("december 24, 2027 at 18:00", N, B, Once("2027-12-24T17:00:00Z")),
        ("feb 29", N, B, Once("2028-02-29T08:00:00Z")),
        ("at 10 on the 15th", N, B, Once("2026-12-15T09:00:00Z")),
        // Amounts of time.
        ("in 2 hours", N, B, Once("2026-11-18T12:15:00Z")),
        ("in 45 minutes", N, B, Once("2026-11-18T11:00:00Z")),
        ("in 30 min", N, B, Once("2026-11-18T10:45:00Z")),
        ("in an hour", N, B, Once("2026-11-18T11:15:00Z")),
        ("in half an hour", N, B, Once("2026-11-18T10:45:00Z")),
        ("in an hour and a half", N, B, Once("2026-11-18T11:45:00Z")),
        ("in 1h30m", N, B, Once("2026-11-18T11:45:00Z")),
        ("in 1.5 hours", N, B, Once("2026-11-18T11:45:00Z")),
        ("in 90 minutes from now", N, B, Once("2026-11-18T11:45:00Z")),
        ("in 2 hours and 15 minutes", N, B, Once("2026-11-18T12:30:00Z")),
        ("in 3 days", N, B, Once("2026-11-21T10:15:00Z")),
        ("in a week", N, B, Once("2026-11-25T10:15:00Z")),
        ("in 2 weeks", N, B, Once("2026-12-02T10:15:00Z")),
        ("in 2 days at 9", N, B, Once("2026-11-20T08:00:00Z")),
        ("in 2 months", N, B, Once("2027-01-18T10:15:00Z")),
        // Repetitions.
        ("every day at 7", N, B, Rec(DAILY_7, "2026-11-19T07:00:00", "2026-11-19T06:00:00Z")),
        ("daily at 7pm", N, B, Rec("FREQ=DAILY;BYHOUR=19;BYMINUTE=0;BYSECOND=0", "2026-11-18T19:00:00", "2026-11-18T18:00:00Z")),
        ("every morning", N, B, Rec("FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-11-19T09:00:00", "2026-11-19T08:00:00Z")),
        ("every night", N, B, Rec("FREQ=DAILY;BYHOUR=20;BYMINUTE=0;BYSECOND=0", "2026-11-18T20:00:00", "2026-11-18T19:00:00Z")),
        ("every weekday at 8", N, B, Rec("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0;BYSECOND=0", "2026-11-19T08:00:00", "2026-11-19T07:00:00Z")),
        ("every weekend", N, B, Rec("FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-11-21T09:00:00", "2026-11-21T08:00:00Z")),
        ("every Monday at 8am", N, B, Rec("FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0", "2026-11-23T08:00:00", "2026-11-23T07:00:00Z")),
        ("every mon wed fri at 7", N, B, Rec("FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=7;BYMINUTE=0;BYSECOND=0", "2026-11-20T07:00:00", "2026-11-20T06:00:00Z")),
        ("every monday and thursday at 18:00", N, B, Rec("FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=18;BYMINUTE=0;BYSECOND=0", "2026-11-19T18:00:00", "2026-11-19T17:00:00Z")),
        ("every fri, mon & wed at 6pm", N, B, Rec("FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=18;BYMINUTE=0;BYSECOND=0", "2026-11-18T18:00:00", "2026-11-18T17:00:00Z")),
        ("every wednesday at 11:30", N, B, Rec("FREQ=WEEKLY;BYDAY=WE;BYHOUR=11;BYMINUTE=30;BYSECOND=0", "2026-11-18T11:30:00", "2026-11-18T10:30:00Z")),
        ("every wednesday at 11", N, B, Rec("FREQ=WEEKLY;BYDAY=WE;BYHOUR=11;BYMINUTE=0;BYSECOND=0", "2026-11-25T11:00:00", "2026-11-25T10:00:00Z")),
        ("on mondays at 7:15 pm", N, B, Rec("FREQ=WEEKLY;BYDAY=MO;BYHOUR=19;BYMINUTE=15;BYSECOND=0", "2026-11-23T19:15:00", "2026-11-23T18:15:00Z")),
        ("every 2 weeks on Tuesday", N, B, Rec("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-11-24T09:00:00", "2026-11-24T08:00:00Z")),
        ("every 2 weeks on tuesday and friday at 7", N, B, Rec("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR;BYHOUR=7;BYMINUTE=0;BYSECOND=0", "2026-11-20T07:00:00", "2026-11-20T06:00:00Z")),
        ("every week", N, B, Rec("FREQ=WEEKLY;BYDAY=TH;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-11-19T09:00:00", "2026-11-19T08:00:00Z")),
        ("weekly on friday", N, B, Rec("FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-11-20T09:00:00", "2026-11-20T08:00:00Z")),
        ("every other day", N, B, Rec("FREQ=DAILY;INTERVAL=2;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-11-19T09:00:00", "2026-11-19T08:00:00Z")),
        ("every hour", N, B, Rec("FREQ=HOURLY;BYMINUTE=0;BYSECOND=0", "2026-11-18T12:00:00", "2026-11-18T11:00:00Z")),
        ("every 2 hours", N, B, Rec("FREQ=HOURLY;INTERVAL=2;BYMINUTE=0;BYSECOND=0", "2026-11-18T12:00:00", "2026-11-18T11:00:00Z")),
        ("every 15 minutes", N, B, Rec("FREQ=MINUTELY;INTERVAL=15", "2026-11-18T11:30:00", "2026-11-18T10:30:00Z")),
        ("on the 3rd of every month", N, B, Rec("FREQ=MONTHLY;BYMONTHDAY=3;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-12-03T09:00:00", "2026-12-03T08:00:00Z")),
        ("every month on the 15th at 10", N, B, Rec("FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=10;BYMINUTE=0;BYSECOND=0", "2026-12-15T10:00:00", "2026-12-15T09:00:00Z")),
        ("monthly on the 1st", N, B, Rec("FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-12-01T09:00:00", "2026-12-01T08:00:00Z")),
        ("every month on the 31st", N, B, Rec("FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-12-31T09:00:00", "2026-12-31T08:00:00Z")),
        ("every year on march 3", N, B, Rec("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2027-03-03T09:00:00", "2027-03-03T08:00:00Z")),
        ("every year on feb 29", N, B, Rec("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2028-02-29T09:00:00", "2028-02-29T08:00:00Z")),
        ("every last friday of the month", N, B, Rec("FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "2026-11-27T09:00:00", "2026-11-27T08:00:00Z")),
        ("every first monday of the month at 10", N, B, Rec("FREQ=MONTHLY;BYDAY=1MO;BYHOUR=10;BYMINUTE=0;BYSECOND=0", "2026-12-07T10:00:00", "2026-12-07T09:00:00Z")),
        // Around daylight saving: gaps fire at the transition, overlaps at the earlier instant.
        ("tomorrow at 2:30", BERLIN_SPRING, B, Once("2026-03-29T01:00:00Z")),
        ("every day at 2:30", BERLIN_SPRING, B, Rec("FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0", "2026-03-29T02:30:00", "2026-03-29T01:00:00Z")),
        ("tomorrow at 9", BERLIN_SPRING, B, Once("2026-03-29T07:00:00Z")),
        ("in 1 day", BERLIN_SPRING, B, Once("2026-03-29T11:00:00Z")),
        ("in 24 hours", BERLIN_SPRING, B, Once("2026-03-29T12:00:00Z")),
        ("tomorrow at 2:30", BERLIN_FALL, B, Once("2026-10-25T00:30:00Z")),
        ("every sunday at 2:30", BERLIN_FALL, B, Rec("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30;BYSECOND=0", "2026-10-25T02:30:00", "2026-10-25T00:30:00Z")),
        ("in 1 day", BERLIN_FALL, B, Once("2026-10-25T13:00:00Z")),
        ("tomorrow at 2:30", NY_SPRING, NY, Once("2026-03-08T07:00:00Z")),
        ("tomorrow at 9", NY_SPRING, NY, Once("2026-03-08T13:00:00Z")),
        ("every day at 2:30am", NY_SPRING, NY, Rec("FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0", "2026-03-08T02:30:00", "2026-03-08T07:00:00Z")),
        ("tomorrow at 1:30", NY_FALL, NY, Once("2026-11-01T05:30:00Z")),
        ("tomorrow at 9", NY_FALL, NY, Once("2026-11-01T14:00:00Z")),
        ("in 1 day", NY_FALL, NY, Once("2026-11-01T17:00:00Z")),
        // New York on an ordinary day (05:15 EST).
        ("today at 5", N, NY, Once("2026-11-18T22:00:00Z")),
        ("at 6", N, NY, Once("2026-11-18T11:00:00Z")),
        ("tonight", N, NY, Once("2026-11-19T01:00:00Z")),
        ("every monday at 8am", N, NY, Rec("FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0", "2026-11-23T08:00:00", "2026-11-23T13:00:00Z")),
        // Refused.
        ("blorp", N, B, Fails(DateErrorKind::NotUnderstood)),
        ("", N, B, Fails(DateErrorKind::Empty)),
        ("   ", N, B, Fails(DateErrorKind::Empty)),
        ("tomorrow at", N, B, Fails(DateErrorKind::NotUnderstood)),
        ("next week", N, B, Fails(DateErrorKind::NotUnderstood)),
        ("2 hours", N, B, Fails(DateErrorKind::NotUnderstood)),
        ("at 25", N, B, Fails(DateErrorKind::Invalid)),
        ("at 9:75", N, B, Fails(DateErrorKind::Invalid)),
        ("13pm", N, B, Fails(DateErrorKind::Invalid)),
        ("at 9:5", N, B, Fails(DateErrorKind::Invalid)),
        ("every 15th of wed month", N, B, Fails(DateErrorKind::NotUnderstood)),
        ("in 1.5 days", N, B, Fails(DateErrorKind::Invalid)),
        ("@", N, B, Fails(DateErrorKind::NotUnderstood)),
        ("february 30", N, B, Fails(DateErrorKind::Invalid)),
        ("the 32nd", N, B, Fails(DateErrorKind::Invalid)),
        ("2027-02-29", N, B, Fails(DateErrorKind::Invalid)),
        ("2026-13-01", N, B, Fails(DateErrorKind::Invalid)),
        ("tomorrow friday", N, B, Fails(DateErrorKind::Invalid)),
        ("on tuesday and friday", N, B, Fails(DateErrorKind::Invalid)),
        ("in 2 hours tomorrow", N, B, Fails(DateErrorKind::Invalid)),
        ("every hour at 9", N, B, Fails(DateErrorKind::Invalid)),
        ("in 0 minutes", N, B, Fails(DateErrorKind::Invalid)),
        ("24/12", N, B, Fails(DateErrorKind::Ambiguous)),
        ("12/24 at 9", N, B, Fails(DateErrorKind::Ambiguous)),
        ("2025-05-01", N, B, Fails(DateErrorKind::Past)),
        ("in 20 years", N, B, Fails(DateErrorKind::TooFar)),
        ("2037-01-01", N, B, Fails(DateErrorKind::TooFar)),
    ]
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn wall(s: &str) -> NaiveDateTime {
    s.parse().unwrap()
}

#[test]
fn phrase_table() {
    let rows = rows();
    assert!(rows.len() >= 70, "only {} rows", rows.len());
    let mut wrong = Vec::new();
    for (phrase, now, tz, want) in &rows {
        let got = parse_when(phrase, utc(now), *tz);
        let ok = match (want, &got) {
            (Once(t), Ok(When::Once(at))) => *at == utc(t),
            (
                Rec(rule, start, first),
                Ok(When::Recurring {
                    rule: r,
                    start: s,
                    first: f,
                }),
            ) => r == rule && *s == wall(start) && *f == utc(first),
            (Fails(kind), Err(e)) => {
                let text = e.to_string();
                e.kind() == *kind && text.contains(phrase.trim()) && text.contains("; try ")
            }
            _ => false,
        };
        if !ok {
            wrong.push(format!(
                "{phrase:?} at {now} in {tz}: want {want:?}, got {got:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} rows wrong:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

#[test]
fn error_message_quotes_the_phrase_and_gives_examples() {
    let e = parse_when("blorp", utc(N), B).unwrap_err();
    assert_eq!(
        e.to_string(),
        "could not understand \"blorp\" as a time: \"blorp\" is not a day, time or number I know; \
         try \"tomorrow at 9\", \"in 2 hours\", \"every Monday at 8am\""
    );
    assert_eq!(e.phrase(), "blorp");
    let past = parse_when("today at 9am", utc(N), B).unwrap_err();
    assert!(past.to_string().contains("has already passed"), "{past}");
    assert!(past.to_string().contains("tomorrow at 09:00"), "{past}");
}

#[test]
fn over_long_input_is_refused_before_parsing() {
    let long = format!("tomorrow at 9 {}", "x".repeat(MAX_PHRASE_CHARS));
    let e = parse_when(&long, utc(N), B).unwrap_err();
    assert_eq!(e.kind(), DateErrorKind::TooLong);
    assert!(e.to_string().chars().count() < 200, "{e}");
    let e = parse_reminder(&"a".repeat(MAX_SENTENCE_CHARS + 1), utc(N), B).unwrap_err();
    assert_eq!(e.kind(), DateErrorKind::TooLong);
    // Exactly at the limit is still read.
    let padded = format!("{:>width$}", "tomorrow", width = MAX_PHRASE_CHARS);
    assert!(parse_when(&padded, utc(N), B).is_ok());
}

#[test]
fn a_gap_second_is_resolved_to_the_transition() {
    // 02:00:00 itself is already in the gap.
    assert_eq!(
        resolve::instant(wall("2026-03-29T02:00:00"), B),
        utc("2026-03-29T01:00:00Z")
    );
    assert_eq!(
        resolve::instant(wall("2026-03-29T01:59:59"), B),
        utc("2026-03-29T00:59:59Z")
    );
    // Lord Howe shifts by 30 minutes.
    let lord_howe: Tz = chrono_tz::Australia::Lord_Howe;
    assert_eq!(
        resolve::instant(wall("2026-10-04T02:15:00"), lord_howe),
        utc("2026-10-03T15:30:00Z")
    );
}
