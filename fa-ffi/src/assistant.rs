//! `Assistant`: turns of conversation for a member, with a model, tools (the app's too) and
//! their memory; streaming through a listener.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fa_core::assistant::tools::builtin_toolbox;
use fa_core::assistant::{
    Assistant as _, AssistantOptions, ModelAssistant, Reply, Tool, ToolContext, ToolError, Toolbox,
    TurnInput,
};
use fa_core::ffi::{HostTool, Json, ReplyListener, ToolInvocation};
use fa_core::llm::DynModel;
use fa_core::{Clock, ConversationId, DynStore, Member, MemberScope, PendingActionId};
use tokio::sync::mpsc;

use crate::error::{FaError, Result};
use crate::model::Model;
use crate::runtime::{host, run};
use crate::scheduler::Scheduler;
use crate::store::Store;

/// What a tool of the app is, for the model.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ToolDefinition {
    /// Its name, `[a-z0-9_]`, unique in the assistant.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// A JSON Schema of its arguments, as JSON text.
    pub parameters: Json,
    /// Whether calling it changes something: then the member confirms each call first.
    #[uniffi(default = false)]
    pub changes_state: bool,
}

struct AppTool {
    definition: ToolDefinition,
    tool: Arc<dyn HostTool>,
}

#[async_trait]
impl Tool for AppTool {
    fn name(&self) -> &str {
        &self.definition.name
    }

    fn description(&self) -> &str {
        &self.definition.description
    }

    fn parameters(&self) -> serde_json::Value {
        self.definition.parameters.clone()
    }

    fn changes_state(&self) -> bool {
        self.definition.changes_state
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let invocation = ToolInvocation {
            arguments,
            member: ctx.member().clone(),
            now: ctx.now(),
        };
        let tool = self.tool.clone();
        match host(move || tool.call(invocation)).await {
            Ok(Ok(text)) => Ok(text),
            Ok(Err(FaError::InvalidInput { reason })) => Err(ToolError::InvalidArguments(reason)),
            Ok(Err(e)) | Err(e) => Err(ToolError::Failed(e.to_string())),
        }
    }
}

/// How an assistant answers. Every field may be left out.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AssistantSettings {
    /// Offer fa's built-in tools (time, reminders, habits, check-ins, memory…).
    #[uniffi(default = true)]
    pub builtin_tools: bool,
    /// At most this many model requests per turn.
    #[uniffi(default = None)]
    pub max_steps: Option<u32>,
    /// How long one tool call may take.
    #[uniffi(default = None)]
    pub tool_timeout: Option<Duration>,
    /// The system prompt, instead of fa's.
    #[uniffi(default = None)]
    pub system_prompt: Option<String>,
}

impl Default for AssistantSettings {
    fn default() -> Self {
        Self {
            builtin_tools: true,
            max_steps: None,
            tool_timeout: None,
            system_prompt: None,
        }
    }
}

struct Parts {
    store: DynStore,
    scheduler: Arc<dyn fa_core::scheduler::Scheduler>,
    clock: Arc<dyn Clock>,
    model: Option<DynModel>,
    named: Vec<(String, DynModel)>,
    options: AssistantOptions,
    tools: Toolbox,
}

impl Parts {
    fn build(&self) -> Arc<ModelAssistant> {
        let mut builder = ModelAssistant::builder(self.store.clone(), self.scheduler.clone())
            .tools(self.tools.clone())
            .clock(self.clock.clone())
            .options(self.options.clone());
        if let Some(model) = &self.model {
            builder = builder.model(model.clone());
        }
        for (name, model) in &self.named {
            builder = builder.named_model(name.clone(), model.clone());
        }
        Arc::new(builder.build())
    }
}

/// Answers members' messages with a model, tools and their memory; without a model (or while
/// it is offline) it still serves commands and says the model is offline.
#[derive(uniffi::Object)]
pub struct Assistant {
    store: DynStore,
    /// The parts and the assistant built from them; the lock is held only to swap or clone.
    built: Mutex<(Parts, Arc<ModelAssistant>)>,
}

impl Assistant {
    fn assistant(&self) -> Arc<ModelAssistant> {
        self.built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    /// The tools as they stand, for the Telegram bot.
    pub(crate) fn toolbox(&self) -> Toolbox {
        self.built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .tools
            .clone()
    }

    fn change(&self, change: impl FnOnce(&mut Parts) -> fa_core::Result<()>) -> Result<()> {
        // The replaced assistant (holding the app's objects) is dropped after the lock is
        // released.
        let _replaced = {
            let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut built.0)?;
            let assistant = built.0.build();
            std::mem::replace(&mut built.1, assistant)
        };
        Ok(())
    }

    async fn turn(
        &self,
        member: Member,
        text: String,
        conversation: Option<ConversationId>,
        profile: Option<String>,
        deltas: Option<mpsc::Sender<String>>,
    ) -> Result<Reply> {
        let (assistant, store) = (self.assistant(), self.store.clone());
        run(async move {
            let conversation = match conversation {
                Some(id) => id,
                None => store.conversation(member.scope(), "app", "main").await?.id,
            };
            let mut input = TurnInput::new(member, conversation, text);
            if let Some(profile) = profile {
                input = input.with_profile(profile);
            }
            assistant.respond(input, deltas).await
        })
        .await
    }

