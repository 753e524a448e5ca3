//! fa's built-in job kinds: reminders, the daily check-in, habit nudges and the digest.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::kinds::{JobContext, JobError, JobKind, JobOutput};
use crate::{Error, HabitId, Result};

const SIX_HOURS: Duration = Duration::from_secs(6 * 3_600);

/// `reminder`: sends the member their text. Fires once after downtime, however late, and says
/// it is late: a reminder that never comes is worse than a late one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reminder;

/// The payload of a [`Reminder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderPayload {
    /// What to remind of, e.g. "Take the pills".
    pub text: String,
}

#[async_trait]
impl JobKind for Reminder {
    const NAME: &'static str = "reminder";
    type Payload = ReminderPayload;

    fn validate(&self, payload: &ReminderPayload) -> Result<()> {
        if payload.text.trim().is_empty() {
            return Err(Error::invalid("payload.text", "a reminder needs some text"));
        }
        crate::domain::validate_text("payload.text", &payload.text, 2_000)
    }

    async fn run(&self, ctx: &JobContext, payload: ReminderPayload) -> Result<JobOutput, JobError> {
        let text = if ctx.late {
            format!(
                "⏰ {} (due {}, sent late)",
                payload.text,
                ctx.local_due().format("%H:%M")
            )
        } else {
            format!("⏰ {}", payload.text)
        };
        Ok(JobOutput::Message(text))
    }
}

/// `check_in`: asks the member how they are. Skipped when more than six hours late.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckInPrompt;

/// The payload of a [`CheckInPrompt`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckInPayload {
    /// The question to ask instead of the default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

#[async_trait]
impl JobKind for CheckInPrompt {
    const NAME: &'static str = "check_in";
    type Payload = CheckInPayload;

    fn grace(&self) -> Option<Duration> {
        Some(SIX_HOURS)
    }

    fn validate(&self, payload: &CheckInPayload) -> Result<()> {
        match &payload.prompt {
            Some(prompt) => crate::domain::validate_text("payload.prompt", prompt, 1_000),
            None => Ok(()),
        }
    }

    async fn run(&self, _ctx: &JobContext, payload: CheckInPayload) -> Result<JobOutput, JobError> {
        Ok(JobOutput::Message(payload.prompt.unwrap_or_else(|| {
            "How are you today? Answer 1 (bad) to 5 (great), with a note if you like.".to_owned()
        })))
    }
}

/// `habit_nudge`: reminds the member of one of their habits, by name. Sends nothing for an
/// archived habit. Skipped when more than six hours late.
#[derive(Debug, Clone, Copy, Default)]
pub struct HabitNudge;

/// The payload of a [`HabitNudge`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HabitNudgePayload {
    /// The member's habit.
    pub habit_id: HabitId,
}

#[async_trait]
impl JobKind for HabitNudge {
    const NAME: &'static str = "habit_nudge";
    type Payload = HabitNudgePayload;

    fn grace(&self) -> Option<Duration> {
        Some(SIX_HOURS)
    }

    async fn run(
        &self,
        ctx: &JobContext,
        payload: HabitNudgePayload,
    ) -> Result<JobOutput, JobError> {
        let habits = ctx.store.habits(ctx.scope()).await?;
        let habit = habits
            .into_iter()
            .find(|h| h.id == payload.habit_id)
            .ok_or_else(|| JobError(format!("habit {} no longer exists", payload.habit_id)))?;
        if habit.archived {
            return Ok(JobOutput::Nothing);
        }
        Ok(JobOutput::Message(format!("🌱 Time for: {}", habit.name)))
    }
}

/// `digest`: the member's agenda for the next 24 hours, from their pending occurrences.
/// Skipped when more than six hours late.
#[derive(Debug, Clone, Copy, Default)]
pub struct Digest;

/// The payload of a [`Digest`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DigestPayload {
    /// A heading instead of "Your next 24 hours".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[async_trait]
impl JobKind for Digest {
    const NAME: &'static str = "digest";
    type Payload = DigestPayload;

    fn grace(&self) -> Option<Duration> {
        Some(SIX_HOURS)
    }

    fn validate(&self, payload: &DigestPayload) -> Result<()> {
        match &payload.title {
            Some(title) => crate::domain::validate_text("payload.title", title, 200),
            None => Ok(()),
        }
    }

    async fn run(&self, ctx: &JobContext, payload: DigestPayload) -> Result<JobOutput, JobError> {
        let horizon = ctx.now + chrono::Duration::hours(24);
        let upcoming = ctx.store.upcoming(ctx.scope(), 50).await?;
        let mut lines = vec![
            payload
                .title
                .unwrap_or_else(|| "Your next 24 hours:".to_owned()),
        ];
        let mut any = false;
        for item in upcoming {
            if item.occurrence.due_at > horizon {
                break;
            }
            if item.job.id == ctx.job.id {
                continue;
            }
            any = true;
            let local = item.occurrence.due_at.with_timezone(&item.job.timezone);
            lines.push(format!(
                "• {} {}",
                local.format("%a %H:%M"),
                describe(&item.job)
            ));
        }
        if !any {
            lines.push("Nothing scheduled.".to_owned());
        }
        Ok(JobOutput::Message(lines.join("\n")))
    }
}

/// A short human label for a job: a reminder's text, otherwise its kind.
pub(crate) fn describe(job: &crate::Job) -> String {
    match job.payload.get("text").and_then(|t| t.as_str()) {
        Some(text) if job.kind == Reminder::NAME => text.to_owned(),
        _ => job.kind.replace('_', " "),
    }
}
