//! Habits, their completions, and check-ins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{CheckInId, Error, HabitId, HabitLogId, HouseholdId, MemberId, Result};

/// Something a member wants to do regularly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Habit {
    /// Its id.
    pub id: HabitId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member it belongs to.
    pub member_id: MemberId,
    /// What the habit is, e.g. "stretch".
    pub name: String,
    /// How many completions a week count as on track, if the member set a goal.
    pub target_per_week: Option<u8>,
    /// Whether it is retired (kept for history).
    pub archived: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A habit to create.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewHabit {
    /// What the habit is; must not be blank.
    pub name: String,
    /// Weekly goal in completions, 1–100 (several-a-day habits go past 7).
    pub target_per_week: Option<u8>,
}

impl NewHabit {
    /// A habit without a weekly goal.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            target_per_week: None,
        }
    }

    /// Sets a weekly goal.
    pub fn with_target_per_week(mut self, times: u8) -> Self {
        self.target_per_week = Some(times);
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        super::validate_name("habit name", &self.name, 200)?;
        match self.target_per_week {
            Some(t) if !(1..=100).contains(&t) => Err(Error::invalid(
                "target_per_week",
                format!("{t} is outside 1–100"),
            )),
            _ => Ok(()),
        }
    }
}

/// One completion of a habit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HabitLog {
    /// Its id.
    pub id: HabitLogId,
    /// The habit.
    pub habit_id: HabitId,
    /// When it was done.
    pub done_at: DateTime<Utc>,
    /// An optional remark.
    pub note: Option<String>,
}

/// A mood on a 1–5 scale (1 = very low, 5 = very good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Mood(u8);

// In the bindings a mood is its number; one outside 1–5 is refused when it crosses.
#[cfg(feature = "uniffi")]
uniffi::custom_type!(Mood, u8, {
    try_lift: |value| Ok(Mood::new(value).map_err(crate::ffi::FaError::from)?),
    lower: |mood| mood.get(),
});

impl Mood {
    /// A mood, if `value` is within 1–5.
    pub fn new(value: u8) -> Result<Self> {
        if (1..=5).contains(&value) {
            Ok(Self(value))
        } else {
            Err(Error::invalid(
                "mood",
                format!("{value} is outside the 1–5 scale"),
            ))
        }
    }

    /// The value, 1–5.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Mood {
    type Error = Error;

    fn try_from(value: u8) -> Result<Self> {
        Mood::new(value)
    }
}

impl From<Mood> for u8 {
    fn from(mood: Mood) -> u8 {
        mood.0
    }
}

/// One answered question of a check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CheckInAnswer {
    /// The question asked.
    pub question: String,
    /// The member's answer.
    pub answer: String,
}

impl CheckInAnswer {
    pub(crate) fn validate(&self) -> Result<()> {
        super::validate_name("question", &self.question, 2_000)?;
        super::validate_text("answer", &self.answer, 2_000)
    }
}

/// A member's check-in: mood and answers at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CheckIn {
    /// Its id.
    pub id: CheckInId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member.
    pub member_id: MemberId,
    /// Mood, 1–5.
    pub mood: Mood,
    /// Answers to the check-in questions.
    pub answers: Vec<CheckInAnswer>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}
