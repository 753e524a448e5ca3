//! [`NewJob`]: a job to schedule, with builders for the built-in kinds.

use std::time::Duration;

use serde::Serialize;

use super::builtin::{
    CheckInPayload, CheckInPrompt, Digest, DigestPayload, HabitNudge, HabitNudgePayload, Reminder,
    ReminderPayload,
};
use super::kinds::JobKind;
use super::trigger::Trigger;
use crate::{Error, HabitId, Job, MisfirePolicy, Result};

/// The channel a job's messages go to unless it names one: the notifier picks the member's
/// usual channel.
pub const DEFAULT_CHANNEL: &str = "default";

/// A job to schedule. Unset options take the kind's defaults (misfire policy, grace window) and
/// the member's time zone.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NewJob {
    /// The registered kind, e.g. `reminder`.
    pub kind: String,
    /// The kind's payload.
    pub payload: serde_json::Value,
    /// When it fires.
    pub trigger: Trigger,
    /// An IANA time zone to read the trigger in instead of the member's.
    pub timezone: Option<String>,
    /// The channel for its messages (default [`DEFAULT_CHANNEL`]).
    pub channel: Option<String>,
    /// What to do after downtime, instead of the kind's default.
    pub misfire: Option<MisfirePolicy>,
    /// How late a missed firing may still run, instead of the kind's default; `Some(None)`:
    /// however late.
    pub grace: Option<Option<Duration>>,
}

impl NewJob {
    /// A job of `kind` with a JSON payload.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value, trigger: Trigger) -> Self {
        Self {
            kind: kind.into(),
            payload,
            trigger,
            timezone: None,
            channel: None,
            misfire: None,
            grace: None,
        }
    }

    /// A job of the typed kind `K`.
    pub fn of<K: JobKind>(payload: &K::Payload, trigger: Trigger) -> Result<Self> {
        let payload = to_json(payload)?;
        Ok(Self::new(K::NAME, payload, trigger))
    }

    /// A reminder with its text.
    pub fn reminder(text: impl Into<String>, trigger: Trigger) -> Self {
        let payload = to_json(&ReminderPayload { text: text.into() }).unwrap_or_default();
        Self::new(Reminder::NAME, payload, trigger)
    }

    /// The daily check-in question (or `prompt` instead of the default one).
    pub fn check_in(prompt: Option<String>, trigger: Trigger) -> Self {
        let payload = to_json(&CheckInPayload { prompt }).unwrap_or_default();
        Self::new(CheckInPrompt::NAME, payload, trigger)
    }

    /// A nudge for one of the member's habits.
    pub fn habit_nudge(habit_id: HabitId, trigger: Trigger) -> Self {
        let payload = to_json(&HabitNudgePayload { habit_id }).unwrap_or_default();
        Self::new(HabitNudge::NAME, payload, trigger)
    }

    /// The member's agenda for the next 24 hours.
    pub fn digest(trigger: Trigger) -> Self {
        let payload = to_json(&DigestPayload::default()).unwrap_or_default();
        Self::new(Digest::NAME, payload, trigger)
    }

    /// Reads the trigger in this IANA time zone instead of the member's.
    pub fn in_timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = Some(timezone.into());
        self
    }

    /// Sends its messages on this channel.
    pub fn on_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Sets the misfire policy.
    pub fn misfire(mut self, policy: MisfirePolicy) -> Self {
        self.misfire = Some(policy);
        self
    }

    /// Missed firings more than `grace` late are skipped.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = Some(Some(grace));
        self
    }

    /// Missed firings run however late (the policy permitting).
    pub fn without_grace(mut self) -> Self {
        self.grace = Some(None);
        self
    }
}

fn to_json<T: Serialize>(payload: &T) -> Result<serde_json::Value> {
    serde_json::to_value(payload).map_err(|e| Error::invalid("payload", e.to_string()))
}

/// The checks a store makes before writing a job, whoever built it.
pub(crate) fn validate_stored_job(job: &Job) -> Result<()> {
    crate::domain::validate_name("kind", &job.kind, 64)?;
    crate::domain::validate_name("channel", &job.channel, 64)?;
    crate::domain::validate_json("payload", &job.payload, 16 * 1024)
}
