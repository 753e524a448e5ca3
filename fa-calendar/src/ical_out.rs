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

/// `stored` (a calendar object read from the server) with its event moved or renamed to
/// `event`: the main `VEVENT`'s DTSTART, DTEND (or DURATION), SUMMARY and LOCATION (and
/// DESCRIPTION when the draft has one) are replaced, DTSTAMP renewed and SEQUENCE raised;
/// everything else — attendees, alarms, categories, other properties, time zones — is kept as
/// it was. `None` when `stored` holds no `VEVENT`.
pub fn patch_event_ics(stored: &str, event: &EventDraft, now: DateTime<Utc>) -> Option<String> {
    let draft = event_to_ics("", event, now);
    let mut replacement: Vec<String> = unfold(&draft)
        .into_iter()
        .filter(|l| {
            matches!(
                name(l).as_str(),
                "DTSTART" | "DTEND" | "SUMMARY" | "LOCATION" | "DESCRIPTION" | "DTSTAMP"
            )
        })
        .collect();
    let mut replaced = vec![
        "DTSTART", "DTEND", "DURATION", "SUMMARY", "LOCATION", "DTSTAMP",
    ];
    if event.description.is_some() {
        replaced.push("DESCRIPTION");
    }
    let mut out = Vec::new();
    let (mut depth, mut in_main, mut done) = (0usize, false, false);
    let mut sequence: Option<u32> = None;
    for line in unfold(stored) {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("BEGIN:") {
            depth += 1;
            if upper == "BEGIN:VEVENT" && !done {
                in_main = true;
                out.push(line);
                out.append(&mut replacement);
                continue;
            }
        } else if upper.starts_with("END:") {
            depth = depth.saturating_sub(1);
            if upper == "END:VEVENT" && in_main {
                in_main = false;
                done = true;
                out.push(format!("SEQUENCE:{}", sequence.map_or(1, |n| n + 1)));
            }
        } else if in_main && depth == 2 {
            // A property of the event itself, not of a VALARM inside it.
            let property = name(&line);
            if property == "SEQUENCE" {
                sequence = line
                    .split_once(':')
                    .and_then(|(_, v)| v.trim().parse().ok());
                continue;
            }
            if replaced.contains(&property.as_str()) {
                continue;
            }
        }
        out.push(line);
    }
    if !done {
        return None;
    }
    let mut text = String::new();
    for line in out {
        fold(&line, &mut text);
    }
    Some(text)
}

/// Content lines with folding undone (RFC 5545 3.1).
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ if raw.is_empty() => {}
            _ => lines.push(raw.to_owned()),
        }
    }
    lines
}

/// A content line's property name, upper case.
fn name(line: &str) -> String {
    line.split([';', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
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
    fn a_moved_event_keeps_its_attendees_alarms_and_notes() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let stored = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//iOS 18//EN\r\n\
            BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
            TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
            BEGIN:VEVENT\r\nUID:dentist-1@example.com\r\nDTSTAMP:20260301T090000Z\r\n\
            DTSTART;TZID=Europe/Berlin:20260326T160000\r\nDTEND;TZID=Europe/Berlin:20260326T170000\r\n\
            SUMMARY:Dentist\r\nDESCRIPTION:Bring the insurance card\r\nSEQUENCE:2\r\n\
            ATTENDEE;CN=Ana:mailto:ana@example.com\r\nCATEGORIES:Health\r\n\
            BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\n\
            END:VEVENT\r\nEND:VCALENDAR\r\n";
        let start: DateTime<Utc> = "2026-03-27T09:00:00Z".parse().unwrap();
        let draft = EventDraft::new("Dentist", start, start + chrono::Duration::hours(1), berlin);
        let patched = patch_event_ics(stored, &draft, start).unwrap();
        for kept in [
            "UID:dentist-1@example.com",
            "DESCRIPTION:Bring the insurance card",
            "ATTENDEE;CN=Ana:mailto:ana@example.com",
            "CATEGORIES:Health",
            "DESCRIPTION:Reminder",
            "TRIGGER:-PT30M",
            "TZID:Europe/Berlin",
            "SEQUENCE:3",
            "DTSTART:20260327T090000Z",
            "DTEND:20260327T100000Z",
        ] {
            assert!(
                patched.contains(&format!("{kept}\r\n")),
                "{kept} in {patched}"
            );
        }
        assert!(!patched.contains("20260326T160000"), "{patched}");
        assert_eq!(
            patched.matches("DTSTART").count(),
            2,
            "the zone's and the event's"
        );
        let parsed = parse_calendar(&patched).unwrap();
        assert_eq!(parsed.events[0].start, EventTime::Utc(start));
        assert_eq!(
            parsed.events[0].description.as_deref(),
            Some("Bring the insurance card")
        );
        assert!(patch_event_ics("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", &draft, start).is_none());
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
