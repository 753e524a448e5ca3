//! Turns a repeating [`Spec`] into an RRULE, its wall-clock start and its first firing.
//!
//! The start is the first occurrence itself, read on the wall clock: a rule always matches its
//! own start then, so the RRULE reading ("DTSTART counts only if it matches") and the RFC 5545
//! one ("DTSTART is always the first") agree, and the scheduler enumerates from near now rather
//! than from some day in the past.

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

use super::When;
use super::error::{DateErrorKind, Fail};
use super::resolve::{at, instant, within_reach};
use super::spec::{Day, Freq, Recur, Spec};
use super::words;

/// How many days ahead the first occurrence is searched for: enough for a February 29 that
/// is eight years off (a leap year can be skipped at a century).
const MAX_WALK_DAYS: u64 = 366 * 9;

/// The RRULE fields besides the time of day.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    freq: Freq,
    interval: u32,
    weekdays: Vec<Weekday>,
    nth: Option<(i8, Weekday)>,
    month: Option<u32>,
    month_day: Option<u32>,
}

impl Rule {
    fn matches(&self, d: NaiveDate) -> bool {
        (self.weekdays.is_empty() || self.weekdays.contains(&d.weekday()))
            && self.month_day.is_none_or(|md| d.day() == md)
            && self.month.is_none_or(|m| d.month() == m)
            && self.nth.is_none_or(|(n, wd)| is_nth(d, n, wd))
    }

    fn rrule(&self, time: Option<(u32, u32)>) -> String {
        let mut parts = vec![format!("FREQ={}", self.freq.rrule_name())];
        if self.interval > 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        if let Some(m) = self.month {
            parts.push(format!("BYMONTH={m}"));
        }
        if let Some(d) = self.month_day {
            parts.push(format!("BYMONTHDAY={d}"));
        }
        if !self.weekdays.is_empty() {
            let days: Vec<&str> = self.weekdays.iter().map(|d| words::rrule_day(*d)).collect();
            parts.push(format!("BYDAY={}", days.join(",")));
        } else if let Some((n, wd)) = self.nth {
            parts.push(format!("BYDAY={n}{}", words::rrule_day(wd)));
        }
        match (self.freq, time) {
            (Freq::Hourly, _) => parts.push("BYMINUTE=0;BYSECOND=0".to_owned()),
            (_, Some((h, m))) => parts.push(format!("BYHOUR={h};BYMINUTE={m};BYSECOND=0")),
            (_, None) => {}
        }
        parts.join(";")
    }
}

/// Whether `d` is the `n`-th `weekday` of its month (`n` = -1: the last).
fn is_nth(d: NaiveDate, n: i8, weekday: Weekday) -> bool {
    if d.weekday() != weekday {
        return false;
    }
    if n < 0 {
        return d
            .checked_add_days(Days::new(7))
            .is_none_or(|later| later.month() != d.month());
    }
    i64::from((d.day() - 1) / 7 + 1) == i64::from(n)
}

fn conflict(what: &str) -> Fail {
    Fail::invalid(format!("a repetition {what}")).hint(
        "\"every monday at 8am\", \"every month on the 15th at 10\", \"every year on march 3\"",
    )
}

