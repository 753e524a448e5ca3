//! When a scheduled job fires: the [`Trigger`] type, its validation and its next-instant maths.
//!
//! Everything here is pure: the time zone and the current instant are always passed in.
//!
//! # Wall clock, not the libraries' own time zone handling
//!
//! Cron expressions and RRULEs describe wall-clock times, and fa maps each wall-clock candidate
//! to an instant itself with [`resolve_local`] (a time in a DST gap fires at the transition, a
//! time in an overlap fires once, at the earlier instant). Both libraries can evaluate in a
//! named zone themselves, but neither follows those rules in every case:
//!
//! - croner, given a `DateTime<chrono_tz::Tz>`, follows the OCPS rules: a *fixed-time* pattern
//!   (one value each in the second, minute and hour fields, e.g. `30 2 * * *`) behaves as fa
//!   wants (gap: fires at the transition; overlap: once, at the earlier instant), but any other
//!   pattern (`*/15 * * * *`, `0 1-3 * * *`, `15,45 2 * * *`) skips the wall-clock times in a
//!   gap and fires *twice* for those in an overlap, once on each half.
//! - rrule, given a DTSTART in a named zone, shifts a time in a gap by the gap's length (a daily
//!   02:30 in Europe/Berlin fires at 03:30 CEST on the spring-forward day, as RFC 5545 says),
//!   and it cannot start at a wall-clock time in a gap or an overlap at all (chrono cannot build
//!   the DTSTART). In an overlap it picks the earlier instant, as fa does.
//!
//! So both are asked for naive wall-clock candidates only (croner on `NaiveDateTime`, rrule with
//! DTSTART and EXDATEs written in UTC and read back as wall-clock times), and fa does the
//! mapping. Because [`resolve_local`] never decreases as the wall-clock time increases,
//! candidates taken in wall-clock order give instants in order; equal instants (several
//! candidates in one gap) are collapsed, so the instants returned are strictly increasing.
//! The search can also start right at the wall-clock reading of `after`: no candidate at or
//! before that reading can map to an instant after `after`.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::errors::CronError;
use serde::{Deserialize, Serialize};

use super::local_time::{local, resolve_local};
use crate::recurrence::{RuleError, Until, WallRule};
use crate::{Error, Result};

/// The longest cron expression accepted, in bytes.
pub const MAX_CRON_LEN: usize = 256;

/// The longest RRULE accepted, in bytes.
pub const MAX_RRULE_LEN: usize = 1024;

/// The most EXDATEs one RRULE trigger may carry.
pub const MAX_EXDATES: usize = 1000;

/// The longest interval accepted: ten years (of 366 days), in seconds. Anything longer is
/// almost certainly a unit mistake.
pub const MAX_INTERVAL_SECS: u64 = 10 * 366 * 24 * 60 * 60;

/// The most instants [`Trigger::upcoming`] returns.
pub const MAX_UPCOMING: usize = 1000;

/// Wall-clock candidates a cron search may pass over before finding the next instant. Only
/// candidates in the later half of an overlap are ever passed over (at most two hours' worth,
/// 7200 for a per-second pattern), so hitting this means something is wrong, not slow.
const MAX_CANDIDATES: usize = 10_000;

/// Occurrences an RRULE search may enumerate from the rule's start. The rrule crate can only
/// iterate from DTSTART, so a minutely rule started years ago costs this much; a daily rule
/// reaches it after 2700 years.
const MAX_RRULE_SCAN: usize = 1_000_000;

/// An example for error messages about cron expressions.
const CRON_HELP: &str = "give 5 fields separated by spaces (minute hour day-of-month month \
     day-of-week), e.g. \"0 9 * * MON-FRI\"; a leading seconds field, a trailing year field \
     and @hourly/@daily/@weekly/@monthly/@yearly are accepted too";

/// An example for error messages about RRULEs.
const RRULE_HELP: &str = "give the value after \"RRULE:\" on one line, without DTSTART (the \
     trigger's start is the DTSTART), e.g. \"FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=8;BYMINUTE=0\"";

/// When a job fires.
///
/// `Once` and `Interval` are instants on the real time line. `Cron` and `Rrule` describe
/// wall-clock times in the job's time zone (passed to every method as `tz`), and each
/// wall-clock time becomes an instant by fa's DST rules:
///
/// - **Gap** (spring forward): a wall-clock time that does not exist fires at the transition,
///   the first valid instant after it. `30 2 * * *` in Europe/Berlin fires at 03:00 CEST on
///   2026-03-29. When several candidates fall in one gap (`0,15,30,45 * * * *` at 02:00, 02:15, 02:30
///   and 02:45) they fire once, together, at the transition.
/// - **Overlap** (fall back): a wall-clock time that shows twice fires once, at the earlier
///   instant. `30 2 * * *` in Europe/Berlin fires at 02:30 CEST on 2026-10-25 and not again at
///   02:30 CET; `0,15,30,45 * * * *` does not repeat the 02:xx hour.
///
/// Instants from [`next_after`](Self::next_after) and [`upcoming`](Self::upcoming) are
/// strictly increasing, whatever the zone does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Trigger {
    /// Once, at an instant.
    Once {
        /// The instant to fire at.
        at: DateTime<Utc>,
    },
    /// Every `every_secs` seconds from `start` (start, start+every, ...): a fixed period of real
    /// time, not wall-clock, so a DST change does not move it.
    Interval {
        /// The first firing; later ones follow at whole multiples of the period.
        start: DateTime<Utc>,
        /// The period, in seconds; at least 1 and at most ten years
        /// (`MAX_INTERVAL_SECS`).
        every_secs: u64,
    },
    /// A cron expression evaluated on the wall clock of the job's time zone: 5 fields (minute
    /// hour day-of-month month day-of-week), or 6 with seconds first, or 7 with a year last, or
    /// a nickname (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`), as croner parses them.
    /// Day-of-month and day-of-week match if either does (Vixie cron); `+` before the weekday
    /// asks for both, and `L`, `W` and `#` are understood.
    Cron {
        /// The expression, at most 256 bytes (`MAX_CRON_LEN`).
        expr: String,
    },
    /// An RFC 5545 RRULE starting at the wall-clock `start` in the job's time zone, without the
    /// EXDATE wall-clock instants.
    ///
    /// `start` is the first occurrence only if the rule matches it (the rrule crate's reading,
    /// as python-dateutil's); its sub-second part is ignored. `COUNT` counts wall-clock
    /// occurrences before EXDATEs are taken out (occurrences that share one gap still fire
    /// once). `UNTIL` bounds the rule inclusively: with a trailing `Z`
    /// (`UNTIL=20260401T000000Z`, as RFC 5545 asks) it is an instant; without one it is read on
    /// the job's wall clock, and a bare date (`UNTIL=20260401`) includes that whole day.
    ///
    /// Each evaluation enumerates occurrences from `start`, as the rrule crate cannot seek;
    /// more than a million of them before the instant asked about is an error, which a
    /// minutely rule reaches after about two years. Frequent jobs suit cron better.
    Rrule {
        /// The value after `RRULE:`, e.g. `FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=8;BYMINUTE=0`; at most
        /// 1024 bytes (`MAX_RRULE_LEN`).
        rule: String,
        /// Wall-clock DTSTART in the job's time zone.
        start: NaiveDateTime,
        /// Wall-clock occurrences to skip; one matches an occurrence when they agree to the
        /// second. At most 1000 (`MAX_EXDATES`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        exdates: Vec<NaiveDateTime>,
    },
}

