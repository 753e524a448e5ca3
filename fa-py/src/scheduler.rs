//! `Scheduler` and `Runner`: reminders, check-ins, habit nudges and digests, and job kinds and
//! notifiers written in Python.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fa_core::scheduler::{
    DeliveryError, DynJobKind, JobContext, JobError, JobOutput, JobRegistry, NewJob, Notifier,
    RunnerOptions, Scheduler as _, SchedulerRunner, Sent, StoreScheduler, Trigger,
};
use fa_core::{Clock, DynStore, MisfirePolicy, Notification};
use pyo3::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::callback::PyCallable;
use crate::convert::{id, instant, json_value, named, scope, seconds, spawn, typed};
use crate::errors::to_py;
use crate::store::Store;

struct Plans {
    registry: JobRegistry,
    scheduler: Arc<StoreScheduler>,
    /// Who took a copy of the registry (a runner, a bot): kinds added after that would never
    /// run there, so they are refused.
    handed_to: Option<&'static str>,
}

/// Plans and lists members' jobs. Job kinds are registered before a runner or a bot takes
/// them; afterwards `register_kind` is refused rather than leaving jobs no runner can run.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct Scheduler {
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

    /// The job kinds as they stand, for `taker` (a runner, a bot), after which no kind can be
    /// added.
    pub(crate) fn hand_over(&self, taker: &'static str) -> (JobRegistry, Arc<StoreScheduler>) {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        plans.handed_to.get_or_insert(taker);
        (plans.registry.clone(), plans.scheduler.clone())
    }
}

/// A job kind whose handler is a Python callable: it gets the firing as a dict and returns the
/// message text, or `None` to send nothing.
struct PyJobKind {
    handler: PyCallable,
    misfire: MisfirePolicy,
}

#[async_trait]
impl DynJobKind for PyJobKind {
    fn misfire(&self) -> MisfirePolicy {
        self.misfire
    }

    async fn run(&self, ctx: &JobContext) -> Result<JobOutput, JobError> {
        let firing = json!({
            "job": ctx.job,
            "occurrence": ctx.occurrence,
            "now": ctx.now,
            "late": ctx.late,
            "local_due": ctx.local_due(),
        });
        match self.handler.call(firing).await {
            Ok(serde_json::Value::Null) => Ok(JobOutput::Nothing),
            Ok(serde_json::Value::String(text)) => Ok(JobOutput::Message(text)),
            Ok(other) => Err(JobError(format!(
                "a job handler returns a str or None, not {other}"
            ))),
            Err(e) => Err(JobError(e.message)),
        }
    }
}

/// Delivers notifications through a Python callable: it gets the notification as a dict and
/// returns the channel's message id (or `None`); raising `DeliveryFailed` says whether and when
/// to retry, any other exception is retried with backoff.
struct PyNotifier {
    deliver: PyCallable,
}

#[async_trait]
impl Notifier for PyNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<Sent, DeliveryError> {
        let argument = serde_json::to_value(notification)
            .map_err(|e| DeliveryError::permanent(e.to_string()))?;
        match self.deliver.call(argument).await {
            Ok(serde_json::Value::String(id)) => Ok(Sent::with_id(id)),
            Ok(_) => Ok(Sent::default()),
            Err(e) if e.permanent => Err(DeliveryError::permanent(e.message)),
            Err(e) => match e
                .retry_after
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
            {
                Some(after) => Err(DeliveryError::rate_limited(after, e.message)),
                None => Err(DeliveryError::transient(e.message)),
            },
        }
    }
}

/// A trigger given as its data (`{"type": "cron", "expr": …}`, as `Trigger` builds it).
fn trigger_of(trigger: &Bound<'_, PyAny>) -> PyResult<Trigger> {
    typed("trigger", trigger)
}

/// The next `count` instants a trigger fires after `after`, read in `timezone` (nothing is
/// stored): a preview for a form or a confirmation.
#[pyfunction]
pub(crate) fn trigger_upcoming(
    trigger: &Bound<'_, PyAny>,
    timezone: &str,
    after: &str,
    count: usize,
) -> PyResult<Vec<String>> {
    let trigger = trigger_of(trigger)?;
    let tz = fa_core::parse_timezone(timezone).map_err(to_py)?;
    let after = instant("after", after)?;
    trigger.validate(tz, after).map_err(to_py)?;
    let instants = trigger
        .upcoming(tz, after, count.min(1000))
        .map_err(to_py)?;
    Ok(instants.iter().map(|t| t.to_rfc3339()).collect())
}

