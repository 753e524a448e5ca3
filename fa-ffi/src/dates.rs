//! The natural-language date reader: "tomorrow at 9", "every Monday at 8am", "in 2 hours".

use fa_core::dates::When;
use fa_core::ffi::{UtcTime, WallTime};

use crate::error::{FaError, Result};

/// What a date phrase means.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ParsedWhen {
    /// Once, at an instant.
    Once {
        /// The instant.
        at: UtcTime,
    },
    /// Again and again: an RRULE from a wall-clock start, first firing at `first`.
    Recurring {
        /// The RRULE (e.g. `FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0`).
        rule: String,
        /// Its wall-clock start in the member's timezone.
        start: WallTime,
        /// Its first firing.
        first: UtcTime,
    },
}

/// A reminder sentence read: when, and what to be reminded of.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ParsedReminder {
    /// When.
    pub when: ParsedWhen,
    /// What, e.g. "call grandma".
    pub text: String,
}

impl From<When> for ParsedWhen {
    fn from(when: When) -> Self {
        match when {
            When::Once(at) => ParsedWhen::Once { at },
            When::Recurring { rule, start, first } => ParsedWhen::Recurring { rule, start, first },
        }
    }
}

/// Reads a date phrase at `now` in `timezone` (IANA).
#[uniffi::export]
pub fn parse_when(phrase: String, now: UtcTime, timezone: String) -> Result<ParsedWhen> {
    let tz = fa_core::parse_timezone(&timezone)?;
    fa_core::dates::parse_when(&phrase, now, tz)
        .map(ParsedWhen::from)
        .map_err(|e| FaError::invalid("phrase", e))
}

/// Finds the time in a reminder sentence ("tomorrow at 9 to call grandma").
#[uniffi::export]
pub fn parse_reminder(sentence: String, now: UtcTime, timezone: String) -> Result<ParsedReminder> {
    let tz = fa_core::parse_timezone(&timezone)?;
    let (when, text) = fa_core::dates::parse_reminder(&sentence, now, tz)
        .map_err(|e| FaError::invalid("sentence", e))?;
    Ok(ParsedReminder {
        when: when.into(),
        text,
    })
}