impl Trigger {
    /// Fires once, at `at`.
    pub fn once(at: DateTime<Utc>) -> Self {
        Self::Once { at }
    }

    /// Fires at `start`, then every `every` of real time.
    ///
    /// The sub-second part of `every` is dropped, so a period under one second becomes zero,
    /// which [`validate`](Self::validate) refuses.
    pub fn interval(start: DateTime<Utc>, every: Duration) -> Self {
        Self::Interval {
            start,
            every_secs: every.as_secs(),
        }
    }

    /// Fires on the wall-clock times the cron expression `expr` matches.
    pub fn cron(expr: impl Into<String>) -> Self {
        Self::Cron { expr: expr.into() }
    }

    /// Fires on the wall-clock times the RRULE `rule` produces from the wall-clock `start`.
    pub fn rrule(rule: impl Into<String>, start: NaiveDateTime) -> Self {
        Self::Rrule {
            rule: rule.into(),
            start,
            exdates: Vec::new(),
        }
    }

    /// Adds wall-clock occurrences to skip to an RRULE trigger.
    ///
    /// Only an RRULE has exdates: on any other trigger this fails with `"trigger.exdates"`,
    /// rather than dropping them silently.
    pub fn with_exdates(mut self, extra: impl IntoIterator<Item = NaiveDateTime>) -> Result<Self> {
        let Self::Rrule { exdates, .. } = &mut self else {
            return Err(Error::invalid(
                "trigger.exdates",
                "only an RRULE trigger can skip dates; express the exception in the cron \
                 expression or use an RRULE",
            ));
        };
        exdates.extend(extra);
        Ok(self)
    }

    /// Whether the trigger can fire more than once.
    pub fn is_recurring(&self) -> bool {
        !matches!(self, Self::Once { .. })
    }

    /// Checks that the trigger is well-formed and will fire after `now`.
    ///
    /// Errors are [`Error::InvalidInput`] whose field names the part at fault (`"trigger.at"`,
    /// `"trigger.every"`, `"trigger.cron"`, `"trigger.rrule"`, `"trigger.exdates"`) and whose
    /// reason says what would be accepted.
    pub fn validate(&self, tz: Tz, now: DateTime<Utc>) -> Result<()> {
        match self {
            Self::Once { at } => {
                if *at <= now {
                    return Err(Error::invalid(
                        "trigger.at",
                        format!(
                            "{} is in the past (now is {}); give a future instant",
                            at.to_rfc3339(),
                            now.to_rfc3339()
                        ),
                    ));
                }
                Ok(())
            }
            // Any start is fine: one in the past only sets the phase.
            Self::Interval { every_secs, .. } => period(*every_secs).map(|_| ()),
            Self::Cron { expr } => {
                parse_cron(expr)?;
                self.expect_future(tz, now, "trigger.cron", || {
                    format!(
                        "\"{expr}\" never fires after now: no date matches it (such as \
                         February 30, or a year that has passed); check the day-of-month, \
                         month and year fields"
                    )
                })
            }
            Self::Rrule { rule, start, .. } => {
                parse_rrule(self)?;
                self.expect_future(tz, now, "trigger.rrule", || {
                    format!(
                        "\"{rule}\" from {start} produces no occurrence after now ({}): \
                         COUNT or UNTIL has ended it, EXDATEs remove the rest, or no date \
                         matches it",
                        now.to_rfc3339()
                    )
                })
            }
        }
    }

    /// The first firing instant strictly after `after`, or `None` when it will never fire
    /// again (a one-shot already passed, an RRULE ended by COUNT or UNTIL).
    pub fn next_after(&self, tz: Tz, after: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        Ok(self.instants_after(tz, after, 1)?.into_iter().next())
    }

    /// The first firing instant at or after `at`: a one-shot at exactly `at` fires at `at`, an
    /// interval whose start is at or after `at` fires first at its start.
    pub fn first_at_or_after(&self, tz: Tz, at: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        // Instants have nanosecond resolution, so "at or after `at`" is exactly "after the
        // nanosecond before"; the searches need only one, exclusive, form.
        match at.checked_sub_signed(TimeDelta::nanoseconds(1)) {
            Some(before) => self.next_after(tz, before),
            None => self.next_after(tz, at),
        }
    }

    /// The next `n` firing instants strictly after `after`, in increasing order; fewer when
    /// the trigger ends sooner. `n` is capped at 1000 (`MAX_UPCOMING`).
    pub fn upcoming(&self, tz: Tz, after: DateTime<Utc>, n: usize) -> Result<Vec<DateTime<Utc>>> {
        self.instants_after(tz, after, n.min(MAX_UPCOMING))
    }

    /// Turns "never fires after now" into a validation error for `field`.
    fn expect_future(
        &self,
        tz: Tz,
        now: DateTime<Utc>,
        field: &'static str,
        reason: impl FnOnce() -> String,
    ) -> Result<()> {
        match self.next_after(tz, now)? {
            Some(_) => Ok(()),
            None => Err(Error::invalid(field, reason())),
        }
    }

    /// Up to `n` strictly increasing instants after `after`.
    fn instants_after(&self, tz: Tz, after: DateTime<Utc>, n: usize) -> Result<Vec<DateTime<Utc>>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        match self {
            Self::Once { at } => Ok(if *at > after { vec![*at] } else { Vec::new() }),
            Self::Interval { start, every_secs } => interval_after(*start, *every_secs, after, n),
            Self::Cron { expr } => {
                let cron = parse_cron(expr)?;
                cron_after(&cron, tz, after, n, &mut 0)
            }
            Self::Rrule { .. } => rrule_after(&parse_rrule(self)?, tz, after, n),
        }
    }
}

/// The interval period as a `TimeDelta`, refusing zero and absurd lengths.
fn period(every_secs: u64) -> Result<TimeDelta> {
    if every_secs == 0 {
        return Err(Error::invalid(
            "trigger.every",
            "is zero (or under one second); give a period of at least one second, e.g. 3600 \
             for hourly",
        ));
    }
    if every_secs > MAX_INTERVAL_SECS {
        return Err(Error::invalid(
            "trigger.every",
            format!(
                "is {every_secs} seconds, over ten years; give at most {MAX_INTERVAL_SECS} \
                 seconds (for yearly and rarer jobs a cron expression or RRULE fits better)"
            ),
        ));
    }
    i64::try_from(every_secs)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(|| Error::invalid("trigger.every", "is out of range"))
}