/// What one tick did.
#[derive(Serialize)]
struct Tick {
    fired: usize,
    late: usize,
    skipped: usize,
    failed: usize,
    sent: usize,
    retrying: usize,
    given_up: usize,
    summaries: usize,
}

#[pymethods]
impl Scheduler {
    #[new]
    fn new(store: &Bound<'_, Store>) -> Self {
        let store = store.get();
        let registry = JobRegistry::with_builtins();
        let scheduler = Arc::new(
            StoreScheduler::new(store.store.clone(), registry.clone())
                .with_clock(store.clock.clone()),
        );
        Self {
            store: store.store.clone(),
            clock: store.clock.clone(),
            plans: Mutex::new(Plans {
                registry,
                scheduler,
                handed_to: None,
            }),
        }
    }

    /// Registers a job kind handled by `handler(firing: dict) -> str | None`.
    #[pyo3(signature = (name, handler, misfire = "fire_once"))]
    fn register_kind(&self, name: String, handler: Py<PyAny>, misfire: &str) -> PyResult<()> {
        let kind = PyJobKind {
            handler: PyCallable::new(handler),
            misfire: named(misfire)?,
        };
        // Errors become Python exceptions (which run Python code) only after the lock is gone,
        // and the replaced scheduler is dropped after it too.
        let (refused, _replaced) = {
            let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
            let mut registry = plans.registry.clone();
            match (plans.handed_to, registry.register_dyn(name, Arc::new(kind))) {
                (Some(taker), _) => (Some(Err(taker)), None),
                (None, Err(error)) => (Some(Ok(error)), None),
                (None, Ok(_)) => {
                    let scheduler = Arc::new(
                        StoreScheduler::new(self.store.clone(), registry.clone())
                            .with_clock(self.clock.clone()),
                    );
                    plans.registry = registry;
                    (
                        None,
                        Some(std::mem::replace(&mut plans.scheduler, scheduler)),
                    )
                }
            }
        };
        match refused {
            None => Ok(()),
            Some(Ok(error)) => Err(to_py(error)),
            Some(Err(taker)) => Err(to_py(fa_core::Error::WrongState {
                what: "scheduler",
                reason: format!(
                    "already handed its job kinds to a {taker}; register kinds before creating runners and bots"
                ),
            })),
        }
    }

    /// The registered job kinds, sorted.
    fn kinds(&self) -> Vec<String> {
        let registry = self
            .plans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .registry
            .clone();
        registry.names().into_iter().map(str::to_owned).collect()
    }

