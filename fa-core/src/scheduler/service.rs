//! [`StoreScheduler`]: the [`Scheduler`] on top of a [`Store`](crate::Store).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::Notify;

use super::Scheduler;
use super::kinds::JobRegistry;
use super::new_job::{DEFAULT_CHANNEL, NewJob};
use super::notifier::Notifier;
use super::runner::{RunnerOptions, SchedulerRunner};
use crate::{
    Clock, DeliveryReceipt, DynStore, Error, HouseholdId, Job, JobId, JobState, MemberId,
    MemberScope, Occurrence, OccurrenceId, PlannedJob, Result, SystemClock, Upcoming,
    parse_timezone,
};

/// The scheduler over a store. Cheap to clone; clones share the registry and wake the same
/// runners.
#[derive(Clone, Debug)]
pub struct StoreScheduler {
    store: DynStore,
    clock: Arc<dyn Clock>,
    registry: Arc<JobRegistry>,
    wake: Arc<Notify>,
}

impl StoreScheduler {
    /// A scheduler over `store` that knows the kinds in `registry`, on the system clock.
    pub fn new(store: DynStore, registry: JobRegistry) -> Self {
        Self {
            store,
            clock: Arc::new(SystemClock),
            registry: Arc::new(registry),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Uses `clock` for "now" (give the runner and the store the same one).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The kinds this scheduler knows.
    pub fn registry(&self) -> &JobRegistry {
        &self.registry
    }

    /// A runner that fires this scheduler's jobs and delivers through `notifier`. Scheduling
    /// through this scheduler wakes it at once.
    pub fn runner(&self, notifier: Arc<dyn Notifier>, options: RunnerOptions) -> SchedulerRunner {
        SchedulerRunner::new(
            self.store.clone(),
            self.clock.clone(),
            self.registry.clone(),
            notifier,
            options,
            self.wake.clone(),
        )
    }

    fn plan(
        &self,
        scope: MemberScope,
        member_tz: Tz,
        job: NewJob,
        now: DateTime<Utc>,
    ) -> Result<PlannedJob> {
        let kind = self.registry.get(&job.kind)?;
        kind.validate(&job.payload)?;
        let timezone = match &job.timezone {
            Some(name) => parse_timezone(name)?,
            None => member_tz,
        };
        job.trigger.validate(timezone, now)?;
        let first_due = job
            .trigger
            .first_at_or_after(timezone, now)?
            .ok_or_else(|| Error::invalid("trigger", "it never fires after now"))?;
        let job = Job {
            id: JobId::new(),
            household_id: scope.household,
            member_id: scope.member,
            misfire: job.misfire.unwrap_or_else(|| kind.misfire()),
            grace: job.grace.unwrap_or_else(|| kind.grace()),
            channel: job.channel.unwrap_or_else(|| DEFAULT_CHANNEL.to_owned()),
            kind: job.kind,
            payload: job.payload,
            trigger: job.trigger,
            timezone,
            state: JobState::Active,
            created_at: now,
            updated_at: now,
        };
        super::validate_stored_job(&job)?;
        Ok(PlannedJob { job, first_due })
    }

    async fn member_timezone(&self, scope: MemberScope) -> Result<Tz> {
        Ok(self
            .store
            .member(scope)
            .await?
            .ok_or(Error::NotFound { what: "member" })?
            .timezone)
    }
}

#[async_trait]
impl Scheduler for StoreScheduler {
    async fn schedule(&self, scope: MemberScope, job: NewJob) -> Result<Job> {
        let tz = self.member_timezone(scope).await?;
        let planned = self.plan(scope, tz, job, self.clock.now())?;
        self.store
            .insert_jobs(std::slice::from_ref(&planned))
            .await?;
        self.wake.notify_one();
        self.store
            .job(scope, planned.job.id)
            .await?
            .ok_or(Error::NotFound { what: "job" })
    }

    async fn schedule_many(
        &self,
        household: HouseholdId,
        jobs: Vec<(MemberId, NewJob)>,
    ) -> Result<Vec<JobId>> {
        let now = self.clock.now();
        let mut zones: HashMap<MemberId, Tz> = HashMap::new();
        let mut planned = Vec::with_capacity(jobs.len());
        for (index, (member, job)) in jobs.into_iter().enumerate() {
            let scope = MemberScope::new(household, member);
            let tz = match zones.get(&member) {
                Some(tz) => *tz,
                None => {
                    let tz = self.member_timezone(scope).await?;
                    zones.insert(member, tz);
                    tz
                }
            };
            planned.push(self.plan(scope, tz, job, now).map_err(|e| match e {
                Error::InvalidInput { field, reason } => Error::InvalidInput {
                    field,
                    reason: format!("job #{index}: {reason}"),
                },
                other => other,
            })?);
        }
        self.store.insert_jobs(&planned).await?;
        self.wake.notify_one();
        Ok(planned.into_iter().map(|p| p.job.id).collect())
    }

    async fn job(&self, scope: MemberScope, id: JobId) -> Result<Option<Job>> {
        self.store.job(scope, id).await
    }

    async fn jobs(&self, scope: MemberScope) -> Result<Vec<Job>> {
        self.store.jobs(scope, 10_000).await
    }

    async fn upcoming(&self, scope: MemberScope, limit: u32) -> Result<Vec<Upcoming>> {
        Ok(self
            .store
            .upcoming(scope, limit)
            .await?
            .into_iter()
            .map(|item| Upcoming {
                local_due: item
                    .occurrence
                    .due_at
                    .with_timezone(&item.job.timezone)
                    .fixed_offset(),
                job: item.job,
                occurrence: item.occurrence,
            })
            .collect())
    }

    async fn pause(&self, scope: MemberScope, id: JobId) -> Result<Job> {
        self.store.pause_job(scope, id).await
    }

    async fn resume(&self, scope: MemberScope, id: JobId) -> Result<Job> {
        let job = self
            .store
            .job(scope, id)
            .await?
            .ok_or(Error::NotFound { what: "job" })?;
        let next_due = if job.trigger.is_recurring() {
            job.trigger
                .first_at_or_after(job.timezone, self.clock.now())?
        } else {
            None
        };
        let job = self.store.resume_job(scope, id, next_due).await?;
        self.wake.notify_one();
        Ok(job)
    }

    async fn cancel(&self, scope: MemberScope, id: JobId) -> Result<Job> {
        self.store.cancel_job(scope, id).await
    }

    async fn snooze(
        &self,
        scope: MemberScope,
        occurrence: OccurrenceId,
        until: DateTime<Utc>,
    ) -> Result<Occurrence> {
        let now = self.clock.now();
        if until <= now {
            return Err(Error::invalid(
                "until",
                format!("{until} is not in the future; snooze to a later instant"),
            ));
        }
        let snoozed = self
            .store
            .snooze_occurrence(scope, occurrence, until)
            .await?;
        self.wake.notify_one();
        Ok(snoozed)
    }

    async fn done(&self, scope: MemberScope, occurrence: OccurrenceId) -> Result<Occurrence> {
        self.store.acknowledge_occurrence(scope, occurrence).await
    }

    async fn history(&self, scope: MemberScope, job: JobId, limit: u32) -> Result<Vec<Occurrence>> {
        self.store.occurrences(scope, job, limit).await
    }

    async fn deliveries(
        &self,
        scope: MemberScope,
        occurrence: OccurrenceId,
    ) -> Result<Vec<DeliveryReceipt>> {
        let occurrence = self
            .store
            .occurrence(scope, occurrence)
            .await?
            .ok_or(Error::NotFound { what: "occurrence" })?;
        match occurrence.notification_id {
            Some(id) => self.store.delivery_receipts(scope.household, id).await,
            None => Ok(Vec::new()),
        }
    }
}
