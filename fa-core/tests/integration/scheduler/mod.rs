//! The scheduler on every backend, with a manual clock: no test sleeps.

mod api;
mod delivery;
mod dst;
mod outage;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fa_core::scheduler::*;
use fa_core::*;

/// A notifier that records what it was asked to send, can be told to fail, and drops a second
/// send of a key it already sent (as a channel that remembers keys would).
#[derive(Default)]
pub(crate) struct RecordingNotifier {
    pub calls: Mutex<Vec<Notification>>,
    pub sent: Mutex<Vec<Notification>>,
    keys: Mutex<HashSet<String>>,
    failures: Mutex<VecDeque<DeliveryError>>,
}

impl RecordingNotifier {
    pub fn fail_next(&self, error: DeliveryError) {
        self.failures.lock().unwrap().push_back(error);
    }

    pub fn sent_bodies(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|n| n.body.clone())
            .collect()
    }

    pub fn sent_count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    pub fn call_count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<Sent, DeliveryError> {
        self.calls.lock().unwrap().push(notification.clone());
        if let Some(error) = self.failures.lock().unwrap().pop_front() {
            return Err(error);
        }
        if self
            .keys
            .lock()
            .unwrap()
            .insert(notification.idempotency_key.clone())
        {
            self.sent.lock().unwrap().push(notification.clone());
        }
        Ok(Sent::with_id(format!("m{}", self.call_count())))
    }
}

/// One backend with a household, a member in `timezone`, a manual clock, a scheduler and a
/// runner that delivers to a [`RecordingNotifier`].
pub(crate) struct Harness {
    pub backend: &'static str,
    pub store: DynStore,
    pub clock: Arc<ManualClock>,
    pub scheduler: StoreScheduler,
    pub runner: SchedulerRunner,
    pub notifier: Arc<RecordingNotifier>,
    pub scope: MemberScope,
    pub counting: Counting,
}

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

impl Harness {
    /// The time of its clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock by `d` and ticks.
    pub async fn advance(&self, d: Duration) -> TickReport {
        self.clock.advance(chrono::Duration::from_std(d).unwrap());
        self.runner.tick().await.unwrap()
    }

    /// Sets the clock to `to` and ticks.
    pub async fn tick_at(&self, to: DateTime<Utc>) -> TickReport {
        self.clock.set(to);
        self.runner.tick().await.unwrap()
    }

    /// Ticks at every instant the store says there is work, up to `end`; returns the instants of
    /// the ticks that sent something.
    pub async fn run_until(&self, end: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut fired = Vec::new();
        while let Some(next) = self.store.next_wakeup().await.unwrap() {
            if next > end {
                break;
            }
            let before = self.notifier.sent_count();
            self.tick_at(next.max(self.now())).await;
            if self.notifier.sent_count() > before {
                fired.push(self.now());
            }
        }
        self.clock.set(end);
        fired
    }
}

async fn sqlite_store(clock: Arc<dyn Clock>) -> DynStore {
    let dir = tempfile::tempdir().unwrap().keep();
    Arc::new(
        SqliteStore::open_with(SqliteOptions::file(dir.join("fa.db")).clock(clock))
            .await
            .unwrap(),
    )
}

async fn postgres_store(clock: Arc<dyn Clock>) -> Option<DynStore> {
    let url = super::postgres::server_url()?;
    let options = PostgresOptions::new(url)
        .schema(super::postgres::fresh_schema())
        .max_connections(4)
        .clock(clock);
    Some(Arc::new(
        PostgresStore::connect_with(options).await.unwrap(),
    ))
}

/// A harness per backend available here (SQLite always, PostgreSQL when configured), starting at
/// `start`, for a member in `timezone`, with runner `options`.
pub(crate) async fn harnesses_with(
    start: &str,
    timezone: &str,
    options: RunnerOptions,
) -> Vec<Harness> {
    let mut all = Vec::new();
    for backend in ["sqlite", "postgres"] {
        let clock = Arc::new(ManualClock::new(at(start)));
        let store = match backend {
            "sqlite" => sqlite_store(clock.clone()).await,
            _ => match postgres_store(clock.clone()).await {
                Some(store) => store,
                None => continue,
            },
        };
        let household = store.create_household("Home").await.unwrap();
        let member = store
            .add_member(
                household.id,
                NewMember::new("Ana", Role::Owner).with_timezone(timezone),
            )
            .await
            .unwrap();
        let mut registry = JobRegistry::with_builtins();
        let counting = Counting::default();
        registry.register(counting.clone()).register(Panicking);
        let scheduler = StoreScheduler::new(store.clone(), registry).with_clock(clock.clone());
        let notifier = Arc::new(RecordingNotifier::default());
        let runner = scheduler.runner(notifier.clone(), options.clone());
        all.push(Harness {
            backend,
            store,
            clock,
            scheduler,
            runner,
            notifier,
            scope: member.scope(),
            counting,
        });
    }
    all
}

/// [`harnesses_with`] default options, except a 1 s lateness threshold.
pub(crate) async fn harnesses(start: &str, timezone: &str) -> Vec<Harness> {
    harnesses_with(
        start,
        timezone,
        RunnerOptions::default().late_after(Duration::from_secs(1)),
    )
    .await
}

/// A kind that counts its runs (shared by all its jobs) and sends "run N".
#[derive(Default, Clone)]
pub(crate) struct Counting(pub Arc<std::sync::atomic::AtomicUsize>);

#[async_trait]
impl JobKind for Counting {
    const NAME: &'static str = "counting";
    type Payload = serde_json::Value;

    async fn run(
        &self,
        _ctx: &JobContext,
        _payload: serde_json::Value,
    ) -> Result<JobOutput, JobError> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        Ok(JobOutput::Message(format!("run {n}")))
    }
}

/// A kind whose handler panics.
pub(crate) struct Panicking;

#[async_trait]
impl JobKind for Panicking {
    const NAME: &'static str = "panicking";
    type Payload = serde_json::Value;

    async fn run(
        &self,
        _ctx: &JobContext,
        _payload: serde_json::Value,
    ) -> Result<JobOutput, JobError> {
        panic!("this handler always panics")
    }
}
