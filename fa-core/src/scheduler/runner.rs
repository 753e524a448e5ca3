//! [`SchedulerRunner`]: claims due occurrences, runs their handlers, records the outcome with the
//! outbox rows in one transaction, delivers, retries failed deliveries, and writes the
//! missed/late summaries.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::kinds::{JobContext, JobOutput, JobRegistry};
use super::misfire::{self, Plan};
use super::notifier::{DeliveryError, Notifier, RetryPolicy};
use super::summary;
use crate::{
    Clock, DeliveryAttempt, DynStore, JobOccurrence, MemberScope, NewNotification, NextStep,
    Notification, OccurrenceOutcome, OccurrenceState, Result,
};

/// How a runner works. `Default` suits a family on SQLite; every field has a setter.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunnerOptions {
    /// This runner's name in leases (default: `runner-<uuid>`, unique per runner).
    pub owner: String,
    /// Occurrences (and deliveries) claimed per transaction. Default 256.
    pub batch_size: u32,
    /// How long a claim is held before another runner may take the row over. Default 60 s.
    pub lease: Duration,
    /// An occurrence run more than this after it was due is late: marked, summarised, and subject
    /// to its misfire policy. Default 60 s.
    pub late_after: Duration,
    /// A handler that takes longer fails. Default 30 s.
    pub handler_timeout: Duration,
    /// Deliveries in flight at once. Default 32.
    pub delivery_concurrency: usize,
    /// Retries of failed deliveries.
    pub retry: RetryPolicy,
    /// The longest sleep between looks at the database (work planned by other processes is seen
    /// within this). Default 1 s.
    pub poll_interval: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            owner: format!("runner-{}", uuid::Uuid::now_v7()),
            batch_size: 256,
            lease: Duration::from_secs(60),
            late_after: Duration::from_secs(60),
            handler_timeout: Duration::from_secs(30),
            delivery_concurrency: 32,
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl RunnerOptions {
    /// Names this runner in leases.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
    }

    /// Sets the claim batch size (at least 1).
    pub fn batch_size(mut self, size: u32) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Sets the lease length (at least 1 s; keep it well above the handler timeout, or a slow
    /// handler's occurrence is taken over by another runner while it still runs).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// Sets the lateness threshold.
    pub fn late_after(mut self, late_after: Duration) -> Self {
        self.late_after = late_after;
        self
    }

    /// Sets the handler timeout.
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self
    }

    /// Sets how many deliveries run at once (at least 1).
    pub fn delivery_concurrency(mut self, n: usize) -> Self {
        self.delivery_concurrency = n.max(1);
        self
    }

    /// Sets the delivery retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the longest sleep between looks at the database.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }
}

/// What one [`SchedulerRunner::tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Occurrences whose handler ran successfully.
    pub fired: usize,
    /// Of those fired or skipped, how many were late.
    pub late: usize,
    /// Occurrences not run (misfire policy, grace window).
    pub skipped: usize,
    /// Occurrences whose handler failed, panicked or timed out.
    pub failed: usize,
    /// Deliveries the channel accepted.
    pub sent: usize,
    /// Deliveries that failed and will be retried.
    pub retrying: usize,
    /// Deliveries given up.
    pub given_up: usize,
    /// Missed/late summaries enqueued.
    pub summaries: usize,
}