/// Resolves a repeating phrase.
pub(super) fn recurring(
    spec: &Spec,
    recur: &Recur,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<When, Fail> {
    if spec.offset.is_some() {
        return Err(conflict("cannot start \"in\" an amount of time"));
    }
    if spec.tonight {
        return Err(conflict("cannot be \"tonight\"; say \"every night\""));
    }
    let mut weekdays = recur.weekdays.clone();
    let mut freq = recur.freq;
    let (mut month, mut month_day) = (None, None);
    match spec.day {
        None => {}
        Some(Day::Weekday { weekday, .. }) => {
            if !matches!(freq, None | Some(Freq::Weekly)) || recur.nth.is_some() {
                return Err(conflict("of this kind cannot also fall on a weekday"));
            }
            freq = Some(Freq::Weekly);
            weekdays.push(weekday);
            weekdays.extend(spec.more_weekdays.iter().copied());
        }
        Some(Day::Date {
            year: None,
            month: None,
            day,
        }) => {
            if !matches!(freq, None | Some(Freq::Monthly)) || recur.nth.is_some() {
                return Err(conflict(
                    "on a day of the month must be monthly, e.g. \"every month on the 15th\"",
                ));
            }
            freq = Some(Freq::Monthly);
            month_day = Some(day);
        }
        Some(Day::Date {
            year: None,
            month: Some(m),
            day,
        }) => {
            if !matches!(freq, None | Some(Freq::Yearly)) {
                return Err(conflict(
                    "on a date must be yearly, e.g. \"every year on march 3\"",
                ));
            }
            freq = Some(Freq::Yearly);
            (month, month_day) = (Some(m), Some(day));
        }
        Some(_) => {
            return Err(conflict("cannot start on a given day or date yet"));
        }
    }
    weekdays.sort_by_key(Weekday::num_days_from_monday);
    weekdays.dedup();
    let Some(freq) = freq else {
        return Err(conflict("needs to say how often"));
    };
    let mut rule = Rule {
        freq,
        interval: recur.interval.max(1),
        weekdays,
        nth: recur.nth,
        month,
        month_day,
    };
    let local = now.with_timezone(&tz).naive_local();
    match freq {
        Freq::Minutely | Freq::Hourly => {
            if spec.time.is_some() || spec.period.is_some() {
                return Err(conflict(
                    "by the hour or minute cannot also have a time of day; try \"every day at 9\"",
                ));
            }
            let start = sub_daily_start(freq, rule.interval, local, now, tz)?;
            let first = within_reach(instant(start, tz), now)?;
            Ok(When::Recurring {
                rule: rule.rrule(None),
                start,
                first,
            })
        }
        Freq::Daily | Freq::Weekly | Freq::Monthly | Freq::Yearly => {
            let (hour, minute) = match spec.time {
                Some(clock) => clock.hour_minute(spec.period),
                None => spec.period.map_or((9, 0), |p| (p.default_hour(), 0)),
            };
            let (start, first) = first_on_days(&rule, hour, minute, local.date(), now, tz)?;
            match freq {
                Freq::Weekly if rule.weekdays.is_empty() => rule.weekdays = vec![start.weekday()],
                Freq::Monthly if rule.month_day.is_none() && rule.nth.is_none() => {
                    rule.month_day = Some(start.day());
                }
                Freq::Yearly if rule.month.is_none() => {
                    (rule.month, rule.month_day) = (Some(start.month()), Some(start.day()));
                }
                _ => {}
            }
            Ok(When::Recurring {
                rule: rule.rrule(Some((hour, minute))),
                start,
                first: within_reach(first, now)?,
            })
        }
    }
}

/// The first day from `today` on that the rule matches and whose `hour:minute` is still ahead.
fn first_on_days(
    rule: &Rule,
    hour: u32,
    minute: u32,
    today: NaiveDate,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(NaiveDateTime, DateTime<Utc>), Fail> {
    (0..=MAX_WALK_DAYS)
        .filter_map(|i| today.checked_add_days(Days::new(i)))
        .filter(|d| rule.matches(*d))
        .filter_map(|d| at(d, hour, minute))
        .map(|start| (start, instant(start, tz)))
        .find(|(_, first)| *first > now)
        .ok_or_else(|| {
            Fail::new(
                DateErrorKind::TooFar,
                "it does not happen in the next 9 years",
            )
            .hint("\"every year on march 3\", \"every month on the 15th\"")
        })
}

/// Start of an hourly rule: the next full hour; of a minutely one: N minutes from now, seconds
/// dropped. Stepped further if the DST rules map it to `now` or earlier (in an overlap).
fn sub_daily_start(
    freq: Freq,
    interval: u32,
    local: NaiveDateTime,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<NaiveDateTime, Fail> {
    let (base, step) = if freq == Freq::Hourly {
        (local.with_minute(0), TimeDelta::hours(1))
    } else {
        (Some(local), TimeDelta::minutes(i64::from(interval)))
    };
    let mut start = base
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .and_then(|t| t.checked_add_signed(step));
    for _ in 0..200 {
        let Some(candidate) = start else { break };
        if instant(candidate, tz) > now {
            return Ok(candidate);
        }
        start = candidate.checked_add_signed(step);
    }
    Err(Fail::invalid("no start could be found for it").hint("\"every 15 minutes\""))
}
