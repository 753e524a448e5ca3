//! Reads tokens into a [`Spec`]. A phrase is a sequence of pieces in any order (a day, a time,
//! a part of the day, an amount of time, a repetition); each piece is recognised by its first
//! word or number and read greedily. Every step consumes at least one token, so parsing is
//! linear in the number of tokens.

use chrono::Weekday;

use super::error::{DateErrorKind, Fail};
use super::lexer::{Num, Tok, Token};
use super::spec::{Clock, Day, Freq, Meridiem, Period, Recur, Spec};
use super::words;

mod amounts;

/// How strictly numbers are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// The whole text is a time phrase: a bare "9" is 9 o'clock.
    Phrase,
    /// A span of a reminder sentence: a bare number is not taken as a time ("buy 2 eggs"),
    /// it needs "at", minutes, am/pm or "o'clock".
    Sentence,
}

/// Reads a whole token slice as one time phrase.
pub(super) fn parse(tokens: &[Token], mode: Mode) -> Result<Spec, Fail> {
    if tokens.is_empty() {
        return Err(Fail::new(DateErrorKind::Empty, "it is empty"));
    }
    let mut p = Parser {
        t: tokens,
        i: 0,
        mode,
        spec: Spec::default(),
    };
    while p.i < tokens.len() {
        if p.punct(0, ',') {
            p.i += 1;
            continue;
        }
        let before = p.i;
        p.piece()?;
        if p.i <= before {
            return Err(p.unknown(0));
        }
    }
    Ok(p.spec)
}

struct Parser<'a> {
    t: &'a [Token],
    i: usize,
    mode: Mode,
    spec: Spec,
}

