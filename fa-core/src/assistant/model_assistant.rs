//! [`ModelAssistant`]: the turn loop over a language model and a toolbox.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use tokio::sync::mpsc;

use super::context::{self, meta};
use super::tool::{Delegate, DynTool, ToolContext, ToolError, Toolbox};
use super::{Assistant, Reply, TurnInput, offline};
use crate::llm::{
    ChatMessage, ChatOptions, ChatRequest, DynModel, ModelError, StreamEvent, ToolCall,
    scan_text_tool_calls,
};
use crate::scheduler::Scheduler;
use crate::{
    AssistantProfile, Clock, ConversationId, DynStore, Member, NewMessage, NewPendingAction,
    PendingActionId, Result, SystemClock,
};

/// The system prompt of the default profile.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You are a helpful family assistant. Answer briefly and \
plainly. Use the tools to act: set reminders, track habits, record check-ins, remember facts. \
Never invent tool results. Times are in the member's time zone.";

/// Limits and defaults of the turn loop.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssistantOptions {
    /// At most this many model requests per turn (default 6).
    pub max_steps: u32,
    /// How long one model request may take (default 120 s).
    pub step_timeout: Duration,
    /// How long one tool call may take (default 30 s).
    pub tool_timeout: Duration,
    /// How long a pending action can be confirmed (default 15 min).
    pub pending_ttl: Duration,
    /// Tokens kept free for the answer (default 1024).
    pub reply_reserve: u32,
    /// How many stored messages are read to build the history (default 60). When the part not
    /// yet summarised fills three quarters of them, its older half is folded into the rolling
    /// summary, so no message leaves the window unsummarised.
    pub history_messages: u32,
    /// At most this many saved facts go into the prompt (default 8).
    pub max_facts: usize,
    /// The system prompt when no profile is named.
    pub system_prompt: String,
}

impl Default for AssistantOptions {
    fn default() -> Self {
        Self {
            max_steps: 6,
            step_timeout: Duration::from_secs(120),
            tool_timeout: Duration::from_secs(30),
            pending_ttl: Duration::from_secs(15 * 60),
            reply_reserve: 1024,
            history_messages: 60,
            max_facts: 8,
            system_prompt: DEFAULT_SYSTEM_PROMPT.to_owned(),
        }
    }
}

struct Inner {
    store: DynStore,
    scheduler: Arc<dyn Scheduler>,
    clock: Arc<dyn Clock>,
    toolbox: Toolbox,
    default_model: Option<DynModel>,
    models: BTreeMap<String, DynModel>,
    options: AssistantOptions,
}