/// Fires due occurrences and delivers their messages. Get one from
/// [`StoreScheduler::runner`](super::StoreScheduler::runner); run [`run`](Self::run) in a task,
/// or call [`tick`](Self::tick) yourself (tests, with a manual clock).
pub struct SchedulerRunner {
    store: DynStore,
    clock: Arc<dyn Clock>,
    registry: Arc<JobRegistry>,
    notifier: Arc<dyn Notifier>,
    options: RunnerOptions,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for SchedulerRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerRunner")
            .field("owner", &self.options.owner)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

type Finished = (usize, Result<JobOutput, super::JobError>);

impl SchedulerRunner {
    pub(crate) fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        registry: Arc<JobRegistry>,
        notifier: Arc<dyn Notifier>,
        options: RunnerOptions,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            clock,
            registry,
            notifier,
            options,
            wake,
        }
    }

    /// The options it runs with.
    pub fn options(&self) -> &RunnerOptions {
        &self.options
    }

    /// Does everything due at the clock's now: fires due occurrences (batch after batch until
    /// none is left), writes the missed/late summaries, and delivers due notifications. Handler
    /// failures are recorded on their occurrences; only store errors end the tick early.
    pub async fn tick(&self) -> Result<TickReport> {
        let mut report = TickReport::default();
        // One "now" per tick: under steady load a tick still ends, and the next takes the rest.
        let now = self.clock.now();
        loop {
            let claimed = self
                .store
                .claim_occurrences(
                    &self.options.owner,
                    now,
                    self.lease_from(now),
                    self.options.batch_size,
                )
                .await?;
            if claimed.is_empty() {
                break;
            }
            let outcomes = self.execute(claimed, now, &mut report).await;
            // The new outbox rows' lease counts from now, after the handlers ran.
            let deliver_until = self.lease_from(self.clock.now().max(now));
            let created = self
                .store
                .finish_occurrences(&self.options.owner, &outcomes, deliver_until)
                .await?;
            self.deliver(created, &mut report).await?;
        }
        self.summarise(&mut report).await?;
        loop {
            let due = self
                .store
                .claim_notifications(now, self.lease_from(now), self.options.batch_size)
                .await?;
            if due.is_empty() {
                break;
            }
            self.deliver(due, &mut report).await?;
        }
        if report != TickReport::default() {
            tracing::debug!(?report, owner = %self.options.owner, "scheduler tick");
        }
        Ok(report)
    }

    /// Ticks until `shutdown` completes: after each tick it sleeps until the next due instant
    /// (at most the poll interval), and wakes early when this process schedules something. A
    /// failing store is retried with backoff; the error is logged, not returned.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures: u32 = 0;
        loop {
            let wait = match self.tick().await {
                Ok(_) => {
                    failures = 0;
                    self.until_next_work().await
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let wait = Duration::from_millis(100)
                        .saturating_mul(1 << failures.min(9))
                        .min(Duration::from_secs(30));
                    tracing::warn!(%error, ?wait, "scheduler tick failed; trying again");
                    wait
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn until_next_work(&self) -> Duration {
        let poll = self.options.poll_interval;
        match self.store.next_wakeup().await {
            Ok(Some(at)) => (at - self.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(poll),
            Ok(None) => poll,
            Err(error) => {
                tracing::warn!(%error, "could not read the next due instant");
                poll
            }
        }
    }

    fn lease_from(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        chrono::Duration::from_std(self.options.lease)
            .ok()
            .and_then(|lease| now.checked_add_signed(lease))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    async fn execute(
        &self,
        claimed: Vec<JobOccurrence>,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Vec<OccurrenceOutcome> {
        let mut outcomes = Vec::with_capacity(claimed.len());
        let mut plans: Vec<(Plan, JobOccurrence)> = Vec::new();
        let mut running: JoinSet<Finished> = JoinSet::new();
        let mut task_index = HashMap::new();
        for item in claimed {
            let plan =
                match misfire::plan(&item.job, &item.occurrence, now, self.options.late_after) {
                    Ok(plan) => plan,
                    Err(error) => {
                        report.failed += 1;
                        outcomes.push(outcome(
                            &item,
                            OccurrenceState::Failed,
                            None,
                            false,
                            Some(format!("cannot compute the next firing: {error}")),
                            NextStep::Complete,
                        ));
                        continue;
                    }
                };
            if !plan.run {
                report.skipped += 1;
                report.late += usize::from(plan.late);
                let mut skipped = outcome(
                    &item,
                    OccurrenceState::Skipped,
                    None,
                    plan.late,
                    plan.detail.clone(),
                    plan.next,
                );
                skipped.needs_summary = plan.late;
                outcomes.push(skipped);
                continue;
            }
            let kind = match self.registry.get(&item.job.kind) {
                Ok(kind) => kind.clone(),
                Err(error) => {
                    report.failed += 1;
                    outcomes.push(outcome(
                        &item,
                        OccurrenceState::Failed,
                        Some(now),
                        plan.late,
                        Some(error.to_string()),
                        plan.next,
                    ));
                    continue;
                }
            };
            let ctx = JobContext {
                job: item.job.clone(),
                occurrence: item.occurrence.clone(),
                now,
                late: plan.late,
                store: self.store.clone(),
            };
            let index = plans.len();
            plans.push((plan, item));
            let timeout = self.options.handler_timeout;
            let handle = running.spawn(async move {
                let result = match tokio::time::timeout(timeout, kind.run(&ctx)).await {
                    Ok(result) => result,
                    Err(_) => Err(super::JobError(format!("timed out after {timeout:?}"))),
                };
                (index, result)
            });
            task_index.insert(handle.id(), index);
        }
        let mut results: Vec<Option<Result<JobOutput, String>>> = vec![None; plans.len()];
        while let Some(joined) = running.join_next_with_id().await {
            match joined {
                Ok((_, (index, result))) => {
                    results[index] = Some(result.map_err(|e| format!("handler failed: {e}")));
                }
                Err(error) => {
                    if let Some(index) = task_index.get(&error.id()) {
                        let why = if error.is_panic() {
                            "handler panicked"
                        } else {
                            "handler was cancelled"
                        };
                        results[*index] = Some(Err(why.to_owned()));
                    }
                }
            }
        }
        for ((plan, item), result) in plans.into_iter().zip(results) {
            let result = result.unwrap_or_else(|| Err("handler did not finish".to_owned()));
            let mut done = match result {
                Ok(output) => {
                    let notification = match output {
                        JobOutput::Message(text) => Some(NewNotification::new(
                            item.job.channel.clone(),
                            item.occurrence.idempotency_key(),
                            text,
                        )),
                        JobOutput::Nothing => None,
                    };
                    match notification.as_ref().map(NewNotification::validate) {
                        Some(Err(error)) => {
                            let mut failed = outcome(
                                &item,
                                OccurrenceState::Failed,
                                Some(now),
                                plan.late,
                                Some(format!("handler produced an unusable message: {error}")),
                                plan.next,
                            );
                            failed.needs_summary = plan.late;
                            report.failed += 1;
                            failed
                        }
                        _ => {
                            report.fired += 1;
                            let mut fired = outcome(
                                &item,
                                OccurrenceState::Done,
                                Some(now),
                                plan.late,
                                plan.detail.clone(),
                                plan.next,
                            );
                            fired.notification = notification;
                            fired
                        }
                    }
                }
                Err(why) => {
                    report.failed += 1;
                    tracing::warn!(job = %item.job.id, kind = %item.job.kind, %why, "job failed");
                    outcome(
                        &item,
                        OccurrenceState::Failed,
                        Some(now),
                        plan.late,
                        Some(why),
                        plan.next,
                    )
                }
            };
            report.late += usize::from(plan.late);
            done.needs_summary = plan.late;
            outcomes.push(done);
        }
        outcomes
    }

    async fn deliver(&self, due: Vec<Notification>, report: &mut TickReport) -> Result<()> {
        if due.is_empty() {
            return Ok(());
        }
        let permits = Arc::new(Semaphore::new(self.options.delivery_concurrency));
        let mut sending: JoinSet<(usize, Result<super::Sent, DeliveryError>)> = JoinSet::new();
        let mut task_index = HashMap::new();
        for (index, notification) in due.iter().enumerate() {
            let notifier = self.notifier.clone();
            let permits = permits.clone();
            let notification = notification.clone();
            let timeout = self.options.handler_timeout;
            let handle = sending.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let result = tokio::time::timeout(timeout, notifier.deliver(&notification))
                    .await
                    .unwrap_or_else(|_| {
                        Err(DeliveryError::transient(format!(
                            "timed out after {timeout:?}"
                        )))
                    });
                (index, result)
            });
            task_index.insert(handle.id(), index);
        }
        let mut results: Vec<Option<Result<super::Sent, DeliveryError>>> = vec![None; due.len()];
        while let Some(joined) = sending.join_next_with_id().await {
            match joined {
                Ok((_, (index, result))) => results[index] = Some(result),
                Err(error) => {
                    if let Some(index) = task_index.get(&error.id()) {
                        results[*index] =
                            Some(Err(DeliveryError::transient("the notifier panicked")));
                    }
                }
            }
        }
        let now = self.clock.now();
        let mut attempts = Vec::with_capacity(due.len());
        for (notification, result) in due.iter().zip(results) {
            let result =
                result.unwrap_or_else(|| Err(DeliveryError::transient("delivery did not finish")));
            let attempt = match result {
                Ok(sent) => {
                    report.sent += 1;
                    DeliveryAttempt::sent(sent.message_id)
                }
                Err(error) => {
                    match self
                        .options
                        .retry
                        .retry_at(notification.attempts + 1, now, error.kind)
                    {
                        Some(at) => {
                            report.retrying += 1;
                            DeliveryAttempt::retry_at(error.to_string(), at)
                        }
                        None => {
                            report.given_up += 1;
                            tracing::warn!(notification = %notification.id, %error, "delivery given up");
                            DeliveryAttempt::given_up(error.to_string())
                        }
                    }
                }
            };
            attempts.push((notification.household_id, notification.id, attempt));
        }
        self.store.record_deliveries(&attempts).await?;
        Ok(())
    }

    async fn summarise(&self, report: &mut TickReport) -> Result<()> {
        let items = self.store.pending_summaries(1_000).await?;
        for member in summary::compose(&items) {
            // One member's failure must not hold up everyone's deliveries.
            match self
                .store
                .write_summary(member.scope, &member.occurrences, member.notification)
                .await
            {
                Ok(_) => report.summaries += 1,
                Err(error) => {
                    tracing::warn!(%error, member = %member.scope.member, "could not write a missed/late summary")
                }
            }
        }
        Ok(())
    }
}

/// Text from handlers and channels, made storable: no NUL (PostgreSQL refuses it) and at most
/// 2,000 characters (the store's limit for details).
fn clean(text: &str) -> String {
    text.chars().filter(|c| *c != '\0').take(2_000).collect()
}

fn outcome(
    item: &JobOccurrence,
    state: OccurrenceState,
    fired_at: Option<DateTime<Utc>>,
    late: bool,
    detail: Option<String>,
    next: NextStep,
) -> OccurrenceOutcome {
    OccurrenceOutcome {
        occurrence: item.occurrence.id,
        job: item.job.id,
        scope: MemberScope::new(item.job.household_id, item.job.member_id),
        state,
        fired_at,
        late,
        detail: detail.as_deref().map(clean),
        notification: None,
        needs_summary: false,
        next,
    }
}
