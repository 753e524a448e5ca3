//! RFC 5545 recurrence rules on the wall clock: [`WallRule`] enumerates an RRULE's occurrences
//! (with EXDATEs and RDATEs) as naive wall-clock times, in order; the caller maps them to
//! instants in its own time zone by its own rules (the scheduler fires a time in a DST gap at
//! the transition; calendars follow RFC 5545 and shift it by the gap).
//!
//! The rrule crate is given DTSTART, EXDATEs and RDATEs written in UTC and its output is read
//! back as wall-clock times, so it does no zone arithmetic. `UNTIL` is taken out before the
//! crate sees the rule, because the crate reads a value without `Z` in the machine's local zone
//! (not the rule's, and not pure) and refuses it next to a DTSTART in UTC: a wall-clock `UNTIL`
//! ends [`WallRule::wall_times`], an instant `UNTIL` is left to the caller ([`WallRule::until`]),
//! who knows the zone.
//!
//! ```
//! use fa_core::recurrence::WallRule;
//!
//! let start = "2026-03-27T09:00:00".parse().unwrap();
//! let exdate = "2026-03-28T09:00:00".parse().unwrap();
//! let rule = WallRule::parse("FREQ=DAILY;COUNT=3", start, &[exdate], &[]).unwrap();
//! let days: Vec<String> = rule.wall_times().map(|t| t.to_string()).collect();
//! assert_eq!(days, ["2026-03-27 09:00:00", "2026-03-29 09:00:00"]);
//! ```

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

/// The inclusive end of an RRULE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// `UNTIL=...Z`: an instant.
    Instant(DateTime<Utc>),
    /// `UNTIL` without `Z`: a wall-clock time in the rule's zone (a date alone: through the end
    /// of that day).
    Wall(NaiveDateTime),
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleError {
    /// The rule itself is not valid; the rrule crate's reason.
    Rule(String),
    /// `UNTIL` is given twice.
    UntilTwice,
    /// `UNTIL` has this value, which is not a date or date-time.
    Until(String),
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleError::Rule(reason) => write!(f, "{reason}"),
            RuleError::UntilTwice => write!(f, "UNTIL is given twice"),
            RuleError::Until(value) => write!(
                f,
                "UNTIL={value} is not a date-time (YYYYMMDDTHHMMSSZ, YYYYMMDDTHHMMSS or YYYYMMDD)"
            ),
        }
    }
}

impl std::error::Error for RuleError {}

/// An RRULE ready to enumerate on the wall clock.
#[derive(Debug, Clone)]
pub struct WallRule {
    set: rrule::RRuleSet,
    until: Option<Until>,
}

impl WallRule {
    /// The rule (the value after `RRULE:`, with or without that prefix) from the wall-clock
    /// `start`, without the `exdates` and with the `rdates` (wall-clock times too).
    pub fn parse(
        rule: &str,
        start: NaiveDateTime,
        exdates: &[NaiveDateTime],
        rdates: &[NaiveDateTime],
    ) -> Result<Self, RuleError> {
        let body = strip_prefix_ignore_case(rule.trim(), "RRULE:");
        let mut until = None;
        let mut parts = Vec::new();
        for part in body.split(';') {
            match part.split_once('=') {
                Some((key, value)) if key.trim().eq_ignore_ascii_case("UNTIL") => {
                    if until.is_some() {
                        return Err(RuleError::UntilTwice);
                    }
                    until = Some(parse_until(value.trim())?);
                }
                _ => parts.push(part),
            }
        }
        let unvalidated = rrule::RRule::<rrule::Unvalidated>::from_str(&parts.join(";"))
            .map_err(|e| RuleError::Rule(e.to_string()))?;
        let dt_start = wall_clock(start.with_nanosecond(0).unwrap_or(start));
        let set = unvalidated
            .build(dt_start)
            .map_err(|e| RuleError::Rule(e.to_string()))?
            .set_exdates(exdates.iter().copied().map(wall_clock).collect())
            .set_rdates(rdates.iter().copied().map(wall_clock).collect())
            // Bounds the crate's own search for a rule that matches nothing (BYMONTHDAY=30 in
            // February); without it that search would not end.
            .limit();
        Ok(Self { set, until })
    }

    /// The rule's `UNTIL`, if it has one.
    pub fn until(&self) -> Option<Until> {
        self.until
    }

    /// The occurrences as wall-clock times, in order, from the start; a wall-clock `UNTIL`
    /// ends them (an instant `UNTIL` is the caller's to apply). Unbounded rules never end:
    /// callers stop at their own horizon and count what they pass over.
    pub fn wall_times(&self) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let until = match self.until {
            Some(Until::Wall(end)) => Some(end),
            _ => None,
        };
        (&self.set)
            .into_iter()
            .map(|t| t.naive_utc())
            .take_while(move |wall| until.is_none_or(|end| *wall <= end))
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> &'a str {
    match s.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => s.get(prefix.len()..).unwrap_or(s),
        _ => s,
    }
}

/// Reads an `UNTIL` value: `YYYYMMDDTHHMMSSZ` (an instant), `YYYYMMDDTHHMMSS` (wall clock) or
/// `YYYYMMDD` (wall clock, through the end of that day).
fn parse_until(value: &str) -> Result<Until, RuleError> {
    let upper = value.to_ascii_uppercase();
    let parsed = if let Some(utc) = upper.strip_suffix('Z') {
        NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .ok()
            .map(|t| Until::Instant(Utc.from_utc_datetime(&t)))
    } else if upper.contains('T') {
        NaiveDateTime::parse_from_str(&upper, "%Y%m%dT%H%M%S")
            .ok()
            .map(Until::Wall)
    } else {
        NaiveDate::parse_from_str(&upper, "%Y%m%d")
            .ok()
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .map(Until::Wall)
    };
    parsed.ok_or_else(|| RuleError::Until(value.to_owned()))
}

/// A wall-clock time as the rrule crate sees it: written in UTC, so the crate does no zone
/// arithmetic and its output reads back as the same wall clock.
fn wall_clock(t: NaiveDateTime) -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&t)
}