/// The assistant over a language model: runs every tool call, asks before changing anything,
/// keeps within the model's context, and falls back to commands when the model is offline.
/// See the [module docs](super).
#[derive(Clone)]
pub struct ModelAssistant {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ModelAssistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelAssistant")
            .field(
                "model",
                &self
                    .inner
                    .default_model
                    .as_ref()
                    .map(|m| m.name().to_owned()),
            )
            .field("models", &self.inner.models.keys().collect::<Vec<_>>())
            .field("tools", &self.inner.toolbox)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ModelAssistant`].
pub struct ModelAssistantBuilder {
    inner: Inner,
}

impl ModelAssistantBuilder {
    /// The default model.
    pub fn model(mut self, model: DynModel) -> Self {
        self.inner.default_model = Some(model);
        self
    }

    /// A model that profiles can name.
    pub fn named_model(mut self, name: impl Into<String>, model: DynModel) -> Self {
        self.inner.models.insert(name.into(), model);
        self
    }

    /// The tools (default: none).
    pub fn tools(mut self, toolbox: Toolbox) -> Self {
        self.inner.toolbox = toolbox;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.inner.clock = clock;
        self
    }

    /// Limits and defaults.
    pub fn options(mut self, options: AssistantOptions) -> Self {
        self.inner.options = options;
        self
    }

    /// The assistant.
    pub fn build(self) -> ModelAssistant {
        ModelAssistant {
            inner: Arc::new(self.inner),
        }
    }
}

/// The tools offered in one turn, with the specs the model sees (built once per turn).
struct Offered {
    tools: Vec<DynTool>,
    specs: Vec<crate::llm::ToolSpec>,
}

impl Offered {
    /// Tokens the specs take in a request.
    fn tokens(&self) -> usize {
        self.specs
            .iter()
            .map(|s| {
                context::estimate_tokens(&s.parameters.to_string())
                    + context::estimate_tokens(&s.description)
                    + 8
            })
            .sum()
    }
}

/// What the loop may do besides answering.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A member's own turn: persisted, may propose changes.
    Turn(ConversationId),
    /// A question handed over by another profile: nothing persisted, read-only tools.
    Delegated,
}

impl ModelAssistant {
    /// A builder over the household's store and scheduler.
    pub fn builder(store: DynStore, scheduler: Arc<dyn Scheduler>) -> ModelAssistantBuilder {
        ModelAssistantBuilder {
            inner: Inner {
                store,
                scheduler,
                clock: Arc::new(SystemClock),
                toolbox: Toolbox::new(),
                default_model: None,
                models: BTreeMap::new(),
                options: AssistantOptions::default(),
            },
        }
    }

    /// The tools.
    pub fn toolbox(&self) -> &Toolbox {
        &self.inner.toolbox
    }

    /// The default model, if one is configured.
    pub fn model(&self) -> Option<&DynModel> {
        self.inner.default_model.as_ref()
    }

    fn context(&self, member: &Member, depth: u8) -> ToolContext {
        let ctx = ToolContext::new(
            member.clone(),
            self.inner.store.clone(),
            self.inner.scheduler.clone(),
            self.inner.clock.clone(),
        );
        if depth == 0 {
            ctx.with_delegate(Arc::new(ProfileDelegate {
                assistant: self.clone(),
            }))
        } else {
            ctx
        }
    }

    async fn profile(
        &self,
        member: &Member,
        name: Option<&str>,
    ) -> Result<Option<AssistantProfile>> {
        match name {
            Some(name) => match self.inner.store.profile(member.household_id, name).await? {
                Some(profile) => Ok(Some(profile)),
                None => Err(crate::Error::NotFound {
                    what: "assistant profile",
                }),
            },
            None => Ok(None),
        }
    }

    fn model_for(&self, profile: Option<&AssistantProfile>) -> Option<DynModel> {
        profile
            .and_then(|p| p.model.as_ref())
            .and_then(|name| self.inner.models.get(name).cloned())
            .or_else(|| self.inner.default_model.clone())
    }

    fn tools_for(
        &self,
        member: &Member,
        profile: Option<&AssistantProfile>,
        mode: Mode,
    ) -> Offered {
        let tools: Vec<DynTool> = self
            .inner
            .toolbox
            .available(
                member.role,
                profile.and_then(|p| p.allowed_tools.as_deref()),
            )
            .filter(|tool| {
                mode != Mode::Delegated || (!tool.changes_state() && tool.name() != "ask_assistant")
            })
            .cloned()
            .collect();
        let specs = tools.iter().map(|t| t.spec()).collect();
        Offered { tools, specs }
    }

    fn system_prompt(
        &self,
        member: &Member,
        profile: Option<&AssistantProfile>,
        facts: &[String],
        summary: Option<&str>,
    ) -> String {
        let base = profile.map_or(self.inner.options.system_prompt.as_str(), |p| {
            p.system_prompt.as_str()
        });
        let now = self.inner.clock.now().with_timezone(&member.timezone);
        let mut prompt = format!(
            "{base}\n\nYou are talking with {name}. Now: {now} ({tz}).",
            name = member.display_name,
            now = now.format("%A %-d %B %Y, %H:%M"),
            tz = member.timezone,
        );
        if !facts.is_empty() {
            prompt.push_str("\nFacts they asked you to remember:");
            for fact in facts {
                prompt.push_str("\n- ");
                prompt.push_str(fact);
            }
        }
        if let Some(summary) = summary {
            prompt.push_str("\nEarlier in this conversation: ");
            prompt.push_str(summary);
        }
        prompt
    }

    async fn persist(
        &self,
        member: &Member,
        conversation: ConversationId,
        message: NewMessage,
    ) -> Result<crate::Message> {
        self.inner
            .store
            .append_message(member.scope(), conversation, message)
            .await
    }

    /// The offline answer: the model is unavailable; the message is kept for `/retry`.
    fn offline_reply(error: Option<&ModelError>, kept: bool) -> Reply {
        let reason = match error {
            Some(e) => format!(" ({e})"),
            None => " (no model is configured)".to_owned(),
        };
        let what = if kept {
            "I kept your message: send /retry when it is back and I will answer it."
        } else {
            "It stopped partway; what was done so far stays done. Ask again when it is back."
        };
        Reply {
            text: format!(
                "The assistant's model is offline right now{reason}. {what} Commands work \
                 meanwhile:\n{}",
                super::HELP
            ),
            offline: true,
            ..Reply::default()
        }
    }

    /// Builds the request history: summary, facts, and as much recent history as fits; writes a
    /// new rolling summary first when older messages no longer fit.
    async fn history(
        &self,
        member: &Member,
        conversation: ConversationId,
        profile: Option<&AssistantProfile>,
        model: &DynModel,
        text: &str,
        tools_tokens: usize,
    ) -> Result<Vec<ChatMessage>> {
        let scope = member.scope();
        let stored = self
            .inner
            .store
            .recent_messages(scope, conversation, self.inner.options.history_messages)
            .await?;
        let mut summary = self
            .inner
            .store
            .conversation_summary(scope, conversation)
            .await?;
        let notes = self.inner.store.notes(scope, None).await?;
        let facts = context::relevant_facts(&notes, text, self.inner.options.max_facts);

        let window = model.context_window() as usize;
        let reserve = self.inner.options.reply_reserve as usize
            + tools_tokens
            + context::message_tokens(&ChatMessage::user(text));
        let build = |summary: Option<&str>| {
            let system = ChatMessage::system(self.system_prompt(member, profile, &facts, summary));
            let budget = window.saturating_sub(reserve + context::message_tokens(&system));
            (system, budget)
        };

        let recent = context::after_summary(&stored, summary.as_ref().map(|s| s.through_message));
        let (with_ids, chat): (Vec<&crate::Message>, Vec<ChatMessage>) = recent
            .iter()
            .filter_map(|m| context::to_chat(m).map(|c| (m, c)))
            .unzip();
        let (mut system, mut budget) = build(summary.as_ref().map(|s| s.summary.as_str()));
        let mut keep = context::fitting_tail(&chat, budget);
        // Fold older messages into the rolling summary when they no longer fit, or when the
        // unsummarised part fills three quarters of the messages read: then it is folded
        // before any message could slip out of the read window unsummarised.
        let limit = self.inner.options.history_messages as usize;
        let mut fold = if keep < chat.len() {
            chat.len() - keep
        } else if recent.len() * 4 >= limit * 3 {
            chat.len() / 2
        } else {
            0
        };
        // A tool call and its results stay on the same side.
        while fold > 0 && fold < chat.len() && chat[fold].role == crate::llm::ChatRole::Tool {
            fold += 1;
        }
        if fold > 0 {
            let through = with_ids[fold - 1].id;
            match self
                .summarize(
                    model,
                    summary.as_ref().map(|s| s.summary.as_str()),
                    &chat[..fold],
                )
                .await
            {
                Ok(text) => {
                    summary = Some(
                        self.inner
                            .store
                            .save_conversation_summary(scope, conversation, &text, through)
                            .await?,
                    );
                    (system, budget) = build(summary.as_ref().map(|s| s.summary.as_str()));
                    keep = context::fitting_tail(&chat[fold..], budget);
                }
                Err(error) => {
                    tracing::warn!(%error, "could not summarise older messages; they are left out")
                }
            }
        }
        let mut messages = Vec::with_capacity(keep + 1);
        messages.push(system);
        messages.extend_from_slice(&chat[chat.len() - keep..]);
        Ok(messages)
    }

    async fn summarize(
        &self,
        model: &DynModel,
        previous: Option<&str>,
        older: &[ChatMessage],
    ) -> Result<String, ModelError> {
        let mut transcript = String::new();
        if let Some(previous) = previous {
            transcript.push_str("Summary so far: ");
            transcript.push_str(previous);
            transcript.push('\n');
        }
        for message in older {
            let who = match message.role {
                crate::llm::ChatRole::User => "Member",
                crate::llm::ChatRole::Assistant => "Assistant",
                crate::llm::ChatRole::Tool => "Tool result",
                crate::llm::ChatRole::System => continue,
            };
            transcript.push_str(&format!("{who}: {}\n", message.content));
        }
        // The transcript itself must fit: keep its end, where the newest of the old messages are.
        let limit = (model.context_window() as usize).saturating_sub(1024) * 4;
        if transcript.len() > limit {
            let cut = transcript.len() - limit;
            let cut = (cut..transcript.len())
                .find(|i| transcript.is_char_boundary(*i))
                .unwrap_or(0);
            transcript = transcript[cut..].to_owned();
        }
        let request = ChatRequest::new(vec![
            ChatMessage::system(
                "Summarise this conversation in at most 150 words for your own later reference. \
                 Keep facts, decisions, names, dates and open questions. No preamble.",
            ),
            ChatMessage::user(transcript),
        ]);
        let response = tokio::time::timeout(self.inner.options.step_timeout, model.chat(request))
            .await
            .map_err(|_| {
                ModelError::new(
                    crate::llm::ModelErrorKind::Timeout,
                    "the summary took too long",
                )
            })??;
        Ok(response.message.content.trim().to_owned())
    }

    /// Runs one tool call; returns the text for the model, and a pending action if one was
    /// created instead of running it.
    async fn run_call(
        &self,
        ctx: &ToolContext,
        call: &ToolCall,
        tools: &[DynTool],
        unconfirmed: &[String],
        mode: Mode,
    ) -> CallOutcome {
        let Some(tool) = tools.iter().find(|t| t.name() == call.name) else {
            let exists = self.inner.toolbox.get(&call.name).is_some();
            let names: Vec<&str> = tools.iter().map(|t| t.name()).collect();
            return CallOutcome::Invalid(if exists {
                format!(
                    "the tool {} is not available to this member here",
                    call.name
                )
            } else {
                format!(
                    "there is no tool called {}; the tools are: {}",
                    call.name,
                    names.join(", ")
                )
            });
        };
        if !call.arguments.is_object() && !call.arguments.is_null() {
            // A string that is not JSON (the backends keep malformed arguments as a string).
            if crate::assistant::tools::parse_arguments::<serde_json::Value>(&call.arguments)
                .ok()
                .is_none_or(|v| !v.is_object())
            {
                return CallOutcome::Invalid(format!(
                    "the arguments of {} must be a JSON object matching its parameters",
                    call.name
                ));
            }
        }
        let timeout = tool.timeout().unwrap_or(self.inner.options.tool_timeout);
        if tool.changes_state() && !unconfirmed.iter().any(|t| t == tool.name()) {
            let Mode::Turn(conversation) = mode else {
                return CallOutcome::Done(
                    "this assistant may only look things up; the member's own assistant makes changes".to_owned(),
                );
            };
            let proposal = match tokio::time::timeout(
                timeout,
                tool.propose(ctx, call.arguments.clone()),
            )
            .await
            {
                Ok(Ok(proposal)) => proposal,
                Ok(Err(error)) => return CallOutcome::from_error(error),
                Err(_) => return CallOutcome::Failed(format!("{} took too long", call.name)),
            };
            let expires = ctx.now()
                + chrono::Duration::from_std(self.inner.options.pending_ttl)
                    .unwrap_or(chrono::Duration::minutes(15));
            let action =
                NewPendingAction::new(&call.name, proposal.arguments, proposal.summary, expires)
                    .in_conversation(conversation);
            return match ctx.store().create_pending_action(ctx.scope(), action).await {
                Ok(action) => CallOutcome::Pending(action),
                Err(error) => CallOutcome::from_error(error.into()),
            };
        }
        match tokio::time::timeout(timeout, tool.call(ctx, call.arguments.clone())).await {
            Ok(Ok(text)) => CallOutcome::Done(clip(text, MAX_TOOL_RESULT_CHARS)),
            Ok(Err(error)) => CallOutcome::from_error(error),
            Err(_) => CallOutcome::Failed(format!(
                "{} took longer than {timeout:?} and was stopped",
                call.name
            )),
        }
    }

    /// The loop: ask the model, run its tool calls, feed results back, until it answers.
    #[allow(clippy::too_many_arguments)]
    async fn run_loop(
        &self,
        ctx: &ToolContext,
        model: &DynModel,
        mut messages: Vec<ChatMessage>,
        offered: &Offered,
        options: ChatOptions,
        mode: Mode,
        deltas: Option<&mpsc::Sender<String>>,
        mut user_message: Option<NewMessage>,
        log: &mut Vec<NewMessage>,
    ) -> Result<Reply, (ModelError, Reply)> {
        let (tools, specs) = (&offered.tools, &offered.specs);
        let known: Vec<&str> = tools.iter().map(|t| t.name()).collect();
        let unconfirmed = match mode {
            Mode::Turn(_) => ctx
                .store()
                .tools_without_confirmation(ctx.scope())
                .await
                .unwrap_or_default(),
            Mode::Delegated => Vec::new(),
        };
        let mut reply = Reply::default();
        let mut corrections = 0u32;
        for _ in 0..self.inner.options.max_steps {
            let request = ChatRequest::new(messages.clone())
                .with_tools(specs.clone())
                .with_options(options.clone());
            reply.model_requests += 1;
            let answer = match self.ask_model(model, request, deltas).await {
                Ok(answer) => answer,
                Err(error) => return Err((error, reply)),
            };
            // The member's message is logged once a model answered it, so a message no model
            // saw is stored only as kept (see `turn`).
            if let Some(message) = user_message.take() {
                log.push(message);
            }
            let mut message = answer.message;
            let mut unknown = Vec::new();
            if message.tool_calls.is_empty() {
                let scan = scan_text_tool_calls(&message.content, &known);
                if !scan.calls.is_empty() || !scan.unknown.is_empty() {
                    tracing::info!(
                        calls = scan.calls.len(),
                        unknown = scan.unknown.len(),
                        "tool calls recovered from text"
                    );
                    message.tool_calls = scan.calls;
                    message.content = scan.remaining_text;
                    // Calls to tools that do not exist are answered like any call, so each result
                    // follows the call it answers in the stored history.
                    for (i, name) in scan.unknown.into_iter().enumerate() {
                        unknown.push(name.clone());
                        message.tool_calls.push(ToolCall {
                            id: format!("unknown_{i}"),
                            name,
                            arguments: serde_json::json!({}),
                        });
                    }
                }
            }
            if message.tool_calls.is_empty() && unknown.is_empty() {
                log.push(NewMessage::new(
                    crate::MessageRole::Assistant,
                    storable(&message.content),
                ));
                reply.text = message.content;
                return Ok(reply);
            }
            log.push(
                NewMessage::new(crate::MessageRole::Assistant, storable(&message.content))
                    .with_metadata(json!({ meta::TOOL_CALLS: message.tool_calls })),
            );
            messages.push(message.clone());
            let mut results = Vec::new();
            for call in &message.tool_calls {
                reply.tool_calls += 1;
                let outcome = self.run_call(ctx, call, tools, &unconfirmed, mode).await;
                results.push((call.clone(), outcome));
            }
            let mut gave_up = None;
            for (call, outcome) in results {
                let content = match &outcome {
                    CallOutcome::Done(text) => text.clone(),
                    CallOutcome::Pending(action) => {
                        format!("Waiting for the member to confirm: {}", action.summary)
                    }
                    CallOutcome::Invalid(why) => {
                        corrections += 1;
                        if corrections > 1 {
                            gave_up = Some((call.name.clone(), why.clone()));
                        }
                        format!(
                            "error: {why}. Correct the arguments and call {} again.",
                            call.name
                        )
                    }
                    CallOutcome::Failed(why) => format!("error: {why}"),
                };
                if let CallOutcome::Pending(action) = outcome {
                    reply.pending.push(action);
                }
                log.push(
                    NewMessage::new(crate::MessageRole::Tool, storable(&content)).with_metadata(
                        json!({ meta::TOOL_CALL_ID: call.id, meta::TOOL_NAME: call.name }),
                    ),
                );
                messages.push(ChatMessage::tool_result(&call, content));
            }
            if let Some((tool, why)) = gave_up {
                reply.text = format!(
                    "Sorry, I could not work out the details for {tool} ({why}). Please say it \
                     another way, or use a command, e.g. /remind me tomorrow at 9 to call grandma."
                );
                log.push(NewMessage::new(crate::MessageRole::Assistant, &reply.text));
                return Ok(reply);
            }
            if !reply.pending.is_empty() {
                reply.text = if message.content.trim().is_empty() {
                    "Please confirm:".to_owned()
                } else {
                    message.content
                };
                return Ok(reply);
            }
        }
        reply.text = format!(
            "I could not finish this in {} steps. Please ask again in smaller pieces.",
            self.inner.options.max_steps
        );
        log.push(NewMessage::new(crate::MessageRole::Assistant, &reply.text));
        Ok(reply)
    }

    async fn ask_model(
        &self,
        model: &DynModel,
        request: ChatRequest,
        deltas: Option<&mpsc::Sender<String>>,
    ) -> Result<crate::llm::ChatResponse, ModelError> {
        let timeout = self.inner.options.step_timeout;
        let call = async {
            match deltas {
                None => model.chat(request).await,
                Some(deltas) => {
                    let (events, mut rx) = mpsc::channel(64);
                    let forward = {
                        let deltas = deltas.clone();
                        async move {
                            let mut seen = String::new();
                            let mut holding = false;
                            while let Some(event) = rx.recv().await {
                                if let StreamEvent::TextDelta(text) = event {
                                    seen.push_str(&text);
                                    // Text that may be a tool call written out is never shown
                                    // while it streams; the final reply has the clean text.
                                    holding = holding || looks_like_call(&seen);
                                    if !holding {
                                        let _ = deltas.send(text).await;
                                    }
                                }
                            }
                        }
                    };
                    let (result, ()) = tokio::join!(model.chat_stream(request, events), forward);
                    result
                }
            }
        };
        tokio::time::timeout(timeout, call).await.map_err(|_| {
            ModelError::new(
                crate::llm::ModelErrorKind::Timeout,
                format!("the model did not answer within {timeout:?}"),
            )
        })?
    }

    async fn turn(
        &self,
        input: TurnInput,
        deltas: Option<mpsc::Sender<String>>,
        retry_of: Option<crate::MessageId>,
    ) -> Result<Reply> {
        let member = &input.member;
        if let Err(error) = NewMessage::new(crate::MessageRole::User, &input.text).validate() {
            return Ok(Reply::text(format!("I cannot take that message: {error}")));
        }
        let profile = match self.profile(member, input.profile.as_deref()).await {
            Ok(profile) => profile,
            Err(crate::Error::NotFound { .. }) => {
                let names: Vec<String> = self
                    .inner
                    .store
                    .profiles(member.household_id)
                    .await?
                    .into_iter()
                    .map(|p| p.name)
                    .collect();
                return Ok(Reply::text(format!(
                    "There is no assistant called {:?}; the household has: {}.",
                    input.profile.as_deref().unwrap_or_default(),
                    if names.is_empty() {
                        "only the default one".to_owned()
                    } else {
                        names.join(", ")
                    }
                )));
            }
            Err(error) => return Err(error),
        };
        let model = self.model_for(profile.as_ref());
        let mut user = NewMessage::new(crate::MessageRole::User, &input.text);
        if let Some(original) = retry_of {
            user = user.with_metadata(json!({ meta::RETRY_OF: original }));
        }
        let Some(model) = model else {
            let kept = NewMessage::new(crate::MessageRole::User, &input.text)
                .with_metadata(json!({ meta::KEPT: true }));
            self.persist(member, input.conversation, kept).await?;
            return Ok(Self::offline_reply(None, true));
        };
        let tools = self.tools_for(member, profile.as_ref(), Mode::Turn(input.conversation));
        let tools_tokens = tools.tokens();
        let mut messages = self
            .history(
                member,
                input.conversation,
                profile.as_ref(),
                &model,
                &input.text,
                tools_tokens,
            )
            .await?;
        messages.push(ChatMessage::user(&input.text));
        let ctx = self.context(member, 0);
        let options = chat_options(profile.as_ref());
        let mut log = Vec::new();
        let outcome = self
            .run_loop(
                &ctx,
                &model,
                messages,
                &tools,
                options,
                Mode::Turn(input.conversation),
                deltas.as_ref(),
                Some(user),
                &mut log,
            )
            .await;
        // The whole turn is stored in one write.
        match outcome {
            Ok(reply) => {
                self.inner
                    .store
                    .append_messages(member.scope(), input.conversation, log)
                    .await?;
                Ok(reply)
            }
            Err((error, partial)) => {
                tracing::warn!(kind = ?error.kind(), "model unavailable; answering offline");
                let kept = partial.model_requests <= 1;
                // A failed /retry leaves the original kept message as it is.
                if kept && retry_of.is_none() {
                    // No model saw it: keep it, to be answered on /retry only.
                    log.push(
                        NewMessage::new(crate::MessageRole::User, &input.text)
                            .with_metadata(json!({ meta::KEPT: true })),
                    );
                }
                self.inner
                    .store
                    .append_messages(member.scope(), input.conversation, log)
                    .await?;
                let mut reply = Self::offline_reply(Some(&error), kept);
                reply.tool_calls = partial.tool_calls;
                reply.pending = partial.pending;
                reply.model_requests = partial.model_requests;
                Ok(reply)
            }
        }
    }
}

/// The sampling options a profile asks for.
fn chat_options(profile: Option<&AssistantProfile>) -> ChatOptions {
    match profile.and_then(|p| p.temperature) {
        Some(t) => ChatOptions::default().temperature(t),
        None => ChatOptions::default(),
    }
}

/// The longest tool result handed to the model; longer ones are cut, so one tool cannot
/// overflow the context window.
const MAX_TOOL_RESULT_CHARS: usize = 8_000;

fn clip(text: String, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{} … (cut)", &text[..cut]),
        None => text,
    }
}

/// Text as the store accepts it: no NUL characters, at most 99,000 characters.
fn storable(text: &str) -> String {
    clip(text.replace('\0', ""), 99_000)
}

/// Whether streamed text may be the start of a tool call written as text.
fn looks_like_call(text: &str) -> bool {
    let start = text.trim_start();
    start.starts_with('{')
        || start.starts_with('[')
        || start.starts_with("```")
        || start.starts_with('<')
        || text.contains("<tool_call>")
        || text.contains("[TOOL_CALLS]")
        || text.contains("<|python_tag|>")
        || text.contains("\"arguments\"")
        || text.contains("\"parameters\"")
}

