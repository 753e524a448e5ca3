//! The assistant: one turn of conversation for one member.
//!
//! A [`ModelAssistant`] answers with a [`LanguageModel`](crate::llm::LanguageModel) and a
//! [`Toolbox`]. Every tool call the model makes is run — including calls a local model wrote as
//! text — and a call that would change something becomes a [`PendingAction`]
//! the member confirms or cancels, unless they opted out for that tool. Each member's history,
//! rolling summary and saved facts are theirs alone: every read goes through their
//! [`MemberScope`](crate::MemberScope).
//!
//! When the model is unreachable or fails, the assistant still serves the commands in
//! [`HELP`] through a deterministic parser, says plainly that the model is offline, and keeps
//! the member's message, to be answered only if they ask again with `/retry`.
//!
//! ```
//! use std::sync::Arc;
//! use fa_core::assistant::{Assistant, ModelAssistant, TurnInput, tools::builtin_toolbox};
//! use fa_core::scheduler::{JobRegistry, StoreScheduler};
//! use fa_core::{ConversationStore, HouseholdStore, NewMember, Role, SqliteOptions, SqliteStore};
//!
//! # async fn run() -> fa_core::Result<()> {
//! let store = Arc::new(SqliteStore::open_with(SqliteOptions::memory()).await?);
//! let home = store.create_household("Home").await?;
//! let ana = store.add_member(home.id, NewMember::new("Ana", Role::Owner).with_timezone("Europe/Berlin")).await?;
//! let scheduler = Arc::new(StoreScheduler::new(store.clone(), JobRegistry::with_builtins()));
//!
//! // No model configured: the assistant serves commands only.
//! let assistant = ModelAssistant::builder(store.clone(), scheduler).tools(builtin_toolbox()).build();
//! let chat = store.conversation(ana.scope(), "console", "main").await?;
//! let reply = assistant
//!     .respond(TurnInput::new(ana.clone(), chat.id, "/remind me tomorrow at 9 to call grandma"), None)
//!     .await?;
//! assert!(reply.text.contains("call grandma"), "{}", reply.text);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```

mod commands;
mod context;
mod model_assistant;
mod offline;
mod tool;
pub mod tools;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use commands::{Command, CommandError, HELP, HabitCommand, parse_command};
pub use context::estimate_tokens;
pub use model_assistant::{AssistantOptions, ModelAssistant, ModelAssistantBuilder};
pub use tool::{Delegate, DynTool, Proposal, Tool, ToolContext, ToolError, Toolbox};

use crate::{ConversationId, Member, PendingAction, PendingActionId, Result};

/// One message from a member, to answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TurnInput {
    /// Who wrote it.
    pub member: Member,
    /// The member's conversation it belongs to.
    pub conversation: ConversationId,
    /// What they wrote (or said, transcribed).
    pub text: String,
    /// The assistant profile to answer with; `None`: the default.
    pub profile: Option<String>,
}

impl TurnInput {
    /// A message from `member` in `conversation`.
    pub fn new(member: Member, conversation: ConversationId, text: impl Into<String>) -> Self {
        Self {
            member,
            conversation,
            text: text.into(),
            profile: None,
        }
    }

    /// Answers with the profile called `profile`.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }
}

/// The assistant's answer to one turn.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct Reply {
    /// What to show the member.
    pub text: String,
    /// Changes waiting for the member's confirm / cancel.
    pub pending: Vec<PendingAction>,
    /// Whether the model was unavailable and the message was kept unanswered.
    pub offline: bool,
    /// How many tool calls ran (or became pending actions).
    pub tool_calls: u32,
    /// How many model requests the turn made.
    pub model_requests: u32,
}

impl Reply {
    pub(crate) fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// One turn of conversation for one member. Hold it as `Arc<dyn Assistant>`.
#[async_trait]
pub trait Assistant: Send + Sync {
    /// Answers a message. With `deltas`, text is streamed there as the model writes it (never a
    /// tool call written as text); the returned [`Reply`] has the final text either way.
    async fn respond(
        &self,
        input: TurnInput,
        deltas: Option<mpsc::Sender<String>>,
    ) -> Result<Reply>;

    /// The member confirmed (`confirm = true`) or cancelled a pending action: runs it or drops
    /// it, and says what happened. An action already answered or expired is answered with a
    /// sentence saying so.
    async fn resolve(
        &self,
        member: &Member,
        action: PendingActionId,
        confirm: bool,
    ) -> Result<Reply>;
}
