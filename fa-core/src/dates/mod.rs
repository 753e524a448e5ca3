//! Natural-language dates in English: "tomorrow at 9", "in 2 hours", "every Monday at 8am".
//!
//! Everything is pure: the current instant and the member's time zone come in as arguments, and
//! all calendar arithmetic happens on the member's wall clock.
//!
//! # Rules
//!
//! Phrases are case-insensitive; extra spaces, commas and a trailing period are ignored.
//!
//! **Times**
//! - "9", "9am", "9 am", "9 a.m.", "9:30", "9.30pm", "21:15", "9 o'clock", "at 9", "@9",
//!   "noon" (12:00), "midnight", "morning" (09:00), "afternoon" (15:00), "evening" (19:00),
//!   "night" (20:00).
//! - A bare hour 1–11 (no am/pm, no leading zero) is read as morning, except on today: if that
//!   has passed but the evening reading has not, it is the evening one ("today at 5" at 10:00
//!   is 17:00). So "today at 9am" at 10:00 is an error (passed), but "today at 9" is 21:00.
//! - Inside a part of the day a bare hour takes its half: "tomorrow evening at 7" is 19:00,
//!   "tonight at 10" is 22:00, "9 in the morning" is 09:00. An explicit am/pm wins over the part.
//! - "midnight" is 00:00 at the *end* of the day it is on: "friday at midnight" is the night
//!   into Saturday, "midnight" alone is the coming one.
//! - A time without a day is the next time the clock shows it: today if still ahead, else
//!   tomorrow ("at 9am" at 10:00 is tomorrow 09:00).
//! - A day without a time means 09:00 ("tomorrow" is tomorrow 09:00).
//! - "tonight" alone is today 20:00 if that is still ahead, else tomorrow 20:00; "tonight at
//!   10" is today 22:00 and an error once that has passed.
//!
//! **Days**
//! - "today", "tomorrow", "the day after tomorrow", "this morning".
//! - "friday", "on friday", "this friday", "coming friday" (and "fri", "tue", "thurs"...): the
//!   nearest Friday whose resulting instant is after now; today counts if the time is still
//!   ahead.
//! - "next friday": the first Friday strictly after today (it never means today).
//! - "the 3rd", "on the 15th": the next such day of a month, this month if still ahead; months
//!   without that day are skipped ("the 31st" in November is December 31).
//! - "15 march", "march 15", "march 15th", "15th of march", "march 15, 2027", "2026-12-24":
//!   without a year, the next time that date comes (February 29 waits for a leap year); with a
//!   year it must be ahead.
//! - "24/12" and "12/24" are refused as ambiguous; write "24 december" or "2026-12-24".
//!
//! **Amounts of time**
//! - "in 2 hours", "in 45 minutes", "in 30 min", "in an hour", "in half an hour", "in an hour
//!   and a half", "in 1.5 hours", "in 1h30m", "in 2 hours and 15 minutes", "in 90 minutes from
//!   now": real elapsed time from now (seconds of now kept).
//! - "in 3 days", "in a week", "in 2 weeks", "in 2 months": calendar steps that keep now's
//!   wall-clock time ("in 3 days at 9" takes the given time instead). Hours and days cannot be
//!   mixed in one phrase.
//!
//! **Repetitions** (an RRULE, read on the member's wall clock from a wall-clock start)
//! - "every day at 7", "daily at 7pm", "every morning", "every other day", "every 3 days",
//!   "every weekday at 8" (MO–FR), "every weekend" (SA, SU), "every monday at 8am", "every
//!   monday and thursday at 18:00", "on mondays", "every 2 weeks on tuesday", "weekly on
//!   friday", "on the 3rd of every month", "every month on the 15th at 10", "monthly on the
//!   1st", "every year on march 3", "every last friday of the month", "every first monday".
//! - Several weekdays ("on tuesday and friday", "mon wed fri") only make sense repeating; a
//!   one-shot with several days is refused.
//! - The time of day is BYHOUR/BYMINUTE with BYSECOND=0, 09:00 when none is given. A bare hour
//!   is read as written: "every day at 7" is 07:00.
//! - "every week", "every month", "every year" without a day fire first on the next day whose
//!   time is ahead, and the rule names that weekday / day of month / date explicitly.
//! - "every hour" fires on the hour (FREQ=HOURLY;BYMINUTE=0;BYSECOND=0), from the next full
//!   hour. "every 15 minutes" (FREQ=MINUTELY;INTERVAL=15) fires first 15 minutes from now,
//!   seconds dropped. Neither takes a time of day.
//! - `start` is the first occurrence on the wall clock, so the rule always matches its start
//!   and the scheduler enumerates from near now; `first` is that occurrence as an instant,
//!   strictly after now.
//! - "at 10 on the 15th" has no "every", so it fires once.
//!
//! **Instants and daylight saving**
//! - One-shots and `first` are always strictly after now, and at most 10 years ahead.
//! - A wall-clock time inside a DST gap is the first valid instant after it (02:30 on
//!   29 March 2026 in Europe/Berlin is 03:00 CEST); inside an overlap, the earlier instant.
//!   These are the scheduler's rules, so a reminder fires when this module says.
//!
//! **Refused**: empty input, phrases over [`MAX_PHRASE_CHARS`] characters (sentences over
//! [`MAX_SENTENCE_CHARS`]), unknown words, hour > 23 (so "24:00" too), minute > 59, minutes
//! not written with two digits ("9:5"), am/pm with an hour outside 1–12, days no month has
//! ("the 32nd", "February 30"), dates that do not exist in their year ("2027-02-29"), fractions
//! of days ("in 1.5 days"), two days or two times in one phrase, past times and dates, more
//! than 10 years ahead, "every N" with N outside 1–1000.