enum CallOutcome {
    Done(String),
    Pending(crate::PendingAction),
    Invalid(String),
    Failed(String),
}

impl CallOutcome {
    fn from_error(error: ToolError) -> Self {
        match error {
            ToolError::InvalidArguments(why) => CallOutcome::Invalid(why),
            other => CallOutcome::Failed(other.to_string()),
        }
    }
}

#[async_trait]
impl Assistant for ModelAssistant {
    async fn respond(
        &self,
        input: TurnInput,
        deltas: Option<mpsc::Sender<String>>,
    ) -> Result<Reply> {
        let text = input.text.trim();
        if text.starts_with('/') {
            let lower = text.to_ascii_lowercase();
            if lower == "/retry" || lower.starts_with("/retry@") {
                return self.retry(input, deltas).await;
            }
            if lower == "/confirm"
                || lower.starts_with("/confirm ")
                || lower.starts_with("/confirm@")
            {
                return self.confirm_setting(&input.member, text).await;
            }
            let ctx = self.context(&input.member, 1);
            return offline::run_command(&ctx, input.conversation, text).await;
        }
        self.turn(input, deltas, None).await
    }

    async fn resolve(
        &self,
        member: &Member,
        action: PendingActionId,
        confirm: bool,
    ) -> Result<Reply> {
        let resolved = match self
            .inner
            .store
            .resolve_pending_action(member.scope(), action, confirm)
            .await
        {
            Ok(action) => action,
            Err(error @ (crate::Error::WrongState { .. } | crate::Error::NotFound { .. })) => {
                return Ok(Reply::text(format!(
                    "That request {}",
                    match error {
                        crate::Error::NotFound { .. } => "no longer exists.".to_owned(),
                        other =>
                            other
                                .to_string()
                                .trim_start_matches("pending action ")
                                .to_owned()
                                + ".",
                    }
                )));
            }
            Err(error) => return Err(error),
        };
        let text = if !confirm {
            format!("Cancelled: {}", resolved.summary)
        } else {
            let ctx = self.context(member, 0);
            match self.inner.toolbox.get(&resolved.tool) {
                Some(tool) if tool.allowed_for(member.role) => {
                    match tokio::time::timeout(
                        self.inner.options.tool_timeout,
                        tool.call(&ctx, resolved.arguments.clone()),
                    )
                    .await
                    {
                        Ok(Ok(text)) => text,
                        Ok(Err(error)) => {
                            format!("That did not work: {error}. Ask me again to retry.")
                        }
                        Err(_) => {
                            "That took too long and was stopped; please try again.".to_owned()
                        }
                    }
                }
                _ => format!("The tool {} is not available any more.", resolved.tool),
            }
        };
        if let Some(conversation) = resolved.conversation_id {
            let note = NewMessage::new(crate::MessageRole::Assistant, &text)
                .with_metadata(json!({ "pending_action": resolved.id, "confirmed": confirm }));
            if let Err(error) = self.persist(member, conversation, note).await {
                tracing::error!(%error, "could not store the outcome of a pending action");
            }
        }
        Ok(Reply::text(text))
    }
}

