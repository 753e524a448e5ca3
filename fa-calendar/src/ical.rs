//! iCalendar in: the `VEVENT`s of a calendar object (RFC 5545) as [`CalendarEvent`]s, with
//! their times kept as written (all-day, floating, in a named zone, or UTC) so that recurrence
//! expansion ([`mod@crate::expand`]) can work on the wall clock of the event's own zone.
//!
//! Bad input loses nothing that can be read: an event that cannot be read is reported in
//! [`ParsedCalendar::skipped`] with the reason, and the others are kept.
//!
//! ```
//! let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1@example.com\r\n\
//!            DTSTART;TZID=Europe/Berlin:20260326T160000\r\nDTEND;TZID=Europe/Berlin:20260326T170000\r\n\
//!            SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
//! let parsed = fa_calendar::ical::parse_calendar(ics).unwrap();
//! assert_eq!(parsed.events[0].summary, "Dentist");
//! assert!(parsed.skipped.is_empty());
//! ```

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::parser::{Component, Property, read_calendar, unfold};

use crate::{Error, Result};

/// A time as an iCalendar property gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventTime {
    /// A whole day (`VALUE=DATE`).
    Date(NaiveDate),
    /// A wall-clock time without a zone ("floating"): read on the viewer's clock.
    Floating(NaiveDateTime),
    /// A wall-clock time in a named zone (`TZID=`).
    Zoned(NaiveDateTime, Tz),
    /// An instant (the `Z` form).
    Utc(DateTime<Utc>),
}

impl EventTime {
    /// The wall-clock reading in the time's own frame (midnight for a date).
    pub fn wall(&self) -> NaiveDateTime {
        match self {
            EventTime::Date(d) => d.and_time(chrono::NaiveTime::MIN),
            EventTime::Floating(t) | EventTime::Zoned(t, _) => *t,
            EventTime::Utc(t) => t.naive_utc(),
        }
    }

    /// The zone its wall clock is read in: its own, or `viewer`'s for dates and floating times.
    pub fn zone(&self, viewer: Tz) -> Tz {
        match self {
            EventTime::Zoned(_, tz) => *tz,
            EventTime::Utc(_) => Tz::UTC,
            EventTime::Date(_) | EventTime::Floating(_) => viewer,
        }
    }

    /// The instant it names, dates and floating times read on `viewer`'s clock.
    pub fn instant(&self, viewer: Tz) -> DateTime<Utc> {
        match self {
            EventTime::Utc(t) => *t,
            other => wall_instant(other.wall(), other.zone(viewer)),
        }
    }

    /// The wall-clock reading of this time in `tz` (converting instants and other zones).
    pub fn wall_in(&self, tz: Tz, viewer: Tz) -> NaiveDateTime {
        match self {
            EventTime::Zoned(t, own) if *own == tz => *t,
            EventTime::Date(_) | EventTime::Floating(_) if tz == viewer => self.wall(),
            other => other.instant(viewer).with_timezone(&tz).naive_local(),
        }
    }
}

/// The instant a wall-clock time names in `tz`, as RFC 5545 (3.3.5) reads it: in a DST overlap
/// the first of the two; in a gap, with the offset in effect before the gap (02:30 on the
/// spring-forward night in Berlin is 03:30 CEST).
pub fn wall_instant(wall: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&wall) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            use chrono::Offset;
            let before = tz
                .offset_from_utc_datetime(&(wall - Duration::hours(24)))
                .fix();
            Utc.from_utc_datetime(&(wall - Duration::seconds(i64::from(before.local_minus_utc()))))
        }
    }
}

/// One `VEVENT`: a single event, a recurring series, or one changed instance of a series
/// (`RECURRENCE-ID`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CalendarEvent {
    /// The event's UID (the series and its changed instances share it).
    pub uid: String,
    /// Its title.
    pub summary: String,
    /// Where.
    pub location: Option<String>,
    /// Notes.
    pub description: Option<String>,
    /// When it starts.
    pub start: EventTime,
    /// When it ends (`DTEND`), if given.
    pub end: Option<EventTime>,
    /// How long it lasts (`DURATION`), if given instead.
    pub duration: Option<Duration>,
    /// The recurrence rule (the value after `RRULE:`).
    pub rrule: Option<String>,
    /// Instances removed from the series.
    pub exdates: Vec<EventTime>,
    /// Instances added to the series.
    pub rdates: Vec<EventTime>,
    /// For a changed instance: which instance of the series it replaces.
    pub recurrence_id: Option<EventTime>,
    /// For a changed instance: it changes that instance and every later one
    /// (`RANGE=THISANDFUTURE`).
    pub this_and_future: bool,
    /// `STATUS:CANCELLED`.
    pub cancelled: bool,
    /// `TRANSP:TRANSPARENT`: shown, but not busy time.
    pub transparent: bool,
    /// `SEQUENCE`: the revision.
    pub sequence: u32,
}

