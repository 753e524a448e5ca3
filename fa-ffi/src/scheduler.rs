//! `Scheduler`, `Runner` and `Subscription`: members' reminders and other jobs, fired on time
//! and handed to the app; job kinds and notifiers written in the app's language.

mod host;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fa_core::ffi::{Json, UtcTime};
use fa_core::scheduler::{
    JobRegistry, NewJob, RunnerOptions, Scheduler as _, SchedulerRunner, StoreScheduler, Trigger,
};
use fa_core::{
    Clock, DeliveryReceipt, DynStore, HabitId, HouseholdId, Job, JobId, MemberId, MemberScope,
    MisfirePolicy, Occurrence, OccurrenceId,
};

use fa_core::ffi::{HostJobKind, HostNotifier};

use crate::error::{FaError, Result};
use crate::runtime::run;
use crate::store::Store;

/// How a job is planned, beyond its trigger. Every field may be left out.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct JobSettings {
    /// The IANA timezone its trigger is read in; default: the member's.
    #[uniffi(default = None)]
    pub timezone: Option<String>,
    /// The channel its messages go to; default: the member's usual one.
    #[uniffi(default = None)]
    pub channel: Option<String>,
    /// What to do with firings missed while nothing ran; default: the kind's.
    #[uniffi(default = None)]
    pub misfire: Option<MisfirePolicy>,
    /// How late a missed firing may still run; default: the kind's.
    #[uniffi(default = None)]
    pub grace: Option<Duration>,
}

/// One job of `Scheduler.schedule_many`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct JobPlan {
    /// Whose job it is (in the household given beside it).
    pub member: MemberId,
    /// The job kind, e.g. `reminder`.
    pub kind: String,
    /// The kind's payload, as JSON text (a reminder's is `{"text": "…"}`).
    pub payload: Json,
    /// When it fires.
    pub trigger: Trigger,
}

/// An occurrence still to come, with its due time on the job's wall clock.
#[derive(Debug, Clone, uniffi::Record)]
pub struct UpcomingJob {
    /// The job.
    pub job: Job,
    /// Its next occurrence.
    pub occurrence: Occurrence,
    /// When it is due, RFC 3339 with the job's UTC offset (`2026-12-04T09:00:00+01:00`).
    pub local_due: String,
}

/// How a runner works. Every field may be left out.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct RunnerSettings {
    /// Longest wait between looks at the store (default 1 s; it wakes earlier for work due
    /// sooner or scheduled by this process).
    #[uniffi(default = None)]
    pub poll_interval: Option<Duration>,
    /// From how late an occurrence counts as late (default 60 s).
    #[uniffi(default = None)]
    pub late_after: Option<Duration>,
}

/// What one `Runner.tick` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TickCounts {
    /// Occurrences fired.
    pub fired: u64,
    /// Of them, fired late.
    pub late: u64,
    /// Missed occurrences skipped by their misfire policy.
    pub skipped: u64,
    /// Handlers that failed.
    pub failed: u64,
    /// Notifications delivered.
    pub sent: u64,
    /// Deliveries to try again later.
    pub retrying: u64,
    /// Deliveries given up.
    pub given_up: u64,
    /// "You missed…" summaries sent after downtime.
    pub summaries: u64,
}

struct Plans {
    registry: JobRegistry,
    scheduler: Arc<StoreScheduler>,
    /// Who took the registry (a runner, a bot): kinds added afterwards would never run there.
    handed_to: Option<&'static str>,
}

/// Plans and lists members' jobs. Register the app's job kinds before making a runner or
/// running a bot: afterwards `register_kind` is refused (`Conflict`) rather than leaving jobs
/// nothing can run.
#[derive(uniffi::Object)]
pub struct Scheduler {
    store: DynStore,
    clock: Arc<dyn Clock>,
    plans: Mutex<Plans>,
}

impl Scheduler {
    /// The scheduler as it stands (the lock is held only to clone an `Arc`).
    pub(crate) fn current(&self) -> Arc<StoreScheduler> {
        self.plans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .scheduler
            .clone()
    }

    /// The job kinds for `taker`, after which no kind can be added.
    pub(crate) fn hand_over(&self, taker: &'static str) -> (JobRegistry, Arc<StoreScheduler>) {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        plans.handed_to.get_or_insert(taker);
        (plans.registry.clone(), plans.scheduler.clone())
    }

