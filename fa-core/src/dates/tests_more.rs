//! Reminder sentences, and property tests over arbitrary and generated phrases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Datelike, Duration, LocalResult, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

const N: &str = "2026-11-18T10:15:00Z";
const B: Tz = chrono_tz::Europe::Berlin;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[derive(Debug)]
enum Want {
    Once(&'static str, &'static str),
    /// rule, text
    Rec(&'static str, &'static str),
    Fails(DateErrorKind),
}

#[rustfmt::skip]
fn reminder_rows() -> Vec<(&'static str, Want)> {
    use Want::{Fails, Once, Rec};
    vec![
        ("me tomorrow at 9 to call grandma", Once("2026-11-19T08:00:00Z", "call grandma")),
        ("to call grandma tomorrow at 9", Once("2026-11-19T08:00:00Z", "call grandma")),
        ("every Monday at 8am take out the bins", Rec("FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0", "take out the bins")),
        ("in 2 hours: check the oven", Once("2026-11-18T12:15:00Z", "check the oven")),
        ("Call Mom in 2 hours.", Once("2026-11-18T12:15:00Z", "Call Mom")),
        ("me to buy 2 eggs tomorrow", Once("2026-11-19T08:00:00Z", "buy 2 eggs")),
        ("me on friday at 5pm that the car goes to the garage", Once("2026-11-20T16:00:00Z", "the car goes to the garage")),
        ("me to call grandma tomorrow at 9 about the party", Once("2026-11-19T08:00:00Z", "call grandma about the party")),
        ("- in 30 min - turn off the stove!", Once("2026-11-18T10:45:00Z", "turn off the stove")),
        ("to read chapter 5 on friday", Once("2026-11-20T08:00:00Z", "read chapter 5")),
        ("me at 5 to pay 50 euros", Once("2026-11-18T16:00:00Z", "pay 50 euros")),
        ("that the dentist is on 24 december at 10.", Once("2026-12-24T09:00:00Z", "the dentist is")),
        ("me to water the plants every other day", Rec("FREQ=DAILY;INTERVAL=2;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "water the plants")),
        ("on the 3rd of every month pay rent", Rec("FREQ=MONTHLY;BYMONTHDAY=3;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "pay rent")),
        ("ME TOMORROW AT 9:30PM TO LOCK UP", Once("2026-11-19T20:30:00Z", "LOCK UP")),
        ("me to stretch, tomorrow morning", Once("2026-11-19T08:00:00Z", "stretch")),
        ("me to call grandma", Fails(DateErrorKind::NoTime)),
        ("tomorrow at 9", Fails(DateErrorKind::NoText)),
        ("me tomorrow at 9 to", Fails(DateErrorKind::NoText)),
        ("me today at 9am to call", Fails(DateErrorKind::Past)),
        ("me at 25 to eat", Fails(DateErrorKind::Invalid)),
        ("", Fails(DateErrorKind::Empty)),
    ]
}

#[test]
fn reminder_table() {
    let rows = reminder_rows();
    assert!(rows.len() >= 12);
    let mut wrong = Vec::new();
    for (sentence, want) in &rows {
        let got = parse_reminder(sentence, utc(N), B);
        let ok = match (want, &got) {
            (Want::Once(at, text), Ok((When::Once(t), got_text))) => {
                *t == utc(at) && got_text == text
            }
            (Want::Rec(rule, text), Ok((When::Recurring { rule: r, .. }, got_text))) => {
                r == rule && got_text == text
            }
            (Want::Fails(kind), Err(e)) => e.kind() == *kind && e.to_string().contains("; try "),
            _ => false,
        };
        if !ok {
            wrong.push(format!("{sentence:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_failing_time_phrase_is_quoted_alone() {
    let e = parse_reminder("me at 25 to eat", utc(N), B).unwrap_err();
    assert_eq!(e.phrase(), "at 25");
}

#[test]
fn long_sentences_stay_fast() {
    // Many time-like words: every span is tried, but spans are capped, so this is linear.
    let sentence = "every year on feb 29 at 9 ".repeat(38);
    let start = std::time::Instant::now();
    let _ = parse_reminder(&sentence, utc(N), B);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

const VOCAB: &[&str] = &[
    "in",
    "every",
    "each",
    "other",
    "at",
    "on",
    "the",
    "of",
    "and",
    "a",
    "an",
    "half",
    "this",
    "next",
    "coming",
    "today",
    "tonight",
    "tomorrow",
    "day",
    "after",
    "noon",
    "midnight",
    "morning",
    "evening",
    "night",
    "monday",
    "fri",
    "sundays",
    "weekdays",
    "weekend",
    "march",
    "feb",
    "december",
    "month",
    "year",
    "week",
    "weeks",
    "hour",
    "hours",
    "min",
    "h",
    "m",
    "am",
    "pm",
    "o'clock",
    "last",
    "first",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "hourly",
    "from",
    "now",
    "me",
    "to",
    "call",
    "0",
    "1",
    "2",
    "3",
    "9",
    "12",
    "15",
    "24",
    "29",
    "30",
    "31",
    "59",
    "60",
    "99",
    "2026",
    "2036",
    "3rd",
    "15th",
    "31st",
    ":",
    ".",
    "/",
    "-",
    ",",
    "@",
    "9:30",
    "21:15",
    "9.30pm",
    "2026-12-24",
    "24/12",
    "1h30m",
    "é",
    "日本",
];

const ZONES: &[Tz] = &[
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::UTC,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Apia,
];

fn any_now() -> impl Strategy<Value = DateTime<Utc>> {
    // 2026-01-01 .. 2028-01-01, any second: covers both DST changes of two years.
    (1_767_225_600_i64..1_830_297_600).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

fn check_invariants(when: &When, now: DateTime<Utc>) {
    let ten_years = now + Duration::days(3653);
    match when {
        When::Once(t) => assert!(*t > now && *t <= ten_years, "{t} vs now {now}"),
        When::Recurring { first, rule, .. } => {
            assert!(*first > now && *first <= ten_years, "{first} vs now {now}");
            assert!(rule.starts_with("FREQ="), "{rule}");
        }
    }
}

const WEEKDAYS: [(&str, Weekday, &str); 7] = [
    ("monday", Weekday::Mon, "MO"),
    ("tuesday", Weekday::Tue, "TU"),
    ("wednesday", Weekday::Wed, "WE"),
    ("thursday", Weekday::Thu, "TH"),
    ("friday", Weekday::Fri, "FR"),
    ("saturday", Weekday::Sat, "SA"),
    ("sunday", Weekday::Sun, "SU"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), now in any_now(), zone in 0..ZONES.len()) {
        let tz = ZONES[zone];
        if let Ok(when) = parse_when(&text, now, tz) {
            check_invariants(&when, now);
        }
        if let Ok((when, rest)) = parse_reminder(&text, now, tz) {
            check_invariants(&when, now);
            prop_assert!(!rest.is_empty());
        }
    }

    #[test]
    fn word_soup_never_panics_and_results_are_ahead(
        words in prop::collection::vec(prop::sample::select(VOCAB), 0..14),
        now in any_now(),
        zone in 0..ZONES.len(),
    ) {
        let tz = ZONES[zone];
        let text = words.join(" ");
        match parse_when(&text, now, tz) {
            Ok(when) => check_invariants(&when, now),
            Err(e) => prop_assert!(e.to_string().contains("; try "), "{}", e),
        }
        let glued = words.concat();
        if let Ok(when) = parse_when(&glued, now, tz) {
            check_invariants(&when, now);
        }
        if let Ok((when, rest)) = parse_reminder(&format!("me {text} to call"), now, tz) {
            check_invariants(&when, now);
            prop_assert!(!rest.is_empty());
        }
    }

    #[test]
    fn in_n_minutes_is_exactly_that(n in 1_i64..10_000, now in any_now(), zone in 0..ZONES.len()) {
        let tz = ZONES[zone];
        let when = parse_when(&format!("in {n} minutes"), now, tz).unwrap();
        let want = now + Duration::minutes(n);
        prop_assert_eq!(&when, &When::Once(want));
        let local = want.with_timezone(&tz);
        let When::Once(got) = when else { unreachable!() };
        prop_assert_eq!((got.with_timezone(&tz).hour(), got.with_timezone(&tz).minute()), (local.hour(), local.minute()));
    }

    #[test]
    fn tomorrow_at_h_mm(h in 0_u32..24, m in 0_u32..60, now in any_now(), zone in 0..ZONES.len()) {
        let tz = ZONES[zone];
        let When::Once(at) = parse_when(&format!("tomorrow at {h}:{m:02}"), now, tz).unwrap() else {
            panic!("not a one-shot");
        };
        prop_assert!(at > now);
        let tomorrow = now.with_timezone(&tz).date_naive().succ_opt().unwrap();
        let wall = tomorrow.and_hms_opt(h, m, 0).unwrap();
        let local = at.with_timezone(&tz);
        match tz.from_local_datetime(&wall) {
            LocalResult::None => {
                // In a gap: the first instant after it, which shows a later time that day.
                prop_assert_eq!(local.date_naive(), tomorrow);
                prop_assert!(local.naive_local() > wall);
            }
            _ => prop_assert_eq!(local.naive_local(), wall),
        }
    }

    #[test]
    fn every_weekday_at_h_mm(day in 0_usize..7, h in 0_u32..24, m in 0_u32..60, now in any_now(), zone in 0..ZONES.len()) {
        let tz = ZONES[zone];
        let (name, weekday, code) = WEEKDAYS[day];
        let When::Recurring { rule, start, first } =
            parse_when(&format!("every {name} at {h}:{m:02}"), now, tz).unwrap()
        else {
            panic!("not a recurrence");
        };
        prop_assert_eq!(rule, format!("FREQ=WEEKLY;BYDAY={code};BYHOUR={h};BYMINUTE={m};BYSECOND=0"));
        prop_assert!(first >= now);
        prop_assert_eq!(start.weekday(), weekday);
        prop_assert_eq!((start.hour(), start.minute(), start.second()), (h, m, 0));
        let local = first.with_timezone(&tz);
        match tz.from_local_datetime(&start) {
            LocalResult::None => prop_assert!(local.naive_local() > start),
            _ => prop_assert_eq!(local.naive_local(), start),
        }
        prop_assert_eq!(local.weekday(), weekday);
        // The week before would have been at or before now: `first` is the earliest.
        let before = start - Duration::days(7);
        if let Some(earlier) = tz.from_local_datetime(&before).earliest() {
            prop_assert!(earlier <= now, "{} is after {}", earlier, now);
        }
    }
}