impl ModelAssistant {
    /// `/confirm` lists the changing tools and whether they ask first; `/confirm off <tool>`
    /// lets one run without asking, `/confirm on <tool>` asks again.
    async fn confirm_setting(&self, member: &Member, text: &str) -> Result<Reply> {
        let words: Vec<&str> = text.split_whitespace().skip(1).collect();
        let changing: Vec<&str> = self
            .inner
            .toolbox
            .available(member.role, None)
            .filter(|t| t.changes_state())
            .map(|t| t.name())
            .collect();
        let scope = member.scope();
        match words.as_slice() {
            [] => {
                let skipped = self.inner.store.tools_without_confirmation(scope).await?;
                let lines: Vec<String> = changing
                    .iter()
                    .map(|t| {
                        let asks = if skipped.iter().any(|s| s == t) {
                            "runs at once"
                        } else {
                            "asks first"
                        };
                        format!("{t}: {asks}")
                    })
                    .collect();
                Ok(Reply::text(lines.join("\n")))
            }
            [setting @ ("on" | "off"), tool] if changing.contains(tool) => {
                let confirm = *setting == "on";
                self.inner
                    .store
                    .set_tool_confirmation(scope, tool, confirm)
                    .await?;
                Ok(Reply::text(if confirm {
                    format!("I will ask before {tool} runs.")
                } else {
                    format!("{tool} will run without asking. /confirm on {tool} undoes this.")
                }))
            }
            _ => Ok(Reply::text(format!(
                "Usage: /confirm, /confirm off <tool> or /confirm on <tool>; the tools that ask first are: {}",
                changing.join(", ")
            ))),
        }
    }