/// What [`parse_calendar`] read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedCalendar {
    /// The events that could be read.
    pub events: Vec<CalendarEvent>,
    /// The ones that could not: their UID (when readable) and why.
    pub skipped: Vec<(Option<String>, String)>,
}

/// Reads the `VEVENT`s of an iCalendar text. Fails only when the text is not iCalendar at all;
/// an unreadable event is skipped and reported.
pub fn parse_calendar(text: &str) -> Result<ParsedCalendar> {
    let unfolded = unfold(text);
    let calendar = read_calendar(&unfolded).map_err(|reason| Error::Ical {
        reason: format!("not an iCalendar object: {}", first_line(&reason)),
    })?;
    let zones = custom_zones(&calendar.components);
    let mut out = ParsedCalendar::default();
    for component in calendar
        .components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
    {
        match event(component, &zones) {
            Ok(event) => out.events.push(event),
            Err(reason) => out
                .skipped
                .push((prop(component, "UID").map(|p| text_value(p)), reason)),
        }
    }
    Ok(out)
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or(text)
}

/// `VTIMEZONE`s whose TZID is not an IANA name but that say which zone they are
/// (`X-LIC-LOCATION`, written by Mozilla and Apple).
fn custom_zones(components: &[Component<'_>]) -> Vec<(String, Tz)> {
    components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VTIMEZONE"))
        .filter_map(|c| {
            let id = prop(c, "TZID")?.val.as_str().to_owned();
            let location = prop(c, "X-LIC-LOCATION")?.val.as_str().parse().ok()?;
            Some((id, location))
        })
        .collect()
}

fn prop<'a>(component: &'a Component<'a>, name: &str) -> Option<&'a Property<'a>> {
    component
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn props<'a>(
    component: &'a Component<'a>,
    name: &'a str,
) -> impl Iterator<Item = &'a Property<'a>> {
    component
        .properties
        .iter()
        .filter(move |p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param<'a>(property: &'a Property<'a>, key: &str) -> Option<&'a str> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

fn text_value(property: &Property<'_>) -> String {
    property.val.clone().unescape_text().as_str().to_owned()
}

fn event(
    component: &Component<'_>,
    zones: &[(String, Tz)],
) -> std::result::Result<CalendarEvent, String> {
    let uid = prop(component, "UID")
        .map(text_value)
        .ok_or("it has no UID")?;
    let start = prop(component, "DTSTART").ok_or("it has no DTSTART")?;
    let start = times(start, zones)?
        .into_iter()
        .next()
        .ok_or("DTSTART is empty")?;
    let end = prop(component, "DTEND")
        .map(|p| times(p, zones).map(|t| t.into_iter().next()))
        .transpose()?
        .flatten();
    let duration = prop(component, "DURATION")
        .map(|p| parse_duration(p.val.as_str()))
        .transpose()?;
    let mut exdates = Vec::new();
    for p in props(component, "EXDATE") {
        exdates.extend(times(p, zones)?);
    }
    let mut rdates = Vec::new();
    for p in props(component, "RDATE") {
        if param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("PERIOD")) {
            return Err("RDATE periods are not supported; give RDATE date-times".to_owned());
        }
        rdates.extend(times(p, zones)?);
    }
    let recurrence = prop(component, "RECURRENCE-ID");
    let recurrence_id = recurrence
        .map(|p| times(p, zones).map(|t| t.into_iter().next()))
        .transpose()?
        .flatten();
    let this_and_future = recurrence
        .and_then(|p| param(p, "RANGE"))
        .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"));
    let upper =
        |name: &str| prop(component, name).map(|p| p.val.as_str().trim().to_ascii_uppercase());
    Ok(CalendarEvent {
        uid,
        summary: prop(component, "SUMMARY")
            .map(text_value)
            .unwrap_or_default(),
        location: prop(component, "LOCATION").map(text_value),
        description: prop(component, "DESCRIPTION").map(text_value),
        start,
        end,
        duration,
        rrule: prop(component, "RRULE").map(|p| p.val.as_str().trim().to_owned()),
        exdates,
        rdates,
        recurrence_id,
        this_and_future,
        cancelled: upper("STATUS").as_deref() == Some("CANCELLED"),
        transparent: upper("TRANSP").as_deref() == Some("TRANSPARENT"),
        sequence: prop(component, "SEQUENCE")
            .and_then(|p| p.val.as_str().trim().parse().ok())
            .unwrap_or(0),
    })
}

/// The times of a date or date-time property (a list for EXDATE and RDATE).
fn times(
    property: &Property<'_>,
    zones: &[(String, Tz)],
) -> std::result::Result<Vec<EventTime>, String> {
    let name = property.name.as_str().to_ascii_uppercase();
    let is_date = param(property, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    let zone = param(property, "TZID")
        .map(|id| zone(id, zones))
        .transpose()?;
    property
        .val
        .as_str()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|value| {
            let bad = || format!("{name} {value:?} is not a date or date-time");
            if is_date || (value.len() == 8 && !value.contains('T')) {
                return NaiveDate::parse_from_str(value, "%Y%m%d")
                    .map(EventTime::Date)
                    .map_err(|_| bad());
            }
            if let Some(utc) = value.strip_suffix('Z').or_else(|| value.strip_suffix('z')) {
                return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                    .map(|t| EventTime::Utc(Utc.from_utc_datetime(&t)))
                    .map_err(|_| bad());
            }
            let wall = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
            Ok(match zone {
                Some(tz) => EventTime::Zoned(wall, tz),
                None => EventTime::Floating(wall),
            })
        })
        .collect()
}

/// A TZID: an IANA name (also at the end of a path, as `/mozilla.org/…/Europe/Berlin`), a
/// `VTIMEZONE` of the object naming its location, or a Windows zone name (Outlook, Exchange).
fn zone(id: &str, zones: &[(String, Tz)]) -> std::result::Result<Tz, String> {
    if let Ok(tz) = id.parse::<Tz>() {
        return Ok(tz);
    }
    if let Some((_, tz)) = zones.iter().find(|(name, _)| name == id) {
        return Ok(*tz);
    }
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    for n in [3, 2] {
        if parts.len() >= n
            && let Ok(tz) = parts[parts.len() - n..].join("/").parse::<Tz>()
        {
            return Ok(tz);
        }
    }
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(id))
        .and_then(|(_, iana)| iana.parse().ok())
        .ok_or_else(|| {
            format!("TZID {id:?} is not a time zone fa knows (an IANA name such as Europe/Berlin)")
        })
}

