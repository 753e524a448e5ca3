//! The pieces of a phrase that measure time: amounts ("in 2 hours") and repetitions ("every
//! other monday"). Kept apart from the day and time pieces only to keep files short.

use chrono::{TimeDelta, Weekday};

use super::super::error::{DateErrorKind, Fail};
use super::super::spec::{Day, Freq, Recur};
use super::super::words::{self, Unit};
use super::{Parser, mon_to_fri};

/// Minutes in ten years, the furthest ahead a phrase may reach.
const MAX_MINUTES: i64 = 3653 * 24 * 60;
/// The largest "every N ..." accepted.
const MAX_INTERVAL: u32 = 1000;

impl Parser<'_> {
    /// "in 2 hours", "in 45 min", "in an hour and a half", "in 1h30m", "in 3 days", "in the
    /// evening".
    pub(super) fn relative(&mut self) -> Result<(), Fail> {
        if self.is(1, "the")
            && let Some(period) = self.word(2).and_then(words::period)
        {
            self.spec.set_period(period)?;
            self.i += 3;
            return Ok(());
        }
        let help = "\"in 2 hours\", \"in 45 minutes\", \"in 3 days\"";
        let mut j = 1;
        let (mut secs, mut days, mut months) = (0_i64, 0_i64, 0_i64);
        let mut any = false;
        loop {
            let (unit, whole, thousandths) = if self.is(j, "half")
                && (self.is(j + 1, "an") || self.is(j + 1, "a"))
                && self.word(j + 2).and_then(words::unit) == Some(Unit::Hour)
            {
                j += 3;
                (Unit::Hour, 0, 500)
            } else if let Some((whole, thousandths, used)) = self.amount(j)
                && let Some(unit) = self.word(j + used).and_then(words::unit)
            {
                j += used + 1;
                if self.is(j, "and") && self.is(j + 1, "a") && self.is(j + 2, "half") {
                    if unit != Unit::Hour || thousandths > 0 {
                        return Err(Fail::invalid("\"and a half\" works with whole hours only")
                            .hint("\"in 1 hour and a half\", \"in 36 hours\""));
                    }
                    j += 3;
                    (unit, whole, 500)
                } else {
                    (unit, whole, thousandths)
                }
            } else {
                break;
            };
            any = true;
            let (whole, thousandths) = (i64::from(whole), i64::from(thousandths));
            let in_secs = |unit_secs: i64| {
                whole
                    .saturating_mul(unit_secs)
                    .saturating_add(thousandths * unit_secs / 1000)
            };
            if thousandths > 0 && !matches!(unit, Unit::Minute | Unit::Hour) {
                return Err(Fail::invalid(
                    "fractions work with hours and minutes only; use whole days, weeks or months",
                )
                .hint("\"in 36 hours\" or \"in 2 days\""));
            }
            match unit {
                Unit::Minute => secs = secs.saturating_add(in_secs(60)),
                Unit::Hour => secs = secs.saturating_add(in_secs(3600)),
                Unit::Day => days = days.saturating_add(whole),
                Unit::Week => days = days.saturating_add(whole.saturating_mul(7)),
                Unit::Month => months = months.saturating_add(whole),
                Unit::Year => months = months.saturating_add(whole.saturating_mul(12)),
            }
            let sep = usize::from(self.is(j, "and") || self.punct(j, ','));
            let more = self.is(j + sep, "half")
                || self.amount(j + sep).is_some_and(|(_, _, used)| {
                    self.word(j + sep + used).and_then(words::unit).is_some()
                });
            if !more {
                break;
            }
            j += sep;
        }
        if !any {
            return Err(
                Fail::not_understood("\"in\" must be followed by an amount of time").hint(help),
            );
        }
        if self.is(j, "from") && self.is(j + 1, "now") {
            j += 2;
        }
        if secs > 0 && (days > 0 || months > 0) {
            return Err(
                Fail::invalid("it mixes hours or minutes with days, weeks or months")
                    .hint("\"in 2 days at 9\" or \"in 36 hours\""),
            );
        }
        if secs == 0 && days == 0 && months == 0 {
            return Err(Fail::invalid("that is now, not later; give at least a minute").hint(help));
        }
        if secs > MAX_MINUTES * 60 || days > 3653 || months > 120 {
            return Err(
                Fail::new(DateErrorKind::TooFar, "that is more than 10 years ahead").hint(help),
            );
        }
        if secs > 0 {
            self.spec.set_offset(TimeDelta::seconds(secs))?;
        } else {
            self.spec.set_day(Day::Later {
                months: u32::try_from(months).unwrap_or(0),
                days: u32::try_from(days).unwrap_or(0),
            })?;
        }
        self.i += j;
        Ok(())
    }

    /// An amount at token `k`: a count, or a decimal such as "1.5" (up to three decimals).
    /// Returns the whole part, the fraction in thousandths, and the tokens read.
    fn amount(&self, k: usize) -> Option<(u32, u32, usize)> {
        if let (Some(whole), true, Some(frac)) =
            (self.num(k), self.punct(k + 1, '.'), self.num(k + 2))
            && self.glued(k + 1)
            && self.glued(k + 2)
        {
            let scale = match frac.digits {
                1 => 100,
                2 => 10,
                3 => 1,
                _ => return None,
            };
            return Some((whole.value, frac.value * scale, 3));
        }
        self.count(k).map(|n| (n, 0, 1))
    }

    /// A count: digits or a number word.
    fn count(&self, k: usize) -> Option<u32> {
        if let Some(n) = self.num(k) {
            return (!self.ordinal_suffix(k + 1)).then_some(n.value);
        }
        self.word(k).and_then(words::number)
    }

    /// "every day", "every 2 weeks", "every other day", "every monday and thursday", "every
    /// weekday", "every weekend", "every morning", "every 15 minutes", "every 15th", "every
    /// march 3", "every last friday of the month".
    pub(super) fn every(&mut self) -> Result<(), Fail> {
        let help = "\"every day at 7\", \"every monday at 8am\", \"every 2 weeks on tuesday\"";
        let nth = match (self.word(1).and_then(words::nth), self.num(1)) {
            (Some(n), _) => Some((n, 1)),
            (None, Some(n)) if self.ordinal_suffix(2) && n.value <= 5 => {
                i8::try_from(n.value).ok().map(|v| (v, 2))
            }
            _ => None,
        };
        if let Some((n, used)) = nth
            && let Some((weekday, false)) = self.weekday(1 + used)
        {
            let mut j = 2 + used;
            if (self.is(j, "of") || self.is(j, "in")) && self.month_after_of(j) {
                j += 3;
            }
            let mut recur = Recur::every(Freq::Monthly, 1);
            recur.nth = Some((n, weekday));
            self.spec.set_recur(recur)?;
            self.i += j;
            return Ok(());
        }
        if let Some((date, _, used)) = self.date_at(1)? {
            let freq = match date {
                Day::Date { year: Some(_), .. } => {
                    return Err(Fail::invalid("a repeating date cannot have a year")
                        .hint("\"every year on march 3\""));
                }
                Day::Date { month: None, .. } => Freq::Monthly,
                _ => Freq::Yearly,
            };
            let mut j = 1 + used;
            if freq == Freq::Monthly && self.is(j, "of") && self.month_after_of(j) {
                j += 3;
            }
            self.spec.set_day(date)?;
            self.spec.set_recur(Recur::every(freq, 1))?;
            self.i += j;
            return Ok(());
        }
        let mut j = 1;
        let mut interval = 1;
        if self.is(j, "other") {
            interval = 2;
            j += 1;
        } else if let Some(n) = self
            .count(j)
            .filter(|_| !self.is(j, "a") && !self.is(j, "an"))
        {
            if n == 0 || n > MAX_INTERVAL {
                return Err(Fail::invalid(format!(
                    "\"every {n}\" is out of range; use 1 to {MAX_INTERVAL}"
                ))
                .hint(help));
            }
            interval = n;
            j += 1;
        }
        let recur = if let Some(unit) = self.word(j).and_then(words::unit) {
            let freq = match unit {
                Unit::Minute => Freq::Minutely,
                Unit::Hour => Freq::Hourly,
                Unit::Day => Freq::Daily,
                Unit::Week => Freq::Weekly,
                Unit::Month => Freq::Monthly,
                Unit::Year => Freq::Yearly,
            };
            j += 1;
            Recur::every(freq, interval)
        } else if matches!(self.word(j), Some("weekday" | "weekdays")) {
            j += 1;
            Recur::on_weekdays(interval, mon_to_fri())
        } else if matches!(self.word(j), Some("weekend" | "weekends")) {
            j += 1;
            Recur::on_weekdays(interval, vec![Weekday::Sat, Weekday::Sun])
        } else if let Some(period) = self.word(j).and_then(words::period) {
            self.spec.set_period(period)?;
            j += 1;
            Recur::every(Freq::Daily, interval)
        } else {
            let (days, used) = self.weekday_list(j);
            if used == 0 {
                return Err(Fail::not_understood(
                    "\"every\" must be followed by a day, a weekday or an amount of time",
                )
                .hint(help));
            }
            j += used;
            Recur::on_weekdays(interval, days)
        };
        self.spec.set_recur(recur)?;
        self.i += j;
        Ok(())
    }
}
