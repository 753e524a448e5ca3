//! Scheduled jobs and their occurrences, as the scheduler stores them.
//!
//! A [`Job`] says what to do (its `kind` and `payload`), for whom, and when (its
//! [`Trigger`](crate::scheduler::Trigger), read on the wall clock of its time zone). Each planned
//! firing is an [`Occurrence`] row: the next one is always materialised, so a restart finds it in
//! the database, and a runner claims it with a lease before running it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::scheduler::Trigger;
use crate::{HouseholdId, JobId, MemberId, NotificationId, OccurrenceId};

/// What a runner does with an occurrence it finds overdue after downtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MisfirePolicy {
    /// Do not run it; it is reported as missed.
    Skip,
    /// Run it once, late, and mark it late; further firings a recurring job missed meanwhile are
    /// coalesced into that one. The default.
    #[default]
    FireOnce,
    /// Run every missed firing, late, in order (within the job's grace window).
    FireAll,
}

named_enum!(MisfirePolicy, "misfire policy", {
    Skip => "skip",
    FireOnce => "fire_once",
    FireAll => "fire_all",
});

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobState {
    /// It fires when due.
    Active,
    /// It keeps its next occurrence but does not fire until resumed.
    Paused,
    /// Cancelled by a person or a program; it never fires again.
    Cancelled,
    /// It has no further occurrence (a one-shot that fired, an exhausted rule).
    Completed,
}

named_enum!(JobState, "job state", {
    Active => "active",
    Paused => "paused",
    Cancelled => "cancelled",
    Completed => "completed",
});

/// Where an occurrence stands. Execution status only: whether its message reached the member is
/// the delivery status of its notification ([`Occurrence::notification_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OccurrenceState {
    /// Waiting for its due instant (or for its job to be resumed).
    Pending,
    /// Claimed by a runner, whose lease has not yet expired.
    Running,
    /// Its handler ran; any message it produced is in the outbox.
    Done,
    /// Its handler failed or panicked; `detail` says why.
    Failed,
    /// It was not run (misfire policy or grace window); `detail` says why.
    Skipped,
    /// Its job was cancelled before it ran.
    Cancelled,
}

named_enum!(OccurrenceState, "occurrence state", {
    Pending => "pending",
    Running => "running",
    Done => "done",
    Failed => "failed",
    Skipped => "skipped",
    Cancelled => "cancelled",
});

impl OccurrenceState {
    /// Whether nothing more will happen to the occurrence.
    pub const fn is_final(self) -> bool {
        !matches!(self, OccurrenceState::Pending | OccurrenceState::Running)
    }
}

/// A scheduled job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// `Job` would clash with kotlinx.coroutines.Job in the generated Kotlin.
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "ScheduledJob")
)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member it is for.
    pub member_id: MemberId,
    /// The registered kind that runs it, e.g. `reminder`.
    pub kind: String,
    /// The kind's typed payload, as JSON.
    pub payload: serde_json::Value,
    /// When it fires.
    pub trigger: Trigger,
    /// The time zone its trigger is read in (normally the member's).
    pub timezone: Tz,
    /// The channel its messages go to, e.g. `telegram`.
    pub channel: String,
    /// What to do with firings missed during downtime.
    pub misfire: MisfirePolicy,
    /// How late a missed firing may still run; `None`: however late.
    pub grace: Option<Duration>,
    /// Where it stands.
    pub state: JobState,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One planned firing of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Occurrence {
    /// Its id.
    pub id: OccurrenceId,
    /// The job.
    pub job_id: JobId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member.
    pub member_id: MemberId,
    /// The instant the trigger produced. With the job id, it is the idempotency key of the firing.
    pub scheduled_at: DateTime<Utc>,
    /// When it is due: `scheduled_at`, or later if snoozed.
    pub due_at: DateTime<Utc>,
    /// Execution status.
    pub state: OccurrenceState,
    /// How many times a runner claimed it (more than 1 after a crash or an expired lease).
    pub claims: u32,
    /// When its handler ran.
    pub fired_at: Option<DateTime<Utc>>,
    /// It ran (or was skipped) later than the runner's lateness threshold after `due_at`.
    pub late: bool,
    /// Why it failed or was skipped, or what was coalesced into it.
    pub detail: Option<String>,
    /// The message it produced, whose delivery attempts are recorded separately.
    pub notification_id: Option<NotificationId>,
    /// The occurrence this one repeats, when it was planned by snoozing a fired one.
    pub snoozed_from: Option<OccurrenceId>,
    /// When the member marked it done.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl Occurrence {
    /// The idempotency key of this firing, `(job id, scheduled instant)`, as given to channels.
    pub fn idempotency_key(&self) -> String {
        format!(
            "job:{}:{}",
            self.job_id,
            self.scheduled_at.timestamp_micros()
        )
    }
}

/// A pending occurrence with its job, as listed for a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upcoming {
    /// The job.
    pub job: Job,
    /// Its next occurrence.
    pub occurrence: Occurrence,
    /// The due instant on the wall clock of the job's time zone, e.g. `2026-03-29T09:00:00+02:00`.
    pub local_due: DateTime<chrono::FixedOffset>,
}