/// A zone by IANA or Windows name (Microsoft Graph gives either).
#[cfg(feature = "outlook")]
pub(crate) fn zone_named(id: &str) -> Option<Tz> {
    zone(id, &[]).ok()
}

/// Windows zone names as Outlook and Exchange write them, with their IANA zone (CLDR's
/// windowsZones.xml, territory 001).
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("UTC", "UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("Eastern Standard Time", "America/New_York"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("India Standard Time", "Asia/Kolkata"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
];

/// An RFC 5545 duration: `P1D`, `PT1H30M`, `-PT15M`, `P2W`.
fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let bad = || format!("DURATION {text:?} is not an iCalendar duration (e.g. PT1H30M)");
    let trimmed = text.trim();
    let (sign, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let rest = rest.strip_prefix('P').ok_or_else(bad)?;
    let mut total = Duration::zero();
    let mut number = String::new();
    let mut in_time = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' => in_time = true,
            unit => {
                let n: i64 = number.parse().map_err(|_| bad())?;
                number.clear();
                total += match (unit, in_time) {
                    ('W', false) => Duration::weeks(n),
                    ('D', false) => Duration::days(n),
                    ('H', true) => Duration::hours(n),
                    ('M', true) => Duration::minutes(n),
                    ('S', true) => Duration::seconds(n),
                    _ => return Err(bad()),
                };
            }
        }
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(total * sign)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("P1DT2H"), Ok(Duration::hours(26)));
        assert_eq!(parse_duration("P2W"), Ok(Duration::weeks(2)));
        assert_eq!(parse_duration("-PT15M"), Ok(Duration::minutes(-15)));
        assert!(parse_duration("1H").is_err());
        assert!(parse_duration("PT1").is_err());
        assert!(parse_duration("P1H").is_err());
    }

    #[test]
    fn zones_by_iana_name_path_vtimezone_and_windows_name() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(zone("Europe/Berlin", &[]), Ok(berlin));
        assert_eq!(
            zone("/mozilla.org/20050126_1/Europe/Berlin", &[]),
            Ok(berlin)
        );
        assert_eq!(zone("W. Europe Standard Time", &[]), Ok(berlin));
        assert_eq!(
            zone("Custom Zone", &[("Custom Zone".to_owned(), berlin)]),
            Ok(berlin)
        );
        assert!(
            zone("Mars/Olympus", &[])
                .unwrap_err()
                .contains("Mars/Olympus")
        );
    }
}
