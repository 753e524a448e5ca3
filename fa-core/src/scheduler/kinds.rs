//! Job kinds: what runs when an occurrence fires. A kind has a name, a typed payload and a
//! handler; the [`JobRegistry`] maps names to kinds. fa ships reminder, check-in, habit nudge and
//! digest ([`builtin`](super::builtin)); adapters register theirs (token refresh, calendar sync,
//! order reconciliation) the same way.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize as _, Serialize};

use crate::{DynStore, Error, Job, MemberScope, MisfirePolicy, Occurrence, Result};

/// What a handler sees when its occurrence fires.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The job.
    pub job: Job,
    /// The occurrence being run.
    pub occurrence: Occurrence,
    /// The runner's now.
    pub now: DateTime<Utc>,
    /// Whether it runs later than the runner's lateness threshold.
    pub late: bool,
    /// The store, for handlers that read (a habit's name, the day's agenda).
    pub store: DynStore,
}

impl JobContext {
    /// The member the job is for.
    pub fn scope(&self) -> MemberScope {
        MemberScope::new(self.job.household_id, self.job.member_id)
    }

    /// The occurrence's due instant on the job's wall clock.
    pub fn local_due(&self) -> DateTime<FixedOffset> {
        self.occurrence
            .due_at
            .with_timezone(&self.job.timezone)
            .fixed_offset()
    }
}

/// What a handler produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobOutput {
    /// A message for the member, to deliver through the job's channel.
    Message(String),
    /// Nothing to send (background work such as a sync).
    Nothing,
}

/// A handler's failure: the occurrence is marked failed with this text, and the job goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError(pub String);

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for JobError {
    fn from(e: E) -> Self {
        JobError(e.to_string())
    }
}

/// A kind of job with a typed payload. Register it with [`JobRegistry::register`].
///
/// ```
/// use fa_core::scheduler::{JobContext, JobError, JobKind, JobOutput, JobRegistry};
///
/// struct Water;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Plants { room: String }
///
/// #[async_trait::async_trait]
/// impl JobKind for Water {
///     const NAME: &'static str = "water_plants";
///     type Payload = Plants;
///
///     async fn run(&self, _ctx: &JobContext, plants: Plants) -> Result<JobOutput, JobError> {
///         Ok(JobOutput::Message(format!("Water the plants in the {}", plants.room)))
///     }
/// }
///
/// let mut registry = JobRegistry::with_builtins();
/// registry.register(Water);
/// assert!(registry.contains("water_plants"));
/// ```
#[async_trait]
pub trait JobKind: Send + Sync + 'static {
    /// The stored name, e.g. `reminder`. Must not change once jobs of the kind exist.
    const NAME: &'static str;
    /// The payload stored with each job, as JSON.
    type Payload: Serialize + DeserializeOwned + Send + Sync;

    /// What to do with firings missed during downtime, unless the job says otherwise.
    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::FireOnce
    }

    /// How late a missed firing may still run, unless the job says otherwise (`None`: however
    /// late).
    fn grace(&self) -> Option<Duration> {
        None
    }

    /// Checks a payload before a job is stored; the error names the field.
    fn validate(&self, _payload: &Self::Payload) -> Result<()> {
        Ok(())
    }

    /// Runs one occurrence.
    async fn run(&self, ctx: &JobContext, payload: Self::Payload) -> Result<JobOutput, JobError>;
}

/// A kind known only at run time, with a JSON payload: a name chosen by a program, a handler
/// written in another language (the Python package registers its callables this way). Register
/// it with [`JobRegistry::register_dyn`]; prefer [`JobKind`] when the kind is known when
/// compiling.
#[async_trait]
pub trait DynJobKind: Send + Sync + 'static {
    /// What to do with firings missed during downtime, unless the job says otherwise.
    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::FireOnce
    }

    /// How late a missed firing may still run, unless the job says otherwise (`None`: however
    /// late).
    fn grace(&self) -> Option<Duration> {
        None
    }

    /// Checks a payload before a job is stored; the error names the field.
    fn validate(&self, _payload: &serde_json::Value) -> Result<()> {
        Ok(())
    }

    /// Runs one occurrence; the payload is `ctx.job.payload`.
    async fn run(&self, ctx: &JobContext) -> Result<JobOutput, JobError>;
}

