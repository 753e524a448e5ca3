//! [`JobStore`]: the scheduler's rows. Applications use the
//! [`Scheduler`](crate::scheduler::Scheduler) API, which validates input and does the time
//! maths; this trait is what it (and a runner) needs from a backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::*;

/// A job to insert together with the due instant of its first occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedJob {
    /// The job, fully formed (id, state `active`, timestamps are set by the store).
    pub job: Job,
    /// When its first occurrence is due.
    pub first_due: DateTime<Utc>,
}

/// An occurrence with its job: as claimed by a runner, listed as upcoming, or waiting to be
/// summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOccurrence {
    /// The job.
    pub job: Job,
    /// The occurrence.
    pub occurrence: Occurrence,
}

/// What a runner records for one occurrence it claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct OccurrenceOutcome {
    /// The occurrence.
    pub occurrence: OccurrenceId,
    /// Its job.
    pub job: JobId,
    /// Its member.
    pub scope: MemberScope,
    /// `done`, `failed` or `skipped`.
    pub state: OccurrenceState,
    /// When the handler ran (`None` when skipped).
    pub fired_at: Option<DateTime<Utc>>,
    /// Later than the runner's lateness threshold.
    pub late: bool,
    /// Why it failed or was skipped, or what was coalesced into it.
    pub detail: Option<String>,
    /// The message to put in the outbox, keyed by the firing's idempotency key.
    pub notification: Option<NewNotification>,
    /// Whether the member should hear about it in the next missed/late summary.
    pub needs_summary: bool,
    /// What becomes of the job.
    pub next: NextStep,
}

/// What a runner does to a job after one of its occurrences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextStep {
    /// Materialise the next occurrence, due then.
    Due(DateTime<Utc>),
    /// The job has no further occurrence: it is completed.
    Complete,
    /// Nothing (a snoozed repeat does not advance its job).
    Nothing,
}

/// The scheduler's rows: jobs, occurrences, claims and the outbox side of firing.
///
/// Member calls take a [`MemberScope`] and see only that member's jobs. The runner calls
/// (`claim_*`, `finish_occurrences`, `record_deliveries`, summaries) work across households, as
/// one runner serves the whole database; they return rows only to the runner that holds the lease.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Inserts jobs, each with its first pending occurrence, all or nothing. Jobs may belong to
    /// different members; a member who is not in the job's household is [`Error::NotFound`].
    async fn insert_jobs(&self, jobs: &[PlannedJob]) -> Result<()>;

    /// One job of the member.
    async fn job(&self, scope: MemberScope, id: JobId) -> Result<Option<Job>>;

    /// The member's active and paused jobs, oldest first.
    async fn jobs(&self, scope: MemberScope, limit: u32) -> Result<Vec<Job>>;

    /// The member's pending occurrences with their jobs, soonest first, from active and paused
    /// jobs.
    async fn upcoming(&self, scope: MemberScope, limit: u32) -> Result<Vec<JobOccurrence>>;

    /// Pauses an active job: its pending occurrence stays but is not claimed.
    async fn pause_job(&self, scope: MemberScope, id: JobId) -> Result<Job>;

    /// Resumes a paused job. With `next_due`, the pending occurrence is replaced by one due then
    /// (a recurring job resumes at its next firing, not with the ones it missed while paused).
    async fn resume_job(
        &self,
        scope: MemberScope,
        id: JobId,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<Job>;

    /// Cancels a job and its pending occurrences. Cancelling a finished job is a
    /// [`Error::Conflict`].
    async fn cancel_job(&self, scope: MemberScope, id: JobId) -> Result<Job>;

    /// One occurrence of the member.
    async fn occurrence(&self, scope: MemberScope, id: OccurrenceId) -> Result<Option<Occurrence>>;

    /// A job's occurrences, newest first.
    async fn occurrences(
        &self,
        scope: MemberScope,
        job: JobId,
        limit: u32,
    ) -> Result<Vec<Occurrence>>;

    /// Moves a pending occurrence to `until`, or, for one that already fired, plans a new
    /// occurrence of its job at `until`. Returns the pending occurrence.
    async fn snooze_occurrence(
        &self,
        scope: MemberScope,
        id: OccurrenceId,
        until: DateTime<Utc>,
    ) -> Result<Occurrence>;

    /// Records that the member marked the occurrence done, and cancels snoozed repeats of it
    /// still pending.
    async fn acknowledge_occurrence(
        &self,
        scope: MemberScope,
        id: OccurrenceId,
    ) -> Result<Occurrence>;

    /// Claims up to `limit` occurrences that are due at `now` (or whose previous runner's lease
    /// expired) for `owner` until `lease_until`. On PostgreSQL concurrent runners skip each
    /// other's rows (`FOR UPDATE SKIP LOCKED`); on SQLite the claim is one write transaction.
    async fn claim_occurrences(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<JobOccurrence>>;

    /// Records outcomes of occurrences `owner` claimed, in one transaction: final state, outbox
    /// rows, next occurrences. Outcomes whose lease `owner` no longer holds are ignored. The
    /// notifications created are returned already claimed until `deliver_until`, for the runner
    /// to deliver at once.
    async fn finish_occurrences(
        &self,
        owner: &str,
        outcomes: &[OccurrenceOutcome],
        deliver_until: DateTime<Utc>,
    ) -> Result<Vec<Notification>>;

    /// Claims up to `limit` outbox rows due at `now`, across households, until `lease_until`.
    async fn claim_notifications(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Notification>>;

    /// Records delivery attempts in one transaction. Attempts on notifications that are already
    /// final are skipped; returns how many were recorded.
    async fn record_deliveries(
        &self,
        attempts: &[(HouseholdId, NotificationId, DeliveryAttempt)],
    ) -> Result<usize>;

    /// Late or skipped occurrences not yet summarised, grouped by member (up to `limit`).
    async fn pending_summaries(&self, limit: u32) -> Result<Vec<JobOccurrence>>;

    /// Enqueues one summary notification for the member and marks the occurrences summarised,
    /// in one transaction.
    async fn write_summary(
        &self,
        scope: MemberScope,
        occurrences: &[OccurrenceId],
        notification: NewNotification,
    ) -> Result<Notification>;

    /// The earliest instant at which a runner has something to do (an occurrence due, a lease
    /// expiring, a delivery due), if any.
    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>>;
}
