//! The [`Tool`] trait, the context a tool runs in, and the [`Toolbox`] that holds tools.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::llm::ToolSpec;
use crate::scheduler::Scheduler;
use crate::{Clock, DynStore, Error, ErrorKind, Member, MemberScope, Role};

/// What a tool sees of the turn it runs in: who asked, their household, the time, and the
/// household's store and scheduler. Every read and write a tool makes goes through
/// [`scope`](Self::scope), so a tool cannot reach another member's data by accident.
#[derive(Clone)]
pub struct ToolContext {
    member: Member,
    store: DynStore,
    scheduler: Arc<dyn Scheduler>,
    clock: Arc<dyn Clock>,
    delegate: Option<Arc<dyn Delegate>>,
}

impl std::fmt::Debug for ToolContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolContext")
            .field("household", &self.member.household_id)
            .field("member", &self.member.id)
            .field("role", &self.member.role)
            .finish_non_exhaustive()
    }
}

impl ToolContext {
    /// A context for `member`'s turn.
    pub fn new(
        member: Member,
        store: DynStore,
        scheduler: Arc<dyn Scheduler>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            member,
            store,
            scheduler,
            clock,
            delegate: None,
        }
    }

    /// Lets tools hand a question to another assistant profile.
    pub fn with_delegate(mut self, delegate: Arc<dyn Delegate>) -> Self {
        self.delegate = Some(delegate);
        self
    }

    /// The member whose turn it is.
    pub fn member(&self) -> &Member {
        &self.member
    }

    /// The member's scope: pass it to every store and scheduler call.
    pub fn scope(&self) -> MemberScope {
        self.member.scope()
    }

    /// The member's role.
    pub fn role(&self) -> Role {
        self.member.role
    }

    /// The member's time zone.
    pub fn timezone(&self) -> Tz {
        self.member.timezone
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Now on the member's wall clock.
    pub fn local_now(&self) -> DateTime<Tz> {
        self.now().with_timezone(&self.member.timezone)
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The household's store.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// The household's scheduler.
    pub fn scheduler(&self) -> &Arc<dyn Scheduler> {
        &self.scheduler
    }

    /// Who answers questions handed to another assistant profile, if anyone.
    pub fn delegate(&self) -> Option<&Arc<dyn Delegate>> {
        self.delegate.as_ref()
    }
}

/// Hands a question to another assistant profile (the `ask_assistant` tool uses it).
#[async_trait]
pub trait Delegate: Send + Sync {
    /// Asks the profile named `profile` one question on behalf of the context's member; returns
    /// its answer.
    async fn ask(
        &self,
        ctx: &ToolContext,
        profile: &str,
        question: &str,
    ) -> Result<String, ToolError>;
}

/// Why a tool call did not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The arguments do not fit the tool's parameters. The assistant shows this to the model
    /// once so it can correct the call.
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The member may not use this tool.
    #[error("not allowed: {0}")]
    Denied(String),
    /// The tool ran and failed; the text says why, in words fit for the member.
    #[error("{0}")]
    Failed(String),
    /// Something broke that the member cannot fix (a database error); details are in the logs.
    #[error("internal error; it has been logged")]
    Internal,
}

impl From<Error> for ToolError {
    fn from(error: Error) -> Self {
        match error.kind() {
            ErrorKind::InvalidInput => ToolError::InvalidArguments(error.to_string()),
            ErrorKind::NotFound | ErrorKind::Conflict => ToolError::Failed(error.to_string()),
            _ => {
                tracing::error!(error = %error, "tool failed on an internal error");
                ToolError::Internal
            }
        }
    }
}

impl ToolError {
    /// Invalid arguments, naming what is wrong.
    pub fn invalid(reason: impl Into<String>) -> Self {
        ToolError::InvalidArguments(reason.into())
    }

    /// A failure, in words fit for the member.
    pub fn failed(reason: impl Into<String>) -> Self {
        ToolError::Failed(reason.into())
    }
}

/// Something the assistant can do. Implement it to give the assistant a new ability; see the
/// guide `docs/WRITING_TOOLS.md`.
///
/// A tool that changes anything says so with [`changes_state`](Self::changes_state): its calls
/// then become *pending actions* that the member confirms or cancels, described by
/// [`describe`](Self::describe), unless the member opted out of confirming this tool.
#[async_trait]
pub trait Tool: Send + Sync {
    /// The name the model calls it by: lowercase letters, digits and `_`, unique in a toolbox.
    fn name(&self) -> &str;