    async fn retry(&self, input: TurnInput, deltas: Option<mpsc::Sender<String>>) -> Result<Reply> {
        let recent = self
            .inner
            .store
            .recent_messages(
                input.member.scope(),
                input.conversation,
                self.inner.options.history_messages,
            )
            .await?;
        let retried: std::collections::HashSet<String> = recent
            .iter()
            .filter_map(|m| {
                m.metadata
                    .as_ref()?
                    .get(meta::RETRY_OF)?
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        let Some(kept) = recent
            .iter()
            .rev()
            .find(|m| context::is_kept(m) && !retried.contains(&m.id.to_string()))
        else {
            return Ok(Reply::text("There is no kept message to answer."));
        };
        let text = kept.content.clone();
        let id = kept.id;
        self.turn(TurnInput { text, ..input }, deltas, Some(id))
            .await
    }
}

/// Answers `ask_assistant` with another profile: its prompt, model and read-only tools, for the
/// same member, without history.
struct ProfileDelegate {
    assistant: ModelAssistant,
}

#[async_trait]
impl Delegate for ProfileDelegate {
    async fn ask(
        &self,
        ctx: &ToolContext,
        profile: &str,
        question: &str,
    ) -> Result<String, ToolError> {
        let assistant = &self.assistant;
        let member = ctx.member();
        let Some(profile) = assistant
            .inner
            .store
            .profile(member.household_id, profile)
            .await?
        else {
            let names: Vec<String> = assistant
                .inner
                .store
                .profiles(member.household_id)
                .await?
                .into_iter()
                .map(|p| p.name)
                .collect();
            return Err(ToolError::invalid(format!(
                "there is no assistant profile called {profile:?}; the profiles are: {}",
                names.join(", ")
            )));
        };
        let model = assistant
            .model_for(Some(&profile))
            .ok_or_else(|| ToolError::failed("no model is configured"))?;
        let tools = assistant.tools_for(member, Some(&profile), Mode::Delegated);
        let messages = vec![
            ChatMessage::system(assistant.system_prompt(member, Some(&profile), &[], None)),
            ChatMessage::user(question),
        ];
        let options = chat_options(Some(&profile));
        let inner_ctx = assistant.context(member, 1);
        let mut discarded = Vec::new();
        match assistant
            .run_loop(
                &inner_ctx,
                &model,
                messages,
                &tools,
                options,
                Mode::Delegated,
                None,
                None,
                &mut discarded,
            )
            .await
        {
            Ok(reply) => Ok(format!("{} says: {}", profile.name, reply.text)),
            Err((error, _)) => Err(ToolError::failed(format!(
                "{} could not answer: {error}",
                profile.name
            ))),
        }
    }
}