    async fn plan(&self, scope: MemberScope, job: NewJob, settings: JobSettings) -> Result<Job> {
        let mut job = job;
        if let Some(timezone) = settings.timezone {
            job = job.in_timezone(timezone);
        }
        if let Some(channel) = settings.channel {
            job = job.on_channel(channel);
        }
        if let Some(misfire) = settings.misfire {
            job = job.misfire(misfire);
        }
        if let Some(grace) = settings.grace {
            job = job.grace(grace);
        }
        let scheduler = self.current();
        run(async move { scheduler.schedule(scope, job).await }).await
    }
}

fn scheduler_for(store: DynStore, clock: Arc<dyn Clock>, registry: JobRegistry) -> StoreScheduler {
    StoreScheduler::new(store, registry).with_clock(clock)
}

/// The first `count` instants `trigger` fires at after `after`, read in `timezone`: a preview
/// before scheduling.
#[uniffi::export]
pub fn preview_trigger(
    trigger: Trigger,
    timezone: String,
    after: UtcTime,
    count: u32,
) -> Result<Vec<UtcTime>> {
    let tz = fa_core::parse_timezone(&timezone)?;
    Ok(trigger.upcoming(tz, after, count as usize)?)
}

#[uniffi::export]
impl Scheduler {
    /// A scheduler on `store` (and its clock) with the built-in job kinds: reminder, check-in,
    /// habit nudge, digest.
    #[uniffi::constructor]
    pub fn new(store: Arc<Store>) -> Arc<Self> {
        let registry = JobRegistry::with_builtins();
        let scheduler = scheduler_for(store.store.clone(), store.clock.clone(), registry.clone());
        Arc::new(Self {
            store: store.store.clone(),
            clock: store.clock.clone(),
            plans: Mutex::new(Plans {
                registry,
                scheduler: Arc::new(scheduler),
                handed_to: None,
            }),
        })
    }

    /// Adds a job kind run by the app: `kind.run(firing)` returns the message to deliver, or
    /// null for none. `misfire` is what to do with firings missed while nothing ran.
    #[uniffi::method(default(misfire = None))]
    pub fn register_kind(
        &self,
        name: String,
        kind: Arc<dyn HostJobKind>,
        misfire: Option<MisfirePolicy>,
    ) -> Result<()> {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(taker) = plans.handed_to {
            return Err(FaError::Conflict {
                reason: format!(
                    "job kinds are fixed once a {taker} has taken them; register {name:?} before making the {taker}"
                ),
            });
        }
        let mut registry = plans.registry.clone();
        registry.register_dyn(
            name,
            host::kind(kind, misfire.unwrap_or(MisfirePolicy::FireOnce)),
        )?;
        plans.scheduler = Arc::new(scheduler_for(
            self.store.clone(),
            self.clock.clone(),
            registry.clone(),
        ));
        plans.registry = registry;
        Ok(())
    }

    /// The registered job kinds' names.
    pub fn kinds(&self) -> Vec<String> {
        let registry = self
            .plans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .registry
            .clone();
        registry.names().into_iter().map(str::to_owned).collect()
    }

    /// Reminds the member of `text` when `trigger` fires.
    #[uniffi::method(default(settings = None))]
    pub async fn remind(
        &self,
        scope: MemberScope,
        text: String,
        trigger: Trigger,
        settings: Option<JobSettings>,
    ) -> Result<Job> {
        self.plan(
            scope,
            NewJob::reminder(text, trigger),
            settings.unwrap_or_default(),
        )
        .await
    }

    /// Asks the member how they are (with `prompt`, or the default question).
    #[uniffi::method(default(prompt = None, settings = None))]
    pub async fn check_in(
        &self,
        scope: MemberScope,
        trigger: Trigger,
        prompt: Option<String>,
        settings: Option<JobSettings>,
    ) -> Result<Job> {
        self.plan(
            scope,
            NewJob::check_in(prompt, trigger),
            settings.unwrap_or_default(),
        )
        .await
    }