    #[pyo3(signature = (household, member, kind, payload, trigger, timezone = None, channel = None, misfire = None, grace = None))]
    #[allow(clippy::too_many_arguments)]
    fn schedule<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        kind: String,
        payload: &Bound<'py, PyAny>,
        trigger: &Bound<'py, PyAny>,
        timezone: Option<String>,
        channel: Option<String>,
        misfire: Option<&str>,
        grace: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope) = (self.current(), scope(household, member)?);
        let mut job = NewJob::new(kind, json_value("payload", payload)?, trigger_of(trigger)?);
        if let Some(timezone) = timezone {
            job = job.in_timezone(timezone);
        }
        if let Some(channel) = channel {
            job = job.on_channel(channel);
        }
        if let Some(misfire) = misfire {
            job = job.misfire(named(misfire)?);
        }
        if let Some(grace) = grace {
            job = job.grace(seconds("grace", grace)?);
        }
        spawn(py, async move { scheduler.schedule(scope, job).await })
    }

    /// Schedules several jobs of one household at once, all or nothing: each item is
    /// `(member_id, kind, payload, trigger)`. Returns the new jobs' ids in order.
    fn schedule_many<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        jobs: Vec<(String, String, Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, household) = (self.current(), id::<fa_core::HouseholdId>(household)?);
        let jobs = jobs
            .into_iter()
            .map(|(member, kind, payload, trigger)| {
                let job = NewJob::new(
                    kind,
                    json_value("payload", &payload)?,
                    trigger_of(&trigger)?,
                );
                Ok((id::<fa_core::MemberId>(&member)?, job))
            })
            .collect::<PyResult<Vec<_>>>()?;
        spawn(
            py,
            async move { scheduler.schedule_many(household, jobs).await },
        )
    }

    fn job<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        job: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope, job) = (self.current(), scope(household, member)?, id(job)?);
        spawn(py, async move { scheduler.job(scope, job).await })
    }

    fn jobs<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope) = (self.current(), scope(household, member)?);
        spawn(py, async move { scheduler.jobs(scope).await })
    }

    fn upcoming<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope) = (self.current(), scope(household, member)?);
        spawn(py, async move { scheduler.upcoming(scope, limit).await })
    }

    fn pause<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        job: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope, job) = (self.current(), scope(household, member)?, id(job)?);
        spawn(py, async move { scheduler.pause(scope, job).await })
    }

    fn resume<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        job: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope, job) = (self.current(), scope(household, member)?, id(job)?);
        spawn(py, async move { scheduler.resume(scope, job).await })
    }

    fn cancel<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        job: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope, job) = (self.current(), scope(household, member)?, id(job)?);
        spawn(py, async move { scheduler.cancel(scope, job).await })
    }

    fn snooze<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        occurrence: &str,
        until: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope) = (self.current(), scope(household, member)?);
        let (occurrence, until) = (id(occurrence)?, instant("until", until)?);
        spawn(py, async move {
            scheduler.snooze(scope, occurrence, until).await
        })
    }

    fn done<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        occurrence: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope) = (self.current(), scope(household, member)?);
        let occurrence = id(occurrence)?;
        spawn(py, async move { scheduler.done(scope, occurrence).await })
    }

    fn history<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        job: &str,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope, job) = (self.current(), scope(household, member)?, id(job)?);
        spawn(
            py,
            async move { scheduler.history(scope, job, limit).await },
        )
    }

    fn deliveries<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        occurrence: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (scheduler, scope) = (self.current(), scope(household, member)?);
        let occurrence = id(occurrence)?;
        spawn(
            py,
            async move { scheduler.deliveries(scope, occurrence).await },
        )
    }

    /// A runner that fires due jobs and hands their messages to `deliver(notification: dict)`.
    #[pyo3(signature = (deliver, poll_interval = 1.0, late_after = 60.0))]
    fn runner(&self, deliver: Py<PyAny>, poll_interval: f64, late_after: f64) -> PyResult<Runner> {
        let options = RunnerOptions::default()
            .poll_interval(seconds("poll_interval", poll_interval)?)
            .late_after(seconds("late_after", late_after)?);
        let notifier = Arc::new(PyNotifier {
            deliver: PyCallable::new(deliver),
        });
        let (_, scheduler) = self.hand_over("runner");
        Ok(Runner {
            runner: Arc::new(scheduler.runner(notifier, options)),
            running: Mutex::new(None),
        })
    }
}

/// Fires due occurrences and delivers their messages: `tick()` once (tests, with a manual
/// clock), or `start()` in the background until `stop()`.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct Runner {
    runner: Arc<SchedulerRunner>,
    running: Mutex<
        Option<(
            tokio::sync::watch::Sender<bool>,
            tokio::task::JoinHandle<()>,
        )>,
    >,
}

#[pymethods]
impl Runner {
    /// Fires what is due now and delivers what is waiting; returns the counts.
    fn tick<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let runner = self.runner.clone();
        spawn(py, async move {
            let report = runner.tick().await?;
            Ok(Tick {
                fired: report.fired,
                late: report.late,
                skipped: report.skipped,
                failed: report.failed,
                sent: report.sent,
                retrying: report.retrying,
                given_up: report.given_up,
                summaries: report.summaries,
            })
        })
    }

    /// Runs in the background until `stop()`. Starting a running runner does nothing.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let runtime = crate::runtime::runtime()?;
        // Coroutine callbacks of the background run go to the loop that started it.
        let event_loop = crate::bridge::current_loop(py);
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running
            .as_ref()
            .is_some_and(|(_, task)| !task.is_finished())
        {
            return Ok(());
        }
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        crate::runtime::register_background(stop.clone());
        let runner = self.runner.clone();
        let run = async move {
            runner
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
        };
        let task = match event_loop {
            Some(event_loop) => {
                crate::runtime::set_background_loop(event_loop.clone());
                runtime.spawn(crate::bridge::EVENT_LOOP.scope(event_loop, run))
            }
            None => runtime.spawn(run),
        };
        *running = Some((stop, task));
        Ok(())
    }

    /// Whether it runs in the background.
    fn is_running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|(_, task)| !task.is_finished())
    }

    /// Stops the background run and waits for work under way to finish.
    fn stop<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        crate::bridge::future(py, async move {
            if let Some((stop, task)) = running {
                let _ = stop.send(true);
                let _ = task.await;
            }
            Ok(())
        })
    }
}