#[async_trait]
impl<K: DynJobKind + ?Sized> ErasedKind for Arc<K> {
    fn misfire(&self) -> MisfirePolicy {
        (**self).misfire()
    }

    fn grace(&self) -> Option<Duration> {
        (**self).grace()
    }

    fn validate(&self, payload: &serde_json::Value) -> Result<()> {
        (**self).validate(payload)
    }

    async fn run(&self, ctx: &JobContext) -> Result<JobOutput, JobError> {
        (**self).run(ctx).await
    }
}

/// A kind with its payload type erased, as the registry holds it.
#[async_trait]
pub(crate) trait ErasedKind: Send + Sync {
    fn misfire(&self) -> MisfirePolicy;
    fn grace(&self) -> Option<Duration>;
    fn validate(&self, payload: &serde_json::Value) -> Result<()>;
    async fn run(&self, ctx: &JobContext) -> Result<JobOutput, JobError>;
}

struct Typed<K>(K);

#[async_trait]
impl<K: JobKind> ErasedKind for Typed<K> {
    fn misfire(&self) -> MisfirePolicy {
        self.0.misfire()
    }

    fn grace(&self) -> Option<Duration> {
        self.0.grace()
    }

    fn validate(&self, payload: &serde_json::Value) -> Result<()> {
        let typed = K::Payload::deserialize(payload).map_err(|e| {
            Error::invalid(
                "payload",
                format!("does not fit job kind `{}`: {e}", K::NAME),
            )
        })?;
        self.0.validate(&typed)
    }

    async fn run(&self, ctx: &JobContext) -> Result<JobOutput, JobError> {
        let payload = K::Payload::deserialize(&ctx.job.payload).map_err(|e| {
            JobError(format!(
                "stored payload does not fit job kind `{}`: {e}",
                K::NAME
            ))
        })?;
        self.0.run(ctx, payload).await
    }
}

/// The kinds a scheduler knows, by name.
#[derive(Clone, Default)]
pub struct JobRegistry {
    kinds: HashMap<String, Arc<dyn ErasedKind>>,
}

impl std::fmt::Debug for JobRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.kinds.keys().collect();
        names.sort();
        f.debug_struct("JobRegistry")
            .field("kinds", &names)
            .finish()
    }
}

impl JobRegistry {
    /// A registry with no kinds.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry with fa's built-in kinds: `reminder`, `check_in`, `habit_nudge`, `digest`.
    pub fn with_builtins() -> Self {
        let mut registry = Self::new();
        registry.register(super::builtin::Reminder);
        registry.register(super::builtin::CheckInPrompt);
        registry.register(super::builtin::HabitNudge);
        registry.register(super::builtin::Digest);
        registry
    }

    /// Adds a kind (replacing one of the same name).
    pub fn register<K: JobKind>(&mut self, kind: K) -> &mut Self {
        self.kinds.insert(K::NAME.to_owned(), Arc::new(Typed(kind)));
        self
    }

    /// Adds a kind known only at run time under `name` (replacing one of the same name). A name
    /// outside `[a-z0-9_]{1,64}` is [`Error::InvalidInput`].
    pub fn register_dyn(
        &mut self,
        name: impl Into<String>,
        kind: Arc<dyn DynJobKind>,
    ) -> Result<&mut Self> {
        let name = name.into();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(Error::invalid(
                "kind",
                format!("{name:?} must be 1–64 characters of a-z, 0-9 and _"),
            ));
        }
        self.kinds.insert(name, Arc::new(kind));
        Ok(self)
    }

    /// Whether a kind of that name is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.kinds.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<_> = self.kinds.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    pub(crate) fn get(&self, name: &str) -> Result<&Arc<dyn ErasedKind>> {
        self.kinds.get(name).ok_or_else(|| {
            Error::invalid(
                "kind",
                format!(
                    "no job kind `{name}` is registered; known kinds: {}",
                    self.names().join(", ")
                ),
            )
        })
    }
}