fn interval_after(
    start: DateTime<Utc>,
    every_secs: u64,
    after: DateTime<Utc>,
    n: usize,
) -> Result<Vec<DateTime<Utc>>> {
    let every = period(every_secs)?;
    let first = if after < start {
        Some(start)
    } else {
        // Whole periods elapsed, rounded down (the difference is not negative, so truncating
        // the seconds rounds down), plus one: the first firing strictly after `after`.
        let elapsed = after.signed_duration_since(start).num_seconds();
        let periods = elapsed / every.num_seconds() + 1;
        periods
            .checked_mul(every.num_seconds())
            .and_then(TimeDelta::try_seconds)
            .and_then(|offset| start.checked_add_signed(offset))
    };
    let mut out = Vec::new();
    let mut next = first;
    while let Some(instant) = next {
        out.push(instant);
        if out.len() >= n {
            break;
        }
        // Past the end of representable time the interval simply ends.
        next = instant.checked_add_signed(every);
    }
    Ok(out)
}

/// Refuses text over `max` bytes or with control characters (NUL, tabs, line breaks): no valid
/// expression needs them, and they would garble the messages and logs that quote it.
fn check_text(field: &'static str, text: &str, max: usize, help: &str) -> Result<()> {
    if text.len() > max {
        let len = text.len();
        return Err(Error::invalid(
            field,
            format!("is {len} bytes long, over the limit of {max}; {help}"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("contains a control character (NUL, tab or line break); {help}"),
        ));
    }
    Ok(())
}

/// Parses a cron expression after the length and character checks croner does not make.
fn parse_cron(expr: &str) -> Result<Cron> {
    check_text("trigger.cron", expr, MAX_CRON_LEN, CRON_HELP)?;
    Cron::from_str(expr).map_err(|e| {
        Error::invalid(
            "trigger.cron",
            format!("\"{expr}\" is not a cron expression ({e}); {CRON_HELP}"),
        )
    })
}

/// Up to `n` instants after `after` for `cron` on the wall clock of `tz`; `examined` counts
/// the wall-clock candidates looked at, so tests can check the search stays short.
fn cron_after(
    cron: &Cron,
    tz: Tz,
    after: DateTime<Utc>,
    n: usize,
    examined: &mut usize,
) -> Result<Vec<DateTime<Utc>>> {
    let mut out = Vec::new();
    let mut last = after;
    // No candidate at or before the wall-clock reading of `after` maps past `after` (see the
    // module docs), so the search starts right there, exclusively.
    let mut cursor = local(after, tz);
    let mut passed_over = 0;
    while out.len() < n {
        let candidate = match cron.find_next_occurrence(&cursor, false) {
            Ok(candidate) => candidate,
            // croner gives up at year 5000: nothing matches from here on.
            Err(CronError::TimeSearchLimitExceeded) => break,
            Err(e) => {
                return Err(Error::invalid(
                    "trigger.cron",
                    format!("cannot be evaluated after {cursor}: {e}"),
                ));
            }
        };
        *examined += 1;
        cursor = candidate;
        let instant = resolve_local(candidate, tz);
        if instant > last {
            out.push(instant);
            last = instant;
            passed_over = 0;
        } else {
            // Another candidate in the same gap, or one in an overlap's later half.
            passed_over += 1;
            if passed_over >= MAX_CANDIDATES {
                return Err(Error::invalid(
                    "trigger.cron",
                    format!(
                        "found no instant after {} within {MAX_CANDIDATES} wall-clock \
                         candidates; the time zone data is unusual around {cursor}",
                        last.to_rfc3339()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Parses and validates an RRULE trigger's rule, start and exdates.
fn parse_rrule(trigger: &Trigger) -> Result<WallRule> {
    let Trigger::Rrule {
        rule,
        start,
        exdates,
    } = trigger
    else {
        return Err(Error::invalid("trigger.rrule", "is not an RRULE trigger"));
    };
    check_text("trigger.rrule", rule, MAX_RRULE_LEN, RRULE_HELP)?;
    if exdates.len() > MAX_EXDATES {
        return Err(Error::invalid(
            "trigger.exdates",
            format!(
                "has {} dates, over the limit of {MAX_EXDATES}; end the rule with UNTIL or \
                 COUNT, or split it",
                exdates.len()
            ),
        ));
    }
    WallRule::parse(rule, *start, exdates, &[]).map_err(|e| rule_error(rule, e))
}

fn rule_error(rule: &str, error: RuleError) -> Error {
    let reason = match error {
        RuleError::Rule(e) => format!("\"{rule}\" is not a valid RRULE ({e}); {RRULE_HELP}"),
        RuleError::UntilTwice => format!("\"{rule}\" has UNTIL twice; give it once"),
        RuleError::Until(value) => format!(
            "\"{rule}\" has UNTIL={value}, which is not a date-time; give \
             UNTIL=YYYYMMDDTHHMMSSZ (UTC), UNTIL=YYYYMMDDTHHMMSS (wall clock) or \
             UNTIL=YYYYMMDD (through that day)"
        ),
    };
    Error::invalid("trigger.rrule", reason)
}

fn rrule_after(
    parsed: &WallRule,
    tz: Tz,
    after: DateTime<Utc>,
    n: usize,
) -> Result<Vec<DateTime<Utc>>> {
    let floor = local(after, tz);
    let mut out = Vec::new();
    let mut last = after;
    for (scanned, wall) in parsed.wall_times().enumerate() {
        if scanned >= MAX_RRULE_SCAN {
            return Err(Error::invalid(
                "trigger.rrule",
                format!(
                    "has over {MAX_RRULE_SCAN} occurrences between its start and {}; move the \
                     start closer to now",
                    after.to_rfc3339()
                ),
            ));
        }
        if wall <= floor {
            // Maps to `after` or earlier (see the module docs): no need to resolve it.
            continue;
        }
        let instant = resolve_local(wall, tz);
        // Instants never decrease along the enumeration, so the first one past UNTIL ends it.
        if matches!(parsed.until(), Some(Until::Instant(end)) if instant > end) {
            break;
        }
        if instant > last {
            out.push(instant);
            last = instant;
            if out.len() >= n {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use serde_json::json;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;
    const NEW_YORK: Tz = chrono_tz::America::New_York;
    const LORD_HOWE: Tz = chrono_tz::Australia::Lord_Howe;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn wall(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    fn utcs(list: &[&str]) -> Vec<DateTime<Utc>> {
        list.iter().map(|s| utc(s)).collect()
    }

    /// The field and reason of an `InvalidInput`, failing the test on anything else.
    fn invalid(result: Result<()>) -> (&'static str, String) {
        match result {
            Err(Error::InvalidInput { field, reason }) => (field, reason),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn assert_strictly_increasing(instants: &[DateTime<Utc>]) {
        for pair in instants.windows(2) {
            assert!(pair[0] < pair[1], "{} !< {}", pair[0], pair[1]);
        }
    }

    // --- Cron across DST ---

    #[test]
    fn cron_berlin_spring_forward_fires_at_the_transition() {
        let t = Trigger::cron("30 2 * * *");
        let got = t.upcoming(BERLIN, utc("2026-03-28T12:00:00Z"), 2).unwrap();
        // 03:00 CEST, then the ordinary 02:30 CEST.
        assert_eq!(got, utcs(&["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]));
    }

    #[test]
    fn cron_berlin_fall_back_fires_once_at_the_earlier_instant() {
        let t = Trigger::cron("30 2 * * *");
        let got = t.upcoming(BERLIN, utc("2026-10-24T12:00:00Z"), 2).unwrap();
        assert_eq!(got, utcs(&["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]));
        // Asked from just after the first 02:30, or from inside the repeated hour, it does not
        // fire at 02:30 CET (01:30Z) either.
        for after in [
            "2026-10-25T00:30:00Z",
            "2026-10-25T01:00:00Z",
            "2026-10-25T01:29:59Z",
        ] {
            assert_eq!(
                t.next_after(BERLIN, utc(after)).unwrap(),
                Some(utc("2026-10-26T01:30:00Z")),
                "after {after}"
            );
        }
    }

    #[test]
    fn cron_new_york_spring_forward_fires_at_the_transition() {
        let t = Trigger::cron("30 2 * * *");
        assert_eq!(
            t.next_after(NEW_YORK, utc("2026-03-07T12:00:00Z")).unwrap(),
            Some(utc("2026-03-08T07:00:00Z"))
        );
    }

    #[test]
    fn cron_new_york_fall_back_fires_once_at_the_earlier_instant() {
        let t = Trigger::cron("30 1 * * *");
        let got = t
            .upcoming(NEW_YORK, utc("2026-10-31T12:00:00Z"), 2)
            .unwrap();
        assert_eq!(got, utcs(&["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]));
        // 01:30 EST (06:30Z) on the day itself is never produced.
        assert_eq!(
            t.next_after(NEW_YORK, utc("2026-11-01T05:30:00Z")).unwrap(),
            Some(utc("2026-11-02T06:30:00Z"))
        );
    }

    #[test]
    fn cron_every_15_minutes_across_the_berlin_gap_collapses_onto_the_transition() {
        let t = Trigger::cron("*/15 * * * *");
        let got = t.upcoming(BERLIN, utc("2026-03-29T00:00:00Z"), 8).unwrap();
        assert_strictly_increasing(&got);
        // 01:15..01:45 CET, then 02:00..02:45 (missing) and 03:00 CEST all at 01:00Z, once.
        assert_eq!(
            got,
            utcs(&[
                "2026-03-29T00:15:00Z",
                "2026-03-29T00:30:00Z",
                "2026-03-29T00:45:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-29T01:15:00Z",
                "2026-03-29T01:30:00Z",
                "2026-03-29T01:45:00Z",
                "2026-03-29T02:00:00Z",
            ])
        );
    }

    #[test]
    fn cron_every_15_minutes_across_the_berlin_overlap_skips_the_repeated_hour() {
        let t = Trigger::cron("*/15 * * * *");
        let got = t.upcoming(BERLIN, utc("2026-10-24T23:00:00Z"), 9).unwrap();
        assert_strictly_increasing(&got);
        // 01:15..02:45 CEST, then straight to 03:00 CET: 02:00..02:45 CET (01:00Z..01:45Z)
        // would repeat wall-clock times already fired.
        assert_eq!(
            got,
            utcs(&[
                "2026-10-24T23:15:00Z",
                "2026-10-24T23:30:00Z",
                "2026-10-24T23:45:00Z",
                "2026-10-25T00:00:00Z",
                "2026-10-25T00:15:00Z",
                "2026-10-25T00:30:00Z",
                "2026-10-25T00:45:00Z",
                "2026-10-25T02:00:00Z",
                "2026-10-25T02:15:00Z",
            ])
        );
        // From inside the repeated hour the next one is 03:00 CET too.
        assert_eq!(
            t.next_after(BERLIN, utc("2026-10-25T01:20:00Z")).unwrap(),
            Some(utc("2026-10-25T02:00:00Z"))
        );
    }

    #[test]
    fn cron_lord_howe_half_hour_gap_fires_at_the_transition() {
        // 2026-10-04 02:00 LHST (+10:30) jumps to 02:30 LHDT (+11:00).
        let t = Trigger::cron("15 2 * * *");
        assert_eq!(
            t.next_after(LORD_HOWE, utc("2026-10-03T00:00:00Z"))
                .unwrap(),
            Some(utc("2026-10-03T15:30:00Z"))
        );
    }

    #[test]
    fn cron_with_seconds_and_nicknames_evaluate() {
        let t = Trigger::cron("30 0 9 * * *");
        assert_eq!(
            t.next_after(chrono_tz::UTC, utc("2026-05-01T00:00:00Z"))
                .unwrap(),
            Some(utc("2026-05-01T09:00:30Z"))
        );
        let t = Trigger::cron("@daily");
        assert_eq!(
            t.next_after(BERLIN, utc("2026-05-01T12:00:00Z")).unwrap(),
            Some(utc("2026-05-01T22:00:00Z"))
        );
    }

    #[test]
    fn cron_next_after_is_strict_even_with_subsecond_after() {
        let t = Trigger::cron("0 9 * * *");
        let nine = utc("2026-05-01T09:00:00Z");
        assert_eq!(
            t.next_after(chrono_tz::UTC, nine - TimeDelta::milliseconds(1))
                .unwrap(),
            Some(nine)
        );
        assert_eq!(
            t.next_after(chrono_tz::UTC, nine).unwrap(),
            Some(utc("2026-05-02T09:00:00Z"))
        );
        assert_eq!(
            t.next_after(chrono_tz::UTC, nine + TimeDelta::milliseconds(1))
                .unwrap(),
            Some(utc("2026-05-02T09:00:00Z"))
        );
        assert_eq!(
            t.first_at_or_after(chrono_tz::UTC, nine).unwrap(),
            Some(nine)
        );
    }

    #[test]
    fn cron_first_at_or_after_the_transition_includes_a_gap_time() {
        // 02:30 does not exist on 2026-03-29 in Berlin and fires at 03:00 CEST = 01:00Z; asked
        // inclusively from that very instant, it is still due.
        let t = Trigger::cron("30 2 * * *");
        let transition = utc("2026-03-29T01:00:00Z");
        assert_eq!(
            t.first_at_or_after(BERLIN, transition).unwrap(),
            Some(transition)
        );
    }

    #[test]
    fn cron_next_after_examines_few_candidates() {
        let cron = parse_cron("30 2 * * *").unwrap();
        for after in [
            "2026-05-01T12:00:00Z",
            "2026-03-28T12:00:00Z",
            "2026-10-24T12:00:00Z",
            "2026-10-25T00:30:00Z",
        ] {
            let mut examined = 0;
            let got = cron_after(&cron, BERLIN, utc(after), 1, &mut examined).unwrap();
            assert_eq!(got.len(), 1);
            // A daily pattern: the first candidate is the answer, even around transitions.
            assert_eq!(examined, 1, "{after}");
        }
        // A per-minute pattern asked from inside the repeated hour: every wall-clock minute of
        // it already fired on the first pass, so the search passes over 02:01..02:59 (59
        // candidates) and lands on 03:00 CET, and no further.
        let cron = parse_cron("* * * * *").unwrap();
        let mut examined = 0;
        let got = cron_after(&cron, BERLIN, utc("2026-10-25T01:00:00Z"), 1, &mut examined).unwrap();
        assert_eq!(got, utcs(&["2026-10-25T02:00:00Z"]));
        assert_eq!(examined, 60);
    }

    #[test]
    fn cron_that_ends_returns_none() {
        // A 7th field is a year: after 2027 this never fires again.
        let t = Trigger::cron("0 0 9 1 1 * 2027");
        assert_eq!(
            t.next_after(chrono_tz::UTC, utc("2026-06-01T00:00:00Z"))
                .unwrap(),
            Some(utc("2027-01-01T09:00:00Z"))
        );
        assert_eq!(
            t.next_after(chrono_tz::UTC, utc("2027-01-01T09:00:00Z"))
                .unwrap(),
            None
        );
    }

    // --- RRULE across DST ---

    #[test]
    fn rrule_berlin_spring_forward_fires_at_the_transition() {
        let t = Trigger::rrule("FREQ=DAILY", wall("2026-03-26T02:30:00"));
        let got = t.upcoming(BERLIN, utc("2026-03-28T12:00:00Z"), 2).unwrap();
        assert_eq!(got, utcs(&["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]));
    }

    #[test]
    fn rrule_berlin_fall_back_fires_once_at_the_earlier_instant() {
        let t = Trigger::rrule("FREQ=DAILY", wall("2026-10-22T02:30:00"));
        let got = t.upcoming(BERLIN, utc("2026-10-24T12:00:00Z"), 2).unwrap();
        assert_eq!(got, utcs(&["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]));
        assert_eq!(
            t.next_after(BERLIN, utc("2026-10-25T01:00:00Z")).unwrap(),
            Some(utc("2026-10-26T01:30:00Z"))
        );
    }

    #[test]
    fn rrule_new_york_spring_forward_fires_at_the_transition() {
        let t = Trigger::rrule("FREQ=DAILY", wall("2026-03-05T02:30:00"));
        let got = t
            .upcoming(NEW_YORK, utc("2026-03-07T12:00:00Z"), 2)
            .unwrap();
        assert_eq!(got, utcs(&["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"]));
    }

    #[test]
    fn rrule_new_york_fall_back_fires_once_at_the_earlier_instant() {
        let t = Trigger::rrule("FREQ=DAILY", wall("2026-10-29T01:30:00"));
        let got = t
            .upcoming(NEW_YORK, utc("2026-10-31T12:00:00Z"), 2)
            .unwrap();
        assert_eq!(got, utcs(&["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]));
    }

    #[test]
    fn rrule_starting_inside_a_gap_or_an_overlap_works() {
        let gap = Trigger::rrule("FREQ=DAILY;COUNT=2", wall("2026-03-29T02:30:00"));
        assert_eq!(
            gap.upcoming(BERLIN, utc("2026-03-01T00:00:00Z"), 5)
                .unwrap(),
            utcs(&["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])
        );
        let overlap = Trigger::rrule("FREQ=DAILY;COUNT=2", wall("2026-10-25T02:30:00"));
        assert_eq!(
            overlap
                .upcoming(BERLIN, utc("2026-10-01T00:00:00Z"), 5)
                .unwrap(),
            utcs(&["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
        );
    }

    #[test]
    fn rrule_minutely_across_the_berlin_gap_and_overlap_is_strictly_increasing() {
        let t = Trigger::rrule("FREQ=MINUTELY;INTERVAL=15", wall("2026-03-29T00:00:00"));
        let got = t.upcoming(BERLIN, utc("2026-03-29T00:00:00Z"), 8).unwrap();
        assert_strictly_increasing(&got);
        assert_eq!(
            got.iter()
                .filter(|i| **i == utc("2026-03-29T01:00:00Z"))
                .count(),
            1
        );

        let t = Trigger::rrule("FREQ=MINUTELY;INTERVAL=15", wall("2026-10-25T00:00:00"));
        let got = t.upcoming(BERLIN, utc("2026-10-24T23:00:00Z"), 9).unwrap();
        assert_strictly_increasing(&got);
        assert!(
            got.iter()
                .all(|i| *i < utc("2026-10-25T01:00:00Z") || *i >= utc("2026-10-25T02:00:00Z")),
            "{got:?}"
        );
    }

    // --- RRULE parts ---

    #[test]
    fn rrule_exdate_skips_a_day() {
        let t = Trigger::rrule(
            "FREQ=DAILY;BYHOUR=8;BYMINUTE=0",
            wall("2026-05-01T08:00:00"),
        )
        .with_exdates([wall("2026-05-03T08:00:00")])
        .unwrap();
        assert_eq!(
            t.upcoming(BERLIN, utc("2026-05-01T00:00:00Z"), 4).unwrap(),
            utcs(&[
                "2026-05-01T06:00:00Z",
                "2026-05-02T06:00:00Z",
                "2026-05-04T06:00:00Z",
                "2026-05-05T06:00:00Z",
            ])
        );
    }

    #[test]
    fn rrule_count_ends_it() {
        let t = Trigger::rrule(
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3",
            wall("2026-05-04T08:00:00"),
        );
        let got = t.upcoming(BERLIN, utc("2026-05-01T00:00:00Z"), 10).unwrap();
        assert_eq!(
            got,
            utcs(&[
                "2026-05-04T06:00:00Z",
                "2026-05-06T06:00:00Z",
                "2026-05-11T06:00:00Z",
            ])
        );
        assert_eq!(t.next_after(BERLIN, got[2]).unwrap(), None);
        assert!(t.is_recurring());
    }

    #[test]
    fn rrule_until_in_utc_is_an_inclusive_instant() {
        let start = wall("2026-05-01T08:00:00");
        let after = utc("2026-04-30T00:00:00Z");
        // 08:00 CEST is 06:00Z: the third day is exactly at UNTIL and included.
        let t = Trigger::rrule("FREQ=DAILY;UNTIL=20260503T060000Z", start);
        assert_eq!(t.upcoming(BERLIN, after, 10).unwrap().len(), 3);
        let t = Trigger::rrule("FREQ=DAILY;UNTIL=20260503T055959Z", start);
        let got = t.upcoming(BERLIN, after, 10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(t.next_after(BERLIN, got[1]).unwrap(), None);
        // Prefix and case are forgiven.
        let t = Trigger::rrule("rrule:freq=daily;until=20260503t060000z", start);
        assert_eq!(t.upcoming(BERLIN, after, 10).unwrap().len(), 3);
    }

    #[test]
    fn rrule_until_without_z_is_read_on_the_wall_clock() {
        let start = wall("2026-05-01T08:00:00");
        let after = utc("2026-04-30T00:00:00Z");
        let count = |rule: &str| {
            Trigger::rrule(rule, start)
                .upcoming(BERLIN, after, 10)
                .unwrap()
                .len()
        };
        assert_eq!(count("FREQ=DAILY;UNTIL=20260503T080000"), 3);
        assert_eq!(count("FREQ=DAILY;UNTIL=20260503T075959"), 2);
        // A bare date includes the whole day.
        assert_eq!(count("FREQ=DAILY;UNTIL=20260503"), 3);
        // COUNT and UNTIL together: whichever ends it first.
        assert_eq!(count("FREQ=DAILY;COUNT=2;UNTIL=20260503"), 2);
        assert_eq!(count("FREQ=DAILY;COUNT=5;UNTIL=20260503"), 3);
    }

    #[test]
    fn rrule_start_that_the_rule_does_not_match_is_not_an_occurrence() {
        // 2026-05-03 is a Sunday.
        let t = Trigger::rrule("FREQ=WEEKLY;BYDAY=MO", wall("2026-05-03T09:00:00"));
        assert_eq!(
            t.first_at_or_after(chrono_tz::UTC, utc("2026-05-01T00:00:00Z"))
                .unwrap(),
            Some(utc("2026-05-04T09:00:00Z"))
        );
    }

    #[test]
    fn rrule_too_many_occurrences_since_start_is_an_error() {
        let t = Trigger::rrule("FREQ=SECONDLY", wall("2026-01-01T00:00:00"));
        let (field, reason) = invalid(t.validate(chrono_tz::UTC, utc("2026-02-01T00:00:00Z")));
        assert_eq!(field, "trigger.rrule");
        assert!(reason.contains("move the start closer"), "{reason}");
    }

    // --- Interval and Once ---

    #[test]
    fn interval_fires_at_start_then_every_period() {
        let start = utc("2026-01-01T00:00:00Z");
        let t = Trigger::interval(start, Duration::from_secs(3600));
        let tz = BERLIN;
        assert_eq!(t.first_at_or_after(tz, start).unwrap(), Some(start));
        assert_eq!(
            t.first_at_or_after(tz, start - TimeDelta::days(3)).unwrap(),
            Some(start)
        );
        assert_eq!(
            t.next_after(tz, start).unwrap(),
            Some(start + TimeDelta::hours(1))
        );
        // Exactly on a boundary: the next one, not the same one.
        assert_eq!(
            t.next_after(tz, start + TimeDelta::hours(5)).unwrap(),
            Some(start + TimeDelta::hours(6))
        );
        assert_eq!(
            t.next_after(tz, start + TimeDelta::hours(5) - TimeDelta::nanoseconds(1))
                .unwrap(),
            Some(start + TimeDelta::hours(5))
        );
        assert_eq!(
            t.upcoming(tz, utc("2026-01-01T10:30:00Z"), 3).unwrap(),
            utcs(&[
                "2026-01-01T11:00:00Z",
                "2026-01-01T12:00:00Z",
                "2026-01-01T13:00:00Z",
            ])
        );
        assert!(t.is_recurring());
    }

    #[test]
    fn interval_is_real_time_and_ignores_dst() {
        let t = Trigger::interval(utc("2026-03-27T12:00:00Z"), Duration::from_secs(86_400));
        let got = t.upcoming(BERLIN, utc("2026-03-27T12:00:00Z"), 4).unwrap();
        // Noon UTC every day; the Berlin wall clock moves from 13:00 to 14:00, the firing does not.
        assert_eq!(
            got,
            utcs(&[
                "2026-03-28T12:00:00Z",
                "2026-03-29T12:00:00Z",
                "2026-03-30T12:00:00Z",
                "2026-03-31T12:00:00Z",
            ])
        );
    }

    #[test]
    fn interval_drops_subsecond_parts() {
        let start = utc("2026-01-01T00:00:00Z");
        assert_eq!(
            Trigger::interval(start, Duration::from_millis(1500)),
            Trigger::Interval {
                start,
                every_secs: 1
            }
        );
        let (field, _) =
            invalid(Trigger::interval(start, Duration::from_millis(500)).validate(BERLIN, start));
        assert_eq!(field, "trigger.every");
    }

    #[test]
    fn once_fires_at_its_instant_and_then_never() {
        let at = utc("2026-06-01T09:00:00Z");
        let t = Trigger::once(at);
        assert_eq!(t.first_at_or_after(BERLIN, at).unwrap(), Some(at));
        assert_eq!(
            t.first_at_or_after(BERLIN, at - TimeDelta::days(1))
                .unwrap(),
            Some(at)
        );
        assert_eq!(
            t.first_at_or_after(BERLIN, at + TimeDelta::nanoseconds(1))
                .unwrap(),
            None
        );
        assert_eq!(
            t.next_after(BERLIN, at - TimeDelta::seconds(1)).unwrap(),
            Some(at)
        );
        assert_eq!(t.next_after(BERLIN, at).unwrap(), None);
        assert_eq!(
            t.upcoming(BERLIN, at - TimeDelta::days(1), 5).unwrap(),
            vec![at]
        );
        assert!(!t.is_recurring());
    }

    #[test]
    fn upcoming_is_capped() {
        let t = Trigger::cron("* * * * *");
        let got = t
            .upcoming(chrono_tz::UTC, utc("2026-01-01T00:00:00Z"), 5000)
            .unwrap();
        assert_eq!(got.len(), MAX_UPCOMING);
        assert!(
            t.upcoming(chrono_tz::UTC, utc("2026-01-01T00:00:00Z"), 0)
                .unwrap()
                .is_empty()
        );
    }

    // --- Validation ---

    const NOW: &str = "2026-05-01T12:00:00Z";

    fn check(t: &Trigger) -> Result<()> {
        t.validate(BERLIN, utc(NOW))
    }

    #[test]
    fn valid_triggers_pass() {
        let now = utc(NOW);
        check(&Trigger::once(now + TimeDelta::seconds(1))).unwrap();
        check(&Trigger::interval(
            now - TimeDelta::days(400),
            Duration::from_secs(60),
        ))
        .unwrap();
        check(&Trigger::cron("0 9 * * MON-FRI")).unwrap();
        check(&Trigger::cron("0 0 29 2 *")).unwrap();
        check(&Trigger::cron("@weekly")).unwrap();
        check(
            &Trigger::rrule(
                "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=8;BYMINUTE=0",
                wall("2026-01-01T00:00:00"),
            )
            .with_exdates([wall("2026-05-04T08:00:00")])
            .unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn one_shot_in_the_past_is_refused_on_trigger_at() {
        let now = utc(NOW);
        for at in [now - TimeDelta::seconds(1), now] {
            let (field, reason) = invalid(check(&Trigger::once(at)));
            assert_eq!(field, "trigger.at");
            assert!(reason.contains("in the past"), "{reason}");
            assert!(reason.contains("give a future instant"), "{reason}");
        }
    }

    #[test]
    fn zero_or_absurd_interval_is_refused_on_trigger_every() {
        let start = utc(NOW);
        let (field, reason) = invalid(check(&Trigger::interval(start, Duration::ZERO)));
        assert_eq!(field, "trigger.every");
        assert!(reason.contains("at least one second"), "{reason}");

        let eleven_years = Duration::from_secs(11 * 366 * 24 * 3600);
        let (field, reason) = invalid(check(&Trigger::interval(start, eleven_years)));
        assert_eq!(field, "trigger.every");
        assert!(reason.contains("ten years"), "{reason}");

        // Evaluating an unvalidated zero interval is an error too, not a division by zero.
        let zero = Trigger::Interval {
            start,
            every_secs: 0,
        };
        assert!(zero.next_after(BERLIN, start).is_err());
    }

    #[test]
    fn bad_cron_text_is_refused_on_trigger_cron_with_an_example() {
        for expr in [
            "every day at 9",
            "",
            "* * *",
            "61 * * * *",
            "0 9 * * FUNDAY",
            "@reboot",
        ] {
            let (field, reason) = invalid(check(&Trigger::cron(expr)));
            assert_eq!(field, "trigger.cron", "{expr}");
            assert!(reason.contains("0 9 * * MON-FRI"), "{expr}: {reason}");
        }
        // croner's own message comes along.
        let (_, reason) = invalid(check(&Trigger::cron("61 * * * *")));
        assert!(reason.contains("out of bounds"), "{reason}");
    }

    #[test]
    fn impossible_cron_is_refused_on_trigger_cron() {
        for expr in ["0 0 30 2 *", "0 0 31 4 *", "0 0 0 1 1 * 2020"] {
            let (field, reason) = invalid(check(&Trigger::cron(expr)));
            assert_eq!(field, "trigger.cron", "{expr}");
            assert!(reason.contains("never fires"), "{expr}: {reason}");
        }
    }

    #[test]
    fn oversized_or_control_character_cron_is_refused() {
        let long = format!("0 9 * * *{}", " ".repeat(MAX_CRON_LEN));
        let (field, reason) = invalid(check(&Trigger::cron(long)));
        assert_eq!(field, "trigger.cron");
        assert!(reason.contains("limit"), "{reason}");
        let (field, reason) = invalid(check(&Trigger::cron("0 9 * * *\0")));
        assert_eq!(field, "trigger.cron");
        assert!(reason.contains("NUL"), "{reason}");
    }

    #[test]
    fn bad_rrule_is_refused_on_trigger_rrule_with_the_crate_message() {
        let start = wall("2026-01-01T08:00:00");
        for (rule, crate_says) in [
            ("FREQ=SOMETIMES", "FREQ"),
            ("FREQ=DAILY;FOO=1", "FOO"),
            ("FREQ=DAILY;BYHOUR=25", "25"),
            ("BYDAY=MO", "FREQ"),
        ] {
            let (field, reason) = invalid(check(&Trigger::rrule(rule, start)));
            assert_eq!(field, "trigger.rrule", "{rule}");
            assert!(reason.contains("RRule"), "{rule}: {reason}");
            assert!(reason.contains(crate_says), "{rule}: {reason}");
            assert!(
                reason.contains("FREQ=WEEKLY;BYDAY=MO,WE"),
                "{rule}: {reason}"
            );
        }
        for rule in [
            "FREQ=DAILY;UNTIL=tomorrow",
            "FREQ=DAILY;UNTIL=20260501T000000Z;UNTIL=20260601T000000Z",
            "DTSTART:20260101T080000Z\nRRULE:FREQ=DAILY",
            "FREQ=DAILY\0",
        ] {
            let (field, _) = invalid(check(&Trigger::rrule(rule, start)));
            assert_eq!(field, "trigger.rrule", "{rule:?}");
        }
        let long = format!("FREQ=DAILY;{}", "BYHOUR=1;".repeat(200));
        let (field, reason) = invalid(check(&Trigger::rrule(long, start)));
        assert_eq!(field, "trigger.rrule");
        assert!(reason.contains("limit"), "{reason}");
    }

    #[test]
    fn rrule_without_future_occurrences_is_refused_on_trigger_rrule() {
        let start = wall("2026-01-01T08:00:00");
        for rule in [
            "FREQ=DAILY;COUNT=3",
            "FREQ=DAILY;UNTIL=20260401T000000Z",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        ] {
            let (field, reason) = invalid(check(&Trigger::rrule(rule, start)));
            assert_eq!(field, "trigger.rrule", "{rule}");
            assert!(
                reason.contains("no occurrence after now"),
                "{rule}: {reason}"
            );
        }
    }

    #[test]
    fn exdates_only_on_rrule_and_capped() {
        let (field, reason) = invalid(
            Trigger::cron("0 9 * * *")
                .with_exdates([wall("2026-05-04T09:00:00")])
                .map(|_| ()),
        );
        assert_eq!(field, "trigger.exdates");
        assert!(reason.contains("only an RRULE"), "{reason}");

        let start = wall("2026-01-01T08:00:00");
        let many = (0..=MAX_EXDATES as i64).map(|d| start + TimeDelta::days(d));
        let t = Trigger::rrule("FREQ=DAILY", start)
            .with_exdates(many)
            .unwrap();
        let (field, _) = invalid(check(&t));
        assert_eq!(field, "trigger.exdates");
    }

    // --- Serde ---

    #[test]
    fn serde_round_trips_each_variant_in_the_documented_shape() {
        let cases = [
            (
                Trigger::once(utc("2026-06-01T09:00:00Z")),
                json!({"type": "once", "at": "2026-06-01T09:00:00Z"}),
            ),
            (
                Trigger::interval(utc("2026-06-01T09:00:00Z"), Duration::from_secs(3600)),
                json!({"type": "interval", "start": "2026-06-01T09:00:00Z", "every_secs": 3600}),
            ),
            (
                Trigger::cron("0 9 * * *"),
                json!({"type": "cron", "expr": "0 9 * * *"}),
            ),
            (
                Trigger::rrule("FREQ=DAILY", wall("2026-06-01T09:00:00")),
                json!({"type": "rrule", "rule": "FREQ=DAILY", "start": "2026-06-01T09:00:00"}),
            ),
            (
                Trigger::rrule("FREQ=DAILY", wall("2026-06-01T09:00:00"))
                    .with_exdates([wall("2026-06-03T09:00:00")])
                    .unwrap(),
                json!({
                    "type": "rrule",
                    "rule": "FREQ=DAILY",
                    "start": "2026-06-01T09:00:00",
                    "exdates": ["2026-06-03T09:00:00"],
                }),
            ),
        ];
        for (trigger, shape) in cases {
            assert_eq!(serde_json::to_value(&trigger).unwrap(), shape);
            let back: Trigger = serde_json::from_value(shape).unwrap();
            assert_eq!(back, trigger);
        }
    }

    // --- What the libraries do by themselves (why fa maps the wall clock itself) ---

    #[test]
    fn croner_zoned_search_skips_a_gap_for_non_fixed_patterns() {
        let cron = Cron::from_str("15,45 2 * * *").unwrap();
        let from = utc("2026-03-29T00:00:00Z").with_timezone(&BERLIN);
        let next = cron.find_next_occurrence(&from, false).unwrap();
        // The next day's 02:15 CEST; fa fires at 03:00 CEST on the day itself.
        assert_eq!(next.with_timezone(&Utc), utc("2026-03-30T00:15:00Z"));
        assert_eq!(
            Trigger::cron("15,45 2 * * *")
                .next_after(BERLIN, utc("2026-03-29T00:00:00Z"))
                .unwrap(),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn croner_zoned_search_fires_twice_in_an_overlap_for_non_fixed_patterns() {
        let cron = Cron::from_str("*/15 * * * *").unwrap();
        let from = utc("2026-10-25T00:40:00Z").with_timezone(&BERLIN);
        let got: Vec<DateTime<Utc>> = cron
            .iter_after(from)
            .take(2)
            .map(|d| d.with_timezone(&Utc))
            .collect();
        // 02:45 CEST, then 02:00 CET: the repeated hour again. fa goes to 03:00 CET instead.
        assert_eq!(got, utcs(&["2026-10-25T00:45:00Z", "2026-10-25T01:00:00Z"]));
    }

    #[test]
    fn rrule_zoned_search_shifts_a_gap_time_by_the_gap_length() {
        let start = rrule::Tz::Europe__Berlin
            .with_ymd_and_hms(2026, 3, 28, 2, 30, 0)
            .unwrap();
        let set = rrule::RRule::<rrule::Unvalidated>::from_str("FREQ=DAILY;COUNT=2")
            .unwrap()
            .build(start)
            .unwrap();
        let got: Vec<DateTime<Utc>> = set
            .all(5)
            .dates
            .iter()
            .map(|d| d.with_timezone(&Utc))
            .collect();
        // 03:30 CEST (01:30Z) on the gap day; fa fires at 03:00 CEST (01:00Z).
        assert_eq!(got, utcs(&["2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z"]));
    }

    // --- Properties ---

    const PATTERNS: &[&str] = &[
        "*/15 * * * *",
        "30 2 * * *",
        "30 1 * * *",
        "0 * * * *",
        "15,45 1-3 * * *",
        "0 9 * * MON-FRI",
        "0 0 1 * *",
        "*/7 2 * * SUN",
        "59 23 L * *",
    ];

    fn zone() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            BERLIN,
            NEW_YORK,
            LORD_HOWE,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ])
    }

    /// Instants in 2020-2030, half of them within three hours of a transition of the zone
    /// drawn, so the DST paths are exercised, not just drawn by luck; half of all are also
    /// moved to just before a quarter hour, where the patterns have candidates, so the
    /// boundaries of the search are exercised too.
    fn case() -> impl Strategy<Value = (Tz, DateTime<Utc>)> {
        (
            zone(),
            1_577_836_800_i64..1_924_905_600,
            any::<bool>(),
            -10_800_i64..10_800,
            any::<bool>(),
            0_i64..120,
        )
            .prop_map(|(tz, secs, near, jitter, snap, back)| {
                let mut x = DateTime::from_timestamp(secs, 0).unwrap();
                if near {
                    x = nearest_transition(tz, x).map_or(x, |t| t + TimeDelta::seconds(jitter));
                }
                if snap {
                    let quarter = x.timestamp() - x.timestamp().rem_euclid(900);
                    x = DateTime::from_timestamp(quarter - back, 0).unwrap();
                }
                (tz, x)
            })
    }

    /// The next change of UTC offset in `tz` within a year after `x`.
    fn nearest_transition(tz: Tz, x: DateTime<Utc>) -> Option<DateTime<Utc>> {
        use chrono::Offset;
        let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
        let mut hour = x;
        for _ in 0..366 * 24 {
            let next = hour + TimeDelta::hours(1);
            if offset(hour) != offset(next) {
                let mut minute = hour;
                while offset(minute) == offset(hour) {
                    minute += TimeDelta::minutes(1);
                }
                return Some(minute);
            }
            hour = next;
        }
        None
    }

    /// The first instant after `after` by brute force: every candidate from three hours of
    /// wall clock before `after`, mapped, and the smallest one past `after` kept. It assumes
    /// nothing about the order of candidates and instants.
    fn brute_force(cron: &Cron, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut cursor = local(after, tz) - TimeDelta::hours(3);
        let mut best: Option<DateTime<Utc>> = None;
        for _ in 0..20_000 {
            let candidate = cron.find_next_occurrence(&cursor, false).ok()?;
            if let Some(b) = best {
                // Offsets within a zone differ by under three hours, so later candidates
                // cannot map below `b`.
                if candidate > local(b, tz) + TimeDelta::hours(3) {
                    break;
                }
            }
            let instant = resolve_local(candidate, tz);
            if instant > after && best.is_none_or(|b| instant < b) {
                best = Some(instant);
            }
            cursor = candidate;
        }
        best
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn cron_next_after_is_strictly_later_and_iterates_upwards(
            pattern in prop::sample::select(PATTERNS),
            (tz, after) in case(),
        ) {
            let t = Trigger::cron(pattern);
            let mut previous = after;
            let mut walked = Vec::new();
            for _ in 0..50 {
                let next = t.next_after(tz, previous).unwrap();
                let next = next.unwrap();
                prop_assert!(next > previous, "{pattern} {tz}: {next} after {previous}");
                walked.push(next);
                previous = next;
            }
            prop_assert_eq!(t.upcoming(tz, after, 50).unwrap(), walked);
        }

        #[test]
        fn cron_next_after_matches_a_brute_force_search(
            pattern in prop::sample::select(PATTERNS),
            (tz, after) in case(),
        ) {
            let cron = parse_cron(pattern).unwrap();
            let expected = brute_force(&cron, tz, after);
            let got = Trigger::cron(pattern).next_after(tz, after).unwrap();
            prop_assert_eq!(got, expected, "{} {} after {}", pattern, tz, after);
        }

        #[test]
        fn rrule_agrees_with_the_equivalent_cron(
            pair in prop::sample::select(vec![
                ("FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "30 2 * * *"),
                ("FREQ=DAILY;BYHOUR=1,2;BYMINUTE=0,30", "0,30 1,2 * * *"),
                ("FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0", "0 9 * * MON,FRI"),
            ]),
            (tz, after) in case(),
        ) {
            let (rule, expr) = pair;
            let rrule = Trigger::rrule(rule, wall("2019-12-30T00:00:00"));
            let cron = Trigger::cron(expr);
            prop_assert_eq!(
                rrule.upcoming(tz, after, 5).unwrap(),
                cron.upcoming(tz, after, 5).unwrap()
            );
        }
    }
}