    async fn resolve(
        &self,
        scope: MemberScope,
        action: PendingActionId,
        confirm: bool,
    ) -> Result<Reply> {
        let (assistant, store) = (self.assistant(), self.store.clone());
        run(async move {
            let member = store
                .member(scope)
                .await?
                .ok_or(fa_core::Error::NotFound { what: "member" })?;
            assistant.resolve(&member, action, confirm).await
        })
        .await
    }
}

#[uniffi::export]
impl Assistant {
    /// An assistant on `store`, planning reminders with `scheduler` (default: one with the
    /// built-in job kinds) and answering with `model` (default: none, commands only).
    #[uniffi::constructor(default(scheduler = None, model = None, settings = None))]
    pub fn new(
        store: Arc<Store>,
        scheduler: Option<Arc<Scheduler>>,
        model: Option<Arc<Model>>,
        settings: Option<AssistantSettings>,
    ) -> Result<Arc<Self>> {
        let settings = settings.unwrap_or_default();
        let scheduler: Arc<dyn fa_core::scheduler::Scheduler> = match scheduler {
            Some(scheduler) => scheduler.current(),
            None => Scheduler::new(store.clone()).current(),
        };
        let mut options = AssistantOptions::default();
        if let Some(steps) = settings.max_steps {
            options.max_steps = steps;
        }
        if let Some(timeout) = settings.tool_timeout {
            options.tool_timeout = timeout;
        }
        if let Some(prompt) = settings.system_prompt {
            options.system_prompt = prompt;
        }
        let parts = Parts {
            store: store.store.clone(),
            scheduler,
            clock: store.clock.clone(),
            model: model.map(|m| m.model.clone()),
            named: Vec::new(),
            options,
            tools: if settings.builtin_tools {
                builtin_toolbox()
            } else {
                Toolbox::new()
            },
        };
        let assistant = parts.build();
        Ok(Arc::new(Self {
            store: store.store.clone(),
            built: Mutex::new((parts, assistant)),
        }))
    }

    /// Adds (or replaces) a tool of the app.
    pub fn add_tool(&self, definition: ToolDefinition, tool: Arc<dyn HostTool>) -> Result<()> {
        self.change(|parts| parts.tools.add(AppTool { definition, tool }).map(|_| ()))
    }

    /// Adds the calendar tools over `calendars`: the member's events, free time, and create,
    /// move and cancel an event (the last three are confirmed first).
    pub fn add_calendar_tools(
        &self,
        calendars: Arc<crate::calendar::CalendarAccounts>,
    ) -> Result<()> {
        self.change(|parts| {
            for tool in fa_calendar::tools::tools(calendars.accounts.clone()) {
                parts.tools.add_shared(tool)?;
            }
            Ok(())
        })
    }

    /// Makes `model` available to profiles that name it.
    pub fn add_model(&self, name: String, model: Arc<Model>) -> Result<()> {
        self.change(|parts| {
            parts.named.retain(|(n, _)| *n != name);
            parts.named.push((name, model.model.clone()));
            Ok(())
        })
    }

    /// The tools' names, sorted.
    pub fn tool_names(&self) -> Vec<String> {
        self.toolbox().names().map(str::to_owned).collect()
    }

    /// Answers one message from `member` (in `conversation`, default: their `app` one) with
    /// the named `profile` (default: the household's default).
    #[uniffi::method(default(conversation = None, profile = None))]
    pub async fn ask(
        &self,
        member: Member,
        text: String,
        conversation: Option<ConversationId>,
        profile: Option<String>,
    ) -> Result<Reply> {
        self.turn(member, text, conversation, profile, None).await
    }

    /// `ask`, handing the reply's text to `listener` as the model writes it; returns the whole
    /// reply. Cancelling the call stops the turn.
    #[uniffi::method(default(conversation = None, profile = None))]
    pub async fn stream(
        &self,
        member: Member,
        text: String,
        listener: Arc<dyn ReplyListener>,
        conversation: Option<ConversationId>,
        profile: Option<String>,
    ) -> Result<Reply> {
        let (tx, mut rx) = mpsc::channel::<String>(64);
        let forward = run(async move {
            while let Some(delta) = rx.recv().await {
                let listener = listener.clone();
                host(move || listener.on_delta(delta)).await?;
            }
            Ok::<_, FaError>(())
        });
        let turn = self.turn(member, text, conversation, profile, Some(tx));
        let (reply, forwarded) = tokio::join!(turn, forward);
        forwarded?;
        reply
    }

    /// Confirms a pending action: runs the tool call it holds.
    pub async fn confirm(&self, scope: MemberScope, action: PendingActionId) -> Result<Reply> {
        self.resolve(scope, action, true).await
    }

    /// Cancels a pending action.
    pub async fn cancel(&self, scope: MemberScope, action: PendingActionId) -> Result<Reply> {
        self.resolve(scope, action, false).await
    }
}
