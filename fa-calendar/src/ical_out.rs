//! iCalendar out: an [`EventDraft`] as a calendar object to PUT (CalDAV) — escaped and folded
//! as RFC 5545 (3.1, 3.3.11) says. Timed events are written in UTC, which every server reads
//! the same way and which needs no `VTIMEZONE`; all-day events as dates in the draft's zone.

use chrono::{DateTime, Utc};
use fa_core::calendar::EventDraft;

/// The calendar object for `event` with this `uid`, stamped `now` (`DTSTAMP`).
pub fn event_to_ics(uid: &str, event: &EventDraft, now: DateTime<Utc>) -> String {
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//fa//Family Assistant//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape(uid)),
        format!("DTSTAMP:{}", stamp(now)),
    ];
    if event.all_day {
        let day = |t: DateTime<Utc>| {
            t.with_timezone(&event.timezone)
                .format("%Y%m%d")
                .to_string()
        };
        lines.push(format!("DTSTART;VALUE=DATE:{}", day(event.start)));
        lines.push(format!("DTEND;VALUE=DATE:{}", day(event.end)));
    } else {
        lines.push(format!("DTSTART:{}", stamp(event.start)));
        lines.push(format!("DTEND:{}", stamp(event.end)));
    }
    lines.push(format!("SUMMARY:{}", escape(&event.summary)));
    if let Some(location) = &event.location {
        lines.push(format!("LOCATION:{}", escape(location)));
    }
    if let Some(description) = &event.description {
        lines.push(format!("DESCRIPTION:{}", escape(description)));
    }
    lines.extend(["END:VEVENT".to_owned(), "END:VCALENDAR".to_owned()]);
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, and newlines as `\n`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes `line` folded at 75 octets (never inside a UTF-8 character), each piece ended by
/// CRLF and continued with a space.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ical::{EventTime, parse_calendar};

    #[test]
    fn a_draft_reads_back_as_written_with_escapes_and_folding() {
        let berlin = "Europe/Berlin".parse().unwrap();
        let start: DateTime<Utc> = "2026-03-26T15:00:00Z".parse().unwrap();
        let summary = "Dentist; Dr. Ämilia Müller, Zahnärztin — check-up and cleaning, bring the insurance card";
        let draft = EventDraft::new(summary, start, start + chrono::Duration::hours(1), berlin)
            .location("Hauptstraße 5, Berlin")
            .description("Line one\nline two \\ done");
        let ics = event_to_ics("uid-1@fa", &draft, start);
        assert!(ics.lines().all(|l| l.len() <= 76), "{ics}");
        assert!(ics.contains("\r\n "), "a long line is folded: {ics}");
        let parsed = parse_calendar(&ics).unwrap();
        let event = &parsed.events[0];
        assert_eq!(event.summary, summary);
        assert_eq!(event.location.as_deref(), Some("Hauptstraße 5, Berlin"));
        assert_eq!(
            event.description.as_deref(),
            Some("Line one\nline two \\ done")
        );
        assert_eq!(event.start, EventTime::Utc(start));
    }

    #[test]
    fn an_all_day_draft_is_written_as_dates_in_its_zone() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let start: DateTime<Utc> = "2026-07-31T22:00:00Z".parse().unwrap();
        let draft =
            EventDraft::new("Holiday", start, start + chrono::Duration::days(14), berlin).all_day();
        let ics = event_to_ics("uid-2@fa", &draft, start);
        assert!(ics.contains("DTSTART;VALUE=DATE:20260801\r\n"), "{ics}");
        assert!(ics.contains("DTEND;VALUE=DATE:20260815\r\n"), "{ics}");
    }
}