impl<'a> Parser<'a> {
    fn tok(&self, k: usize) -> Option<&'a Token> {
        self.t.get(self.i + k)
    }

    fn word(&self, k: usize) -> Option<&'a str> {
        self.tok(k).and_then(Token::word)
    }

    fn is(&self, k: usize, word: &str) -> bool {
        self.word(k) == Some(word)
    }

    fn num(&self, k: usize) -> Option<Num> {
        self.tok(k).and_then(Token::num)
    }

    fn punct(&self, k: usize, c: char) -> bool {
        self.tok(k).is_some_and(|t| t.is_punct(c))
    }

    /// Whether token `k` touches the one before it (no space between).
    fn glued(&self, k: usize) -> bool {
        match (k.checked_sub(1).and_then(|p| self.tok(p)), self.tok(k)) {
            (Some(prev), Some(t)) => prev.end == t.start,
            _ => false,
        }
    }

    fn ordinal_suffix(&self, k: usize) -> bool {
        self.glued(k) && self.word(k).is_some_and(words::is_ordinal_suffix)
    }

    /// Whether "of" at token `j` reads "of the month", "of every month" or "of each month".
    fn month_after_of(&self, j: usize) -> bool {
        matches!(self.word(j + 1), Some("the" | "every" | "each")) && self.is(j + 2, "month")
    }

    fn weekday(&self, k: usize) -> Option<(Weekday, bool)> {
        self.word(k).and_then(words::weekday)
    }

    /// The error for a token no piece starts with, naming it so the member sees which word.
    fn unknown(&self, k: usize) -> Fail {
        let what = match self.tok(k).map(|t| &t.tok) {
            Some(Tok::Num(n)) if n.digits <= 9 => {
                format!("the number {} does not read as a time or a date", n.value)
            }
            Some(Tok::Num(_)) => "that number is far too long for a time".to_owned(),
            Some(Tok::Word(w)) => format!("\"{w}\" is not a day, time or number I know"),
            Some(Tok::Punct(c)) => format!("\"{c}\" does not belong in a time"),
            None => "it ends too early".to_owned(),
        };
        Fail::not_understood(what)
    }

    /// Reads one piece at the current token.
    fn piece(&mut self) -> Result<(), Fail> {
        let Some(first) = self.word(0) else {
            return self.numeric_piece();
        };
        match first {
            "in" => self.relative(),
            "every" | "each" => self.every(),
            "daily" | "everyday" => self.freq_word(Recur::every(Freq::Daily, 1)),
            "nightly" => {
                self.spec.set_period(Period::Night)?;
                self.freq_word(Recur::every(Freq::Daily, 1))
            }
            "weekly" => self.freq_word(Recur::every(Freq::Weekly, 1)),
            "monthly" => self.freq_word(Recur::every(Freq::Monthly, 1)),
            "yearly" | "annually" => self.freq_word(Recur::every(Freq::Yearly, 1)),
            "hourly" => self.freq_word(Recur::every(Freq::Hourly, 1)),
            "today" => self.day_word(Day::Today, 1),
            "tomorrow" | "tmrw" | "tmr" | "tomorow" => self.day_word(Day::Tomorrow, 1),
            "overmorrow" => self.day_word(Day::InTwoDays, 1),
            "day" if self.is(1, "after") && self.is(2, "tomorrow") => {
                self.day_word(Day::InTwoDays, 3)
            }
            "the" if self.is(1, "day") && self.is(2, "after") && self.is(3, "tomorrow") => {
                self.day_word(Day::InTwoDays, 4)
            }
            "tonight" => {
                self.spec.set_period(Period::Night)?;
                self.spec.tonight = true;
                self.day_word(Day::Today, 1)
            }
            "at" if self.word(1).and_then(words::period).is_some() => self.period_at(1),
            "at" | "noon" | "midday" | "midnight" => self.time_piece(),
            "on" => {
                self.i += 1;
                if self.day_piece()? {
                    Ok(())
                } else {
                    Err(Fail::not_understood("\"on\" must be followed by a day")
                        .hint("\"on friday\", \"on the 3rd\", \"on 24 december\""))
                }
            }
            _ if words::period(first).is_some() => self.period_at(0),
            _ => {
                if self.day_piece()? {
                    Ok(())
                } else {
                    Err(self.unknown(0))
                }
            }
        }
    }

    fn day_word(&mut self, day: Day, len: usize) -> Result<(), Fail> {
        self.spec.set_day(day)?;
        self.i += len;
        Ok(())
    }

    fn freq_word(&mut self, recur: Recur) -> Result<(), Fail> {
        self.spec.set_recur(recur)?;
        self.i += 1;
        Ok(())
    }

    fn period_at(&mut self, k: usize) -> Result<(), Fail> {
        if let Some(period) = self.word(k).and_then(words::period) {
            self.spec.set_period(period)?;
            self.i += k + 1;
        }
        Ok(())
    }

    /// A piece that names a day: weekdays (with "this", "next", "coming"), plural weekdays and
    /// "weekdays"/"weekends" (which repeat), and dates. `Ok(false)` if there is none here.
    fn day_piece(&mut self) -> Result<bool, Fail> {
        let lead = match self.word(0) {
            Some("this" | "coming") => 1 + usize::from(self.is(1, "coming")),
            Some("next") => 1,
            _ => 0,
        };
        if lead > 0 {
            if let Some(period) = self.word(lead).and_then(words::period)
                && self.is(0, "this")
                && lead == 1
            {
                self.spec.set_day(Day::Today)?;
                self.spec.set_period(period)?;
                self.i += 2;
                return Ok(true);
            }
            return match self.weekday(lead) {
                Some((weekday, false)) => {
                    let skip_today = self.is(0, "next");
                    self.day_word(
                        Day::Weekday {
                            weekday,
                            skip_today,
                        },
                        lead + 1,
                    )?;
                    Ok(true)
                }
                _ => Err(Fail::not_understood(format!(
                    "\"{}\" must be followed by a weekday",
                    self.word(0).unwrap_or("next")
                ))
                .hint("\"next monday\", \"this friday at 5pm\"")),
            };
        }
        match self.word(0) {
            Some("weekdays") => {
                self.spec.set_recur(Recur::on_weekdays(1, mon_to_fri()))?;
                self.i += 1;
                return Ok(true);
            }
            Some("weekends") => {
                self.spec
                    .set_recur(Recur::on_weekdays(1, vec![Weekday::Sat, Weekday::Sun]))?;
                self.i += 1;
                return Ok(true);
            }
            _ => {}
        }
        if let Some((weekday, plural)) = self.weekday(0) {
            if plural {
                let (days, used) = self.weekday_list(0);
                self.spec.set_recur(Recur::on_weekdays(1, days))?;
                self.i += used;
            } else {
                let (days, used) = self.weekday_list(0);
                self.day_word(
                    Day::Weekday {
                        weekday,
                        skip_today: false,
                    },
                    used,
                )?;
                self.spec.more_weekdays = days.into_iter().skip(1).collect();
            }
            return Ok(true);
        }
        self.date_piece()
    }

    /// Reads "monday", "monday and thursday", "mon, wed & fri" from token `k`.
    fn weekday_list(&self, k: usize) -> (Vec<Weekday>, usize) {
        let mut days = Vec::new();
        let mut n = 0;
        if let Some((day, _)) = self.weekday(k) {
            days.push(day);
            n = 1;
        }
        while n > 0 {
            let mut sep = usize::from(self.punct(k + n, ','));
            if self.is(k + n + sep, "and") || self.punct(k + n + sep, '&') {
                sep += 1;
            }
            match self.weekday(k + n + sep) {
                Some((day, _)) => {
                    days.push(day);
                    n += sep + 1;
                }
                _ => break,
            }
        }
        (days, n)
    }

    /// A piece starting with a number (or "@"): a date if it reads as one, else a time.
    fn numeric_piece(&mut self) -> Result<(), Fail> {
        if self.date_piece()? {
            return Ok(());
        }
        self.time_piece()
    }

    fn date_piece(&mut self) -> Result<bool, Fail> {
        let Some((date, monthly, used)) = self.date_at(0)? else {
            return Ok(false);
        };
        self.spec.set_day(date)?;
        if monthly {
            self.spec.set_recur(Recur::every(Freq::Monthly, 1))?;
        }
        self.i += used;
        Ok(true)
    }

    /// A date at token `k`: `2026-12-24`, `march 15[th][, 2027]`, `15[th] [of] march [2027]`,
    /// `[the] 3rd [of every month | of the month]`. Returns the date, whether it repeats
    /// monthly ("of every month"), and the tokens read. "24/12" is refused as ambiguous.
    fn date_at(&self, k: usize) -> Result<Option<(Day, bool, usize)>, Fail> {
        let the = usize::from(self.is(k, "the"));
        let s = k + the;
        if let Some(found) = self.iso_date(s)? {
            return Ok(Some(found));
        }
        if let (Some(a), true, Some(b)) = (self.num(s), self.punct(s + 1, '/'), self.num(s + 2))
            && self.glued(s + 1)
            && self.glued(s + 2)
        {
            return Err(Fail::new(
                DateErrorKind::Ambiguous,
                format!(
                    "\"{}/{}\" could be day/month or month/day",
                    a.value, b.value
                ),
            )
            .hint("a month name or year-month-day, e.g. \"24 december\" or \"2026-12-24\""));
        }
        let (day, month, mut j) = if let Some(month) = self.word(s).and_then(words::month) {
            let mut j = s + 1 + usize::from(self.is(s + 1, "the"));
            let Some(day) = self.num(j).filter(|n| n.digits <= 2) else {
                return Ok(None);
            };
            j += 1;
            j += usize::from(self.ordinal_suffix(j));
            (day.value, Some(month), j)
        } else if let Some(day) = self.num(s).filter(|n| n.digits <= 2) {
            let mut j = s + 1;
            let ordinal = self.ordinal_suffix(j);
            j += usize::from(ordinal);
            let of = usize::from(self.is(j, "of"));
            match self.word(j + of).and_then(words::month) {
                Some(month) => (day.value, Some(month), j + of + 1),
                None if ordinal || the == 1 => (day.value, None, j),
                None => return Ok(None),
            }
        } else {
            return Ok(None);
        };
        check_day(day, month)?;
        let mut year = None;
        let mut monthly = false;
        if month.is_some() {
            let comma = usize::from(self.punct(j, ','));
            if let Some(y) = self.num(j + comma).filter(|n| n.digits == 4) {
                year = i32::try_from(y.value).ok();
                j += comma + 1;
            }
        } else if self.is(j, "of") && self.month_after_of(j) {
            if self.is(j + 1, "every") || self.is(j + 1, "each") {
                monthly = true;
                j += 3;
            } else if self.is(j + 1, "the") {
                j += 3;
            }
        }
        Ok(Some((Day::Date { year, month, day }, monthly, j - k)))
    }

    fn iso_date(&self, s: usize) -> Result<Option<(Day, bool, usize)>, Fail> {
        let year = self.num(s).filter(|n| n.digits == 4);
        let glued = (1..5).all(|k| self.glued(s + k));
        let shape = self.punct(s + 1, '-') && self.punct(s + 3, '-');
        let (Some(year), Some(month), Some(day), true, true) =
            (year, self.num(s + 2), self.num(s + 4), glued, shape)
        else {
            return Ok(None);
        };
        if !(1..=12).contains(&month.value) {
            return Err(
                Fail::invalid(format!("there is no month {} in a year", month.value))
                    .hint("year-month-day, e.g. \"2026-12-24\""),
            );
        }
        check_day(day.value, Some(month.value))?;
        let date = Day::Date {
            year: i32::try_from(year.value).ok(),
            month: Some(month.value),
            day: day.value,
        };
        Ok(Some((date, false, 5)))
    }

    /// A time: `[at|@] 9`, "9am", "9:30", "9.30pm", "21:15", "9 o'clock", "noon", "midnight".
    fn time_piece(&mut self) -> Result<(), Fail> {
        let at = usize::from(self.is(0, "at") || self.punct(0, '@'));
        let mut j = at;
        let clock = match self.word(j) {
            Some("noon" | "midday") => Some(Clock::Noon),
            Some("midnight") => Some(Clock::Midnight),
            _ => None,
        };
        if let Some(clock) = clock {
            self.spec.set_time(clock)?;
            self.i += j + 1;
            return Ok(());
        }
        let time_help = "\"at 9\", \"at 18:30\", \"at 7pm\"";
        let Some(hour) = self.num(j).filter(|n| n.digits <= 2) else {
            return Err(if at == 1 {
                Fail::not_understood("\"at\" must be followed by a time").hint(time_help)
            } else {
                self.unknown(0)
            });
        };
        j += 1;
        let mut minute = None;
        if (self.punct(j, ':') || self.punct(j, '.'))
            && self.glued(j)
            && self.glued(j + 1)
            && let Some(m) = self.num(j + 1)
        {
            if m.digits != 2 && self.punct(j, ':') {
                return Err(Fail::invalid("minutes are written with two digits")
                    .hint("\"at 9:05\", \"at 9:30\""));
            }
            if m.digits == 2 {
                minute = Some(m.value);
                j += 2;
            }
        }
        let meridiem = match self.word(j) {
            Some("am") => Some(Meridiem::Am),
            Some("pm") => Some(Meridiem::Pm),
            _ => None,
        };
        j += usize::from(meridiem.is_some());
        let oclock = minute.is_none() && matches!(self.word(j), Some("o'clock" | "oclock"));
        j += usize::from(oclock);
        if self.mode == Mode::Sentence
            && at == 0
            && minute.is_none()
            && meridiem.is_none()
            && !oclock
        {
            return Err(Fail::not_understood(
                "a bare number is not a time in a sentence",
            ));
        }
        let (hour, minute) = (hour.value, minute.unwrap_or(0));
        let written = |h: u32| match minute {
            0 => format!("{h}"),
            m => format!("{h}:{m:02}"),
        };
        if minute > 59 {
            return Err(Fail::invalid(format!(
                "minute {minute} does not exist; minutes go from 00 to 59"
            ))
            .hint(time_help));
        }
        if meridiem.is_some() && !(1..=12).contains(&hour) {
            return Err(Fail::invalid(format!(
                "\"{}{}\" is not a time; with am or pm the hour goes from 1 to 12",
                written(hour),
                if meridiem == Some(Meridiem::Am) {
                    "am"
                } else {
                    "pm"
                }
            ))
            .hint(time_help));
        }
        if hour > 23 {
            return Err(Fail::invalid(format!(
                "hour {hour} does not exist; hours go from 0 to 23"
            ))
            .hint(time_help));
        }
        let leading_zero = self.num(at).is_some_and(|n| n.digits == 2) && hour < 10;
        self.spec.set_time(Clock::At {
            hour,
            minute,
            meridiem,
            either_half: meridiem.is_none() && (1..=11).contains(&hour) && !leading_zero,
        })?;
        self.i += j;
        Ok(())
    }
}

/// Monday to Friday, for "weekdays".
fn mon_to_fri() -> Vec<Weekday> {
    vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
}

/// Refuses days a month never has: "February 30", "the 32nd".
fn check_day(day: u32, month: Option<u32>) -> Result<(), Fail> {
    let max = month.map_or(31, words::max_days);
    if (1..=max).contains(&day) {
        return Ok(());
    }
    let reason = match month {
        Some(m) => format!("{} has no {}", words::month_name(m), words::ordinal(day)),
        None => format!("no month has a {}", words::ordinal(day)),
    };
    Err(Fail::invalid(reason).hint("a real date, e.g. \"on the 28th\" or \"march 3\""))
}