    /// Nudges the member about a habit not yet done.
    #[uniffi::method(default(settings = None))]
    pub async fn habit_nudge(
        &self,
        scope: MemberScope,
        habit: HabitId,
        trigger: Trigger,
        settings: Option<JobSettings>,
    ) -> Result<Job> {
        self.plan(
            scope,
            NewJob::habit_nudge(habit, trigger),
            settings.unwrap_or_default(),
        )
        .await
    }

    /// Sends the member a digest of their day.
    #[uniffi::method(default(settings = None))]
    pub async fn digest(
        &self,
        scope: MemberScope,
        trigger: Trigger,
        settings: Option<JobSettings>,
    ) -> Result<Job> {
        self.plan(scope, NewJob::digest(trigger), settings.unwrap_or_default())
            .await
    }

    /// Schedules a job of any registered kind with its JSON payload.
    #[uniffi::method(default(settings = None))]
    pub async fn schedule(
        &self,
        scope: MemberScope,
        kind: String,
        payload: Json,
        trigger: Trigger,
        settings: Option<JobSettings>,
    ) -> Result<Job> {
        self.plan(
            scope,
            NewJob::new(kind, payload, trigger),
            settings.unwrap_or_default(),
        )
        .await
    }

    /// Schedules several jobs of one household at once, all or nothing; returns their ids.
    pub async fn schedule_many(
        &self,
        household: HouseholdId,
        jobs: Vec<JobPlan>,
    ) -> Result<Vec<JobId>> {
        let jobs = jobs
            .into_iter()
            .map(|plan| {
                (
                    plan.member,
                    NewJob::new(plan.kind, plan.payload, plan.trigger),
                )
            })
            .collect();
        let scheduler = self.current();
        run(async move { scheduler.schedule_many(household, jobs).await }).await
    }

    /// One of the member's jobs.
    pub async fn job(&self, scope: MemberScope, job: JobId) -> Result<Option<Job>> {
        let scheduler = self.current();
        run(async move { scheduler.job(scope, job).await }).await
    }

    /// The member's jobs.
    pub async fn jobs(&self, scope: MemberScope) -> Result<Vec<Job>> {
        let scheduler = self.current();
        run(async move { scheduler.jobs(scope).await }).await
    }

    /// The member's next `limit` occurrences, soonest first.
    pub async fn upcoming(&self, scope: MemberScope, limit: u32) -> Result<Vec<UpcomingJob>> {
        let scheduler = self.current();
        let upcoming = run(async move { scheduler.upcoming(scope, limit).await }).await?;
        Ok(upcoming
            .into_iter()
            .map(|u| UpcomingJob {
                local_due: u.local_due.to_rfc3339(),
                job: u.job,
                occurrence: u.occurrence,
            })
            .collect())
    }

    /// Pauses a job: nothing fires until `resume`.
    pub async fn pause(&self, scope: MemberScope, job: JobId) -> Result<Job> {
        let scheduler = self.current();
        run(async move { scheduler.pause(scope, job).await }).await
    }

    /// Resumes a paused job from now on.
    pub async fn resume(&self, scope: MemberScope, job: JobId) -> Result<Job> {
        let scheduler = self.current();
        run(async move { scheduler.resume(scope, job).await }).await
    }

    /// Cancels a job for good.
    pub async fn cancel(&self, scope: MemberScope, job: JobId) -> Result<Job> {
        let scheduler = self.current();
        run(async move { scheduler.cancel(scope, job).await }).await
    }

    /// Fires an occurrence again at `until`.
    pub async fn snooze(
        &self,
        scope: MemberScope,
        occurrence: OccurrenceId,
        until: UtcTime,
    ) -> Result<Occurrence> {
        let scheduler = self.current();
        run(async move { scheduler.snooze(scope, occurrence, until).await }).await
    }

    /// Marks an occurrence done (the member acknowledged it).
    pub async fn done(&self, scope: MemberScope, occurrence: OccurrenceId) -> Result<Occurrence> {
        let scheduler = self.current();
        run(async move { scheduler.done(scope, occurrence).await }).await
    }

    /// A job's last `limit` occurrences, newest first.
    pub async fn history(
        &self,
        scope: MemberScope,
        job: JobId,
        limit: u32,
    ) -> Result<Vec<Occurrence>> {
        let scheduler = self.current();
        run(async move { scheduler.history(scope, job, limit).await }).await
    }

