//! The scheduler: reminders people can trust.
//!
//! * **Triggers** ([`Trigger`]): a one-shot instant, a fixed interval, a cron expression or an
//!   RFC 5545 RRULE with EXDATEs, read on the wall clock of the member's time zone, with explicit
//!   rules for daylight-saving gaps (fire at the first valid instant after) and overlaps (fire
//!   once).
//! * **Durable occurrences.** Each job's next firing is a row. A [`SchedulerRunner`] claims due
//!   rows under a lease (PostgreSQL `FOR UPDATE SKIP LOCKED`, so several processes never run the
//!   same one; SQLite one writer), runs the job's handler, and writes the message to the outbox
//!   in the same transaction that marks the occurrence done and plans the next one. A crashed
//!   runner's leases expire and are claimed again.
//! * **Execution ≠ delivery.** The outbox row is delivered through a [`Notifier`]; each attempt
//!   is recorded; transient failures are retried with backoff without running the handler again.
//!   The notification carries the idempotency key `(job id, scheduled instant)` so a channel can
//!   drop a duplicate send after a crash.
//! * **Misfires.** After downtime each job's [`MisfirePolicy`](crate::MisfirePolicy) applies (skip, fire once, fire all
//!   within the grace window); late firings are marked late, and each member gets one short
//!   summary of what was missed and what was sent late.
//! * **Time** comes from a [`Clock`](crate::Clock): tests drive a
//!   [`ManualClock`](crate::ManualClock) and call [`SchedulerRunner::tick`].
//!
//! ```
//! use std::sync::Arc;
//! use fa_core::scheduler::{JobRegistry, NewJob, Scheduler, StoreScheduler, Trigger};
//! use fa_core::{HouseholdStore, ManualClock, NewMember, Role, SqliteOptions, SqliteStore};
//!
//! # async fn run() -> fa_core::Result<()> {
//! let clock = Arc::new(ManualClock::new("2026-03-28T08:00:00Z".parse().unwrap()));
//! let store = Arc::new(SqliteStore::open_with(SqliteOptions::memory().clock(clock.clone())).await?);
//! let home = store.create_household("Home").await?;
//! let ana = store.add_member(home.id, NewMember::new("Ana", Role::Owner).with_timezone("Europe/Berlin")).await?;
//!
//! let scheduler = StoreScheduler::new(store.clone(), JobRegistry::with_builtins()).with_clock(clock);
//! let job = scheduler
//!     .schedule(ana.scope(), NewJob::reminder("Water the plants", Trigger::cron("30 2 * * *")))
//!     .await?;
//! let next = scheduler.upcoming(ana.scope(), 1).await?;
//! // 02:30 does not exist in Berlin on 29 March 2026: it fires at 03:00 CEST, the first valid instant.
//! assert_eq!(next[0].local_due.to_rfc3339(), "2026-03-29T03:00:00+02:00");
//! # let _ = job; Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```

mod builtin;
mod kinds;
mod local_time;
mod misfire;
mod new_job;
mod notifier;
mod runner;
mod service;
mod summary;
mod trigger;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use builtin::{
    CheckInPayload, CheckInPrompt, Digest, DigestPayload, HabitNudge, HabitNudgePayload, Reminder,
    ReminderPayload,
};
pub use kinds::{DynJobKind, JobContext, JobError, JobKind, JobOutput, JobRegistry};
pub use local_time::resolve_local;
pub use misfire::MAX_CATCH_UP;
pub use new_job::{DEFAULT_CHANNEL, NewJob};
pub use notifier::{DeliveryError, DeliveryErrorKind, Notifier, RetryPolicy, Sent};
pub use runner::{RunnerOptions, SchedulerRunner, TickReport};
pub use service::StoreScheduler;
pub use trigger::Trigger;

pub(crate) use new_job::validate_stored_job;

use crate::{
    DeliveryReceipt, HouseholdId, Job, JobId, MemberId, MemberScope, Occurrence, OccurrenceId,
    Result, Upcoming,
};

/// Plans, lists and changes a member's jobs. Hold it as `Arc<dyn Scheduler>`; a
/// [`SchedulerRunner`] fires what it plans.
#[async_trait]
pub trait Scheduler: Send + Sync {
    /// Schedules a job for a member. Bad input (unknown kind, payload that does not fit it, bad
    /// cron or RRULE text, unknown timezone, a one-shot in the past, a zero interval) is an
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the field, and nothing is
    /// stored.
    async fn schedule(&self, scope: MemberScope, job: NewJob) -> Result<Job>;

    /// Schedules many jobs of one household at once, all or nothing; the error of the first bad
    /// job names its index. Returns the new jobs' ids in order.
    async fn schedule_many(
        &self,
        household: HouseholdId,
        jobs: Vec<(MemberId, NewJob)>,
    ) -> Result<Vec<JobId>>;

    /// One job.
    async fn job(&self, scope: MemberScope, id: JobId) -> Result<Option<Job>>;

    /// The member's active and paused jobs.
    async fn jobs(&self, scope: MemberScope) -> Result<Vec<Job>>;

    /// The member's next firings, soonest first, with their times on the member's wall clock.
    async fn upcoming(&self, scope: MemberScope, limit: u32) -> Result<Vec<Upcoming>>;

    /// Pauses a job until resumed.
    async fn pause(&self, scope: MemberScope, id: JobId) -> Result<Job>;

    /// Resumes a paused job at its next firing from now (firings missed while paused are not
    /// replayed; a one-shot whose time passed fires at once, marked late).
    async fn resume(&self, scope: MemberScope, id: JobId) -> Result<Job>;

    /// Cancels a job; it never fires again.
    async fn cancel(&self, scope: MemberScope, id: JobId) -> Result<Job>;

    /// Snoozes an occurrence to `until`: a pending one moves, a fired one fires again then.
    async fn snooze(
        &self,
        scope: MemberScope,
        occurrence: OccurrenceId,
        until: DateTime<Utc>,
    ) -> Result<Occurrence>;

    /// Marks an occurrence done (e.g. the member tapped "Done"); cancels its pending snoozes.
    async fn done(&self, scope: MemberScope, occurrence: OccurrenceId) -> Result<Occurrence>;

    /// A job's occurrences, newest first: when each was due, ran, whether late, why skipped.
    async fn history(&self, scope: MemberScope, job: JobId, limit: u32) -> Result<Vec<Occurrence>>;

    /// Every recorded delivery attempt of an occurrence's message, in order.
    async fn deliveries(
        &self,
        scope: MemberScope,
        occurrence: OccurrenceId,
    ) -> Result<Vec<DeliveryReceipt>>;
}