mod error;
mod grammar;
mod lexer;
mod recur;
mod reminder;
mod resolve;
mod spec;
mod words;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_more;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

pub use error::{DateErrorKind, DateParseError};

use error::Fail;

/// The longest phrase [`parse_when`] reads, in characters.
pub const MAX_PHRASE_CHARS: usize = 200;

/// The longest sentence [`parse_reminder`] reads, in characters: longer than a phrase, because
/// the text to be reminded of is in it too.
pub const MAX_SENTENCE_CHARS: usize = 1000;

/// What a phrase means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// One instant.
    Once(DateTime<Utc>),
    /// A recurrence: an RFC 5545 RRULE value (text after `RRULE:`, e.g.
    /// "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0") read on the member's wall clock
    /// from the wall-clock `start` (DTSTART, local time in tz), and the `first` firing as an
    /// instant (> now).
    Recurring {
        /// The RRULE value, without the `RRULE:` prefix.
        rule: String,
        /// DTSTART on the member's wall clock: the first occurrence.
        start: NaiveDateTime,
        /// The first firing as an instant, after the DST rules.
        first: DateTime<Utc>,
    },
}

/// Parses a whole phrase ("tomorrow at 9") relative to `now`, on the wall clock of `tz`.
///
/// See the [module documentation](self) for what is understood and how.
pub fn parse_when(phrase: &str, now: DateTime<Utc>, tz: Tz) -> Result<When, DateParseError> {
    check_size(phrase, MAX_PHRASE_CHARS)?;
    let tokens = lexer::lex(phrase);
    let first = tokens
        .iter()
        .position(|t| !t.is_any_punct() || t.is_punct('@'))
        .unwrap_or(tokens.len());
    let last = tokens
        .iter()
        .rposition(|t| !t.is_any_punct())
        .map_or(first, |p| (p + 1).max(first));
    let core = tokens.get(first..last).unwrap_or(&[]);
    if core.is_empty() {
        return Err(Fail::not_understood("it has no words or numbers").at(phrase));
    }
    let spec = grammar::parse(core, grammar::Mode::Phrase).map_err(|f| f.at(phrase))?;
    resolve_spec(&spec, now, tz).map_err(|f| f.at(phrase))
}

/// Finds the time phrase in a reminder sentence and returns it with what to be reminded of:
/// "me tomorrow at 9 to call grandma" -> (Once(tomorrow 09:00 local), "call grandma");
/// "to call grandma tomorrow at 9" -> same; "every Monday at 8am take out the bins" ->
/// (Recurring.., "take out the bins"); "in 2 hours: check the oven" -> (.., "check the oven").
/// Leading "me", "to", "that", ":", "-" and trailing punctuation are trimmed from the text.
///
/// In a sentence a bare number is not taken as a time ("buy 2 eggs tomorrow" keeps its 2); write
/// "at 5", "5pm" or "5:00". The time phrase is looked for at the start or the end of the sentence
/// first, then in the middle; the longest one found wins.
///
/// Error if no time phrase is found, if the one found cannot be used (it has passed, say), or
/// if the remaining text is empty.
pub fn parse_reminder(
    sentence: &str,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(When, String), DateParseError> {
    check_size(sentence, MAX_SENTENCE_CHARS)?;
    reminder::parse(sentence, now, tz)
}

fn check_size(text: &str, max_chars: usize) -> Result<(), DateParseError> {
    if text.trim().is_empty() {
        return Err(Fail::new(DateErrorKind::Empty, "it is empty").at(text));
    }
    if text.chars().nth(max_chars).is_some() {
        return Err(Fail::new(
            DateErrorKind::TooLong,
            format!("it is longer than {max_chars} characters"),
        )
        .at(text));
    }
    Ok(())
}

fn resolve_spec(spec: &spec::Spec, now: DateTime<Utc>, tz: Tz) -> Result<When, Fail> {
    match &spec.recur {
        Some(recur) => recur::recurring(spec, recur, now, tz),
        None => resolve::once(spec, now, tz),
    }
}