    /// What it does and when to use it, written for the model.
    fn description(&self) -> &str;

    /// A JSON Schema of its arguments (`{"type": "object", …}`).
    fn parameters(&self) -> serde_json::Value;

    /// Whether a call changes anything (then it needs the member's confirmation).
    fn changes_state(&self) -> bool {
        false
    }

    /// Whether a member with `role` may use it. By default everyone may, except that guests may
    /// not use tools that change state; override to narrow (e.g. integrations: owners and
    /// adults only) or widen.
    fn allowed_for(&self, role: Role) -> bool {
        role != Role::Guest || !self.changes_state()
    }

    /// For a tool that changes state: what the call will do, in words for the member ("Remind
    /// you on Thu 19 Nov at 09:00: call grandma"). It validates the arguments and changes
    /// nothing.
    async fn describe(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<String, ToolError> {
        let _ = (ctx, arguments);
        Ok(format!("run {}", self.name()))
    }

    /// For a tool that changes state: the pending action to store — what will happen, in words,
    /// and the arguments to run it with once confirmed. Override it to pin anything that could
    /// drift between proposal and confirmation (a relative time to an instant, a list position
    /// to an id), so the member gets exactly what they were shown. The default keeps the
    /// arguments as they are and takes the words from [`describe`](Self::describe).
    async fn propose(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<Proposal, ToolError> {
        let summary = self.describe(ctx, &arguments).await?;
        Ok(Proposal { summary, arguments })
    }

    /// How long one call may take; `None`: the assistant's `tool_timeout`.
    fn timeout(&self) -> Option<std::time::Duration> {
        None
    }

    /// Runs the call; returns what to tell the model (and, for a confirmed action, the member).
    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError>;

    /// The spec the model sees.
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().to_owned(),
            description: self.description().to_owned(),
            parameters: self.parameters(),
        }
    }
}

/// A change a tool proposes: the words shown to the member and the arguments it runs with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Proposal {
    /// What will happen, in words for the member.
    pub summary: String,
    /// The arguments [`Tool::call`] gets once the member confirms.
    pub arguments: serde_json::Value,
}

impl Proposal {
    /// A proposal.
    pub fn new(summary: impl Into<String>, arguments: serde_json::Value) -> Self {
        Self {
            summary: summary.into(),
            arguments,
        }
    }
}

/// A shared tool.
pub type DynTool = Arc<dyn Tool>;

/// A set of tools by name.
#[derive(Clone, Default)]
pub struct Toolbox {
    tools: BTreeMap<String, DynTool>,
}

impl std::fmt::Debug for Toolbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.tools.keys()).finish()
    }
}

impl Toolbox {
    /// An empty toolbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool; one with the same name is replaced. A name outside `[a-z0-9_]{1,64}` is
    /// refused.
    pub fn add(&mut self, tool: impl Tool + 'static) -> crate::Result<&mut Self> {
        self.add_shared(Arc::new(tool))
    }

    /// Adds a shared tool.
    pub fn add_shared(&mut self, tool: DynTool) -> crate::Result<&mut Self> {
        let name = tool.name();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(Error::invalid(
                "tool name",
                format!("{name:?} must be 1–64 characters of a-z, 0-9 and _"),
            ));
        }
        self.tools.insert(name.to_owned(), tool);
        Ok(self)
    }

    /// Adds a tool, builder style.
    pub fn with(mut self, tool: impl Tool + 'static) -> crate::Result<Self> {
        self.add(tool)?;
        Ok(self)
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<&DynTool> {
        self.tools.get(name)
    }

    /// All tool names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.keys().map(String::as_str)
    }

    /// How many tools it holds.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The tools a member with `role` may use, limited to `allowed` when given (a profile's list).
    pub fn available<'a>(
        &'a self,
        role: Role,
        allowed: Option<&'a [String]>,
    ) -> impl Iterator<Item = &'a DynTool> + 'a {
        self.tools.values().filter(move |tool| {
            tool.allowed_for(role)
                && allowed.is_none_or(|list| list.iter().any(|name| name == tool.name()))
        })
    }
}
