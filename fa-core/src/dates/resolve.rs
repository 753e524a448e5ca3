//! Places a one-shot [`Spec`] on the calendar: wall-clock arithmetic in the member's zone, then
//! the DST rules to get an instant.

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc,
};
use chrono_tz::Tz;

use super::When;
use super::error::{DateErrorKind, Fail};
use super::spec::{Clock, Day, Spec};

/// The furthest ahead a result may be: ten years, leap days included.
pub(super) const MAX_AHEAD_DAYS: i64 = 3653;

/// The instant a wall-clock reading in `tz` denotes, by the scheduler's rules
/// ([`resolve_local`](crate::scheduler::resolve_local)), so a reminder fires when this says: a
/// reading inside a DST gap is the first valid instant after it (02:30 on Berlin's
/// spring-forward day is 03:00 CEST), and a reading inside an overlap is the earlier instant.
pub(super) fn instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    crate::scheduler::resolve_local(local, tz)
}

/// `date` at `hour:minute:00`.
pub(super) fn at(date: NaiveDate, hour: u32, minute: u32) -> Option<NaiveDateTime> {
    NaiveTime::from_hms_opt(hour, minute, 0).map(|t| date.and_time(t))
}

/// Refuses instants more than ten years after `now`.
pub(super) fn within_reach(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, Fail> {
    if at.signed_duration_since(now) > TimeDelta::days(MAX_AHEAD_DAYS) {
        return Err(
            Fail::new(DateErrorKind::TooFar, "that is more than 10 years ahead")
                .hint("a date within the next 10 years, e.g. \"on 24 december at 10\""),
        );
    }
    Ok(at)
}

/// The wall-clock readings a one-shot may mean on `date`, in order of preference. Only a bare
/// 1–11 on today has two ("today at 5": 05:00, else 17:00).
fn readings(
    spec: &Spec,
    date: NaiveDate,
    is_today: bool,
    default: NaiveTime,
) -> Vec<NaiveDateTime> {
    match spec.time {
        // Midnight ends the day it is on: "friday at midnight" is the night into Saturday.
        Some(Clock::Midnight) => date
            .succ_opt()
            .map(|d| d.and_time(NaiveTime::MIN))
            .into_iter()
            .collect(),
        Some(clock) => {
            let (hour, minute) = clock.hour_minute(spec.period);
            let evening = match clock {
                Clock::At {
                    either_half: true, ..
                } if is_today && spec.period.is_none() => at(date, hour + 12, minute),
                _ => None,
            };
            at(date, hour, minute).into_iter().chain(evening).collect()
        }
        None => match spec.period {
            Some(period) => at(date, period.default_hour(), 0).into_iter().collect(),
            None => vec![date.and_time(default)],
        },
    }
}

/// Resolves a phrase that fires once.
pub(super) fn once(spec: &Spec, now: DateTime<Utc>, tz: Tz) -> Result<When, Fail> {
    if let Some(offset) = spec.offset {
        if spec.time.is_some() || spec.period.is_some() || spec.day.is_some() {
            return Err(Fail::invalid(
                "an amount of hours or minutes cannot also name a day or a time",
            )
            .hint("\"in 2 hours\" or \"in 2 days at 9\""));
        }
        let at = now
            .checked_add_signed(offset)
            .ok_or_else(|| Fail::new(DateErrorKind::TooFar, "that is too far ahead"))?;
        return within_reach(at, now).map(When::Once);
    }
    if !spec.more_weekdays.is_empty() {
        return Err(
            Fail::invalid("a single reminder falls on one day, not several")
                .hint("\"every tuesday and friday\" to repeat, or \"on friday\""),
        );
    }
    let local = now.with_timezone(&tz).naive_local();
    let today = local.date();
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN);
    let pick = |date: NaiveDate, default: NaiveTime| -> Option<DateTime<Utc>> {
        readings(spec, date, date == today, default)
            .into_iter()
            .map(|r| instant(r, tz))
            .find(|i| *i > now)
    };
    let day_after = |n: u64| today.checked_add_days(Days::new(n));
    let found = match spec.day {
        None => {
            if spec.time.is_none() && spec.period.is_none() {
                return Err(Fail::not_understood("it names no day or time"));
            }
            pick(today, nine).or_else(|| day_after(1).and_then(|d| pick(d, nine)))
        }
        Some(Day::Today) => match pick(today, nine) {
            Some(found) => Some(found),
            None if spec.tonight && spec.time.is_none() => day_after(1).and_then(|d| pick(d, nine)),
            None => return Err(passed_today(spec, today, nine)),
        },
        Some(Day::Tomorrow) => day_after(1).and_then(|d| pick(d, nine)),
        Some(Day::InTwoDays) => day_after(2).and_then(|d| pick(d, nine)),
        Some(Day::Weekday {
            weekday,
            skip_today,
        }) => (u64::from(skip_today)..15)
            .filter_map(day_after)
            .filter(|d| d.weekday() == weekday)
            .find_map(|d| pick(d, nine)),
        Some(Day::Date {
            year: None,
            month: None,
            day,
        }) => {
            let first_of_month = today.with_day(1).unwrap_or(today);
            (0..=12)
                .filter_map(|m| first_of_month.checked_add_months(Months::new(m)))
                .filter_map(|first| first.with_day(day))
                .find_map(|d| pick(d, nine))
        }
        Some(Day::Date {
            year: None,
            month: Some(month),
            day,
        }) => (today.year()..=today.year().saturating_add(8))
            .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
            .find_map(|d| pick(d, nine)),
        Some(Day::Date {
            year: Some(year),
            month,
            day,
        }) => {
            let month = month.unwrap_or(1);
            let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
                Fail::invalid(format!("{year}-{month:02}-{day:02} does not exist"))
                    .hint("a real date, e.g. \"2028-02-29\" or \"march 3 2027\"")
            })?;
            match pick(date, nine) {
                Some(found) => Some(found),
                None => {
                    let hhmm = readings(spec, date, false, nine)
                        .last()
                        .map_or_else(String::new, |r| r.format(" %H:%M").to_string());
                    return Err(Fail::new(
                        DateErrorKind::Past,
                        format!("{date}{hhmm} has already passed"),
                    )
                    .hint("a date still ahead, e.g. \"on 24 december at 10\""));
                }
            }
        }
        Some(Day::Later { months, days }) => today
            .checked_add_months(Months::new(months))
            .and_then(|d| d.checked_add_days(Days::new(u64::from(days))))
            .and_then(|d| pick(d, local.time())),
    };
    let at = found.ok_or_else(|| {
        Fail::new(
            DateErrorKind::TooFar,
            "no such day comes in the next 10 years",
        )
        .hint("a date within the next 10 years, e.g. \"on 24 december at 10\"")
    })?;
    within_reach(at, now).map(When::Once)
}

/// The error for "today at 9am" at 10:00, suggesting the same time tomorrow.
fn passed_today(spec: &Spec, today: NaiveDate, nine: NaiveTime) -> Fail {
    let latest = readings(spec, today, true, nine).last().map(|r| r.time());
    let hhmm = latest.map_or_else(|| "09:00".to_owned(), |t| t.format("%H:%M").to_string());
    let reason = if spec.time.is_none() && spec.period.is_none() {
        format!("{hhmm} today has already passed (a day without a time means 09:00)")
    } else {
        format!("{hhmm} today has already passed")
    };
    Fail::new(DateErrorKind::Past, reason).hint(format!("\"tomorrow at {hhmm}\" or \"in 2 hours\""))
}
