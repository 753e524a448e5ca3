//! The error a member sees when a phrase is not understood.

use std::fmt;

/// Examples that always work, offered when there is nothing more specific to suggest.
pub(super) const EXAMPLES: &str = "\"tomorrow at 9\", \"in 2 hours\", \"every Monday at 8am\"";

/// Examples of whole reminder sentences.
pub(super) const REMINDER_EXAMPLES: &str =
    "\"me tomorrow at 9 to call grandma\", \"in 2 hours: check the oven\"";

/// Quoted phrases are cut to this many characters so an error stays one readable line.
const QUOTE_CHARS: usize = 60;

/// What went wrong, for callers that react differently to different mistakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DateErrorKind {
    /// Nothing was given.
    Empty,
    /// The phrase is longer than the parser reads.
    TooLong,
    /// Some word or number does not fit where it stands.
    NotUnderstood,
    /// Understood, but impossible: hour 25, February 30, two different days.
    Invalid,
    /// Could mean more than one date, such as "24/12".
    Ambiguous,
    /// The time has already passed.
    Past,
    /// More than ten years ahead.
    TooFar,
    /// A reminder sentence with no time in it.
    NoTime,
    /// A reminder sentence with a time but nothing to be reminded of.
    NoText,
}

/// Why a phrase was not understood. Its `Display` is a sentence a member can act on: it quotes
/// the phrase, says what is wrong and gives examples that work, e.g.
/// `could not understand "blorp" as a time: "blorp" is not a day, time or number I know; try
/// "tomorrow at 9", "in 2 hours", "every Monday at 8am"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DateParseError {
    phrase: String,
    kind: DateErrorKind,
    reason: String,
    hint: String,
}

impl DateParseError {
    /// The phrase (or sentence) that was not understood, as given.
    pub fn phrase(&self) -> &str {
        &self.phrase
    }

    /// What kind of mistake it is.
    pub fn kind(&self) -> DateErrorKind {
        self.kind
    }

    /// What is wrong, without the quote and the examples.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for DateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = quote(&self.phrase);
        let Self { reason, hint, .. } = self;
        match self.kind {
            DateErrorKind::Empty | DateErrorKind::TooLong | DateErrorKind::NotUnderstood => {
                write!(f, "could not understand \"{quoted}\" as a time: {reason}")?;
            }
            DateErrorKind::NoTime => {
                write!(f, "could not find a time in \"{quoted}\": {reason}")?;
            }
            DateErrorKind::NoText => write!(f, "\"{quoted}\" {reason}")?,
            _ => write!(f, "cannot use \"{quoted}\" as a time: {reason}")?,
        }
        write!(f, "; try {hint}")
    }
}

fn quote(phrase: &str) -> String {
    let trimmed = phrase.trim();
    if trimmed.chars().count() <= QUOTE_CHARS {
        return trimmed.to_owned();
    }
    let mut cut: String = trimmed.chars().take(QUOTE_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// A failure before the phrase is known to the error (the grammar and the resolver only see
/// tokens); [`Fail::at`] attaches the phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fail {
    pub kind: DateErrorKind,
    pub reason: String,
    pub hint: Option<String>,
}

impl Fail {
    pub fn new(kind: DateErrorKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
            hint: None,
        }
    }

    pub fn not_understood(reason: impl Into<String>) -> Self {
        Self::new(DateErrorKind::NotUnderstood, reason)
    }

    pub fn invalid(reason: impl Into<String>) -> Self {
        Self::new(DateErrorKind::Invalid, reason)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether the words were read as a time at all; a reminder search skips spans that were
    /// not, and reports the ones that were.
    pub fn is_syntax(&self) -> bool {
        matches!(
            self.kind,
            DateErrorKind::NotUnderstood | DateErrorKind::Empty | DateErrorKind::TooLong
        )
    }

    pub fn at(self, phrase: &str) -> DateParseError {
        let default = match self.kind {
            DateErrorKind::NoTime | DateErrorKind::NoText => REMINDER_EXAMPLES,
            _ => EXAMPLES,
        };
        DateParseError {
            phrase: phrase.to_owned(),
            kind: self.kind,
            reason: self.reason,
            hint: self.hint.unwrap_or_else(|| default.to_owned()),
        }
    }
}