    /// An occurrence's delivery receipts, in order.
    pub async fn deliveries(
        &self,
        scope: MemberScope,
        occurrence: OccurrenceId,
    ) -> Result<Vec<DeliveryReceipt>> {
        let scheduler = self.current();
        run(async move { scheduler.deliveries(scope, occurrence).await }).await
    }

    /// A runner that fires due occurrences and hands their messages to `notifier`. Job kinds
    /// are fixed from here on.
    #[uniffi::method(default(settings = None))]
    pub fn runner(
        &self,
        notifier: Arc<dyn HostNotifier>,
        settings: Option<RunnerSettings>,
    ) -> Arc<Runner> {
        let settings = settings.unwrap_or_default();
        let mut options = RunnerOptions::default();
        if let Some(poll) = settings.poll_interval {
            options = options.poll_interval(poll);
        }
        if let Some(late) = settings.late_after {
            options = options.late_after(late);
        }
        let (_, scheduler) = self.hand_over("runner");
        Arc::new(Runner {
            runner: Arc::new(scheduler.runner(host::notifier(notifier), options)),
        })
    }

    /// Delivers the household's messages to `notifier` in the background until the returned
    /// subscription is cancelled or dropped: `runner(notifier, settings).start()`.
    #[uniffi::method(default(settings = None))]
    pub fn subscribe(
        &self,
        notifier: Arc<dyn HostNotifier>,
        settings: Option<RunnerSettings>,
    ) -> Result<Arc<Subscription>> {
        self.runner(notifier, settings).start()
    }
}

/// Fires due occurrences and delivers their messages: `tick()` once (tests, with a manual
/// clock), or `start()` in the background.
#[derive(uniffi::Object)]
pub struct Runner {
    runner: Arc<SchedulerRunner>,
}

#[uniffi::export]
impl Runner {
    /// Fires what is due now and delivers what is waiting; returns the counts.
    pub async fn tick(&self) -> Result<TickCounts> {
        let runner = self.runner.clone();
        let report = run(async move { runner.tick().await }).await?;
        let count = |n: usize| n as u64;
        Ok(TickCounts {
            fired: count(report.fired),
            late: count(report.late),
            skipped: count(report.skipped),
            failed: count(report.failed),
            sent: count(report.sent),
            retrying: count(report.retrying),
            given_up: count(report.given_up),
            summaries: count(report.summaries),
        })
    }

    /// Runs in the background until the subscription is cancelled or dropped.
    pub fn start(&self) -> Result<Arc<Subscription>> {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let runner = self.runner.clone();
        let task = crate::runtime::spawn(async move {
            runner
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
        })?;
        Ok(Arc::new(Subscription {
            stop,
            task: Mutex::new(Some(task)),
        }))
    }
}

/// A background run. Dropping it (or `cancel()`) stops it; work under way finishes first.
#[derive(uniffi::Object)]
pub struct Subscription {
    stop: tokio::sync::watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[uniffi::export]
impl Subscription {
    /// Whether it still runs.
    pub fn is_active(&self) -> bool {
        self.task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|task| !task.is_finished())
    }

    /// Stops it and waits until work under way has finished.
    pub async fn cancel(&self) {
        self.stop.send_replace(true);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{StoreSettings, open_store};
    use fa_core::Notification;

    struct Nowhere;

    impl HostNotifier for Nowhere {
        fn deliver(&self, _notification: Notification) -> Result<Option<String>, FaError> {
            Ok(None)
        }
    }

    #[test]
    fn dropping_a_subscription_stops_its_background_runner() -> Result<()> {
        let waiter = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| FaError::invalid("test runtime", e))?;
        waiter.block_on(async {
            let store =
                open_store("sqlite::memory:".into(), StoreSettings::default(), None).await?;
            let subscription = Scheduler::new(store).subscribe(Arc::new(Nowhere), None)?;
            assert!(subscription.is_active());
            // Keep the task's handle to watch it end once the subscription is gone.
            let task = subscription
                .task
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .ok_or_else(|| FaError::invalid("task", "the subscription has no task"))?;
            assert!(!task.is_finished());
            drop(subscription);
            let ended = tokio::time::timeout(Duration::from_secs(10), task).await;
            assert!(
                matches!(ended, Ok(Ok(()))),
                "the runner kept running: {ended:?}"
            );
            Ok(())
        })
    }
}
