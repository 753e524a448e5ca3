//! The engine: wires a store, the scheduler, an assistant and channels into a running app.
//!
//! Each inbound message goes through one pipeline, in a tracing span `turn` with a correlation
//! id: identify the member by their channel identity → authorize → per-member rate limit →
//! assistant (or transcriber, or confirm / cancel) → reply or pending action → persist →
//! metrics. Logs carry ids, kinds and timings, never message text.
//!
//! ```no_run
//! use std::sync::Arc;
//! use fa_core::engine::{App, ConsoleChannel};
//! use fa_core::{SqliteOptions, SqliteStore};
//!
//! # async fn run() -> fa_core::Result<()> {
//! let store = Arc::new(SqliteStore::open_with(SqliteOptions::file("fa.db")).await?);
//! let app = App::builder(store)
//!     .channel(Arc::new(ConsoleChannel::stdio("owner")))
//!     .build()?;
//! app.run(async { let _ = tokio::signal::ctrl_c().await; }).await;
//! # Ok(()) }
//! ```

mod access;
mod account;
mod channel;
mod command;
mod console;
mod inbox;
mod limiter;
mod metrics;
mod notifier;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tracing::Instrument;

pub use access::new_code;
pub use channel::{Channel, Inbound, InboundContent, Outbound, ReminderAction};
pub use command::ChatCommand;
pub use console::ConsoleChannel;
pub use inbox::{InboundJournal, InboundReceipt};
pub use limiter::RateLimit;
pub use metrics::MetricsSnapshot;
pub use notifier::{ChannelNotifier, notification_job};

use crate::assistant::{
    Assistant, AssistantOptions, ModelAssistant, Reply, Toolbox, TurnInput, tools::builtin_toolbox,
};
use crate::llm::DynModel;
use crate::scheduler::{JobRegistry, RunnerOptions, Scheduler, StoreScheduler};
use crate::transcription::Transcriber;
use crate::{
    ChannelIdentity, Clock, DynStore, InboxBegin, Member, MemberScope, NewMember, Result, Role,
    Secret, SystemClock,
};
use access::Gate;
use limiter::MemberLimiter;
use metrics::{Metrics, TimedModel};

/// How long turns under way may take to finish when the app stops.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// How often a streamed reply is edited at most (Telegram allows about one edit a second).
const EDIT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Builds an [`App`]. Everything but the store has a default: the built-in tools, no model
/// (commands only), the system clock, 20 messages a minute per member.
pub struct AppBuilder {
    store: DynStore,
    clock: Arc<dyn Clock>,
    model: Option<DynModel>,
    named_models: Vec<(String, DynModel)>,
    tools: Toolbox,
    channels: Vec<Arc<dyn Channel>>,
    transcriber: Option<Arc<dyn Transcriber>>,
    rate_limit: RateLimit,
    assistant_options: AssistantOptions,
    runner_options: RunnerOptions,
    registry: Option<JobRegistry>,
    setup: Option<(MemberScope, Secret)>,
    commands: Vec<Arc<dyn ChatCommand>>,
}

impl AppBuilder {
    /// A one-time setup code for the household's owner: a sender who is not a member yet and
    /// sends `/start CODE` becomes known as `owner` on that channel. The code works once.
    pub fn owner_setup_code(mut self, owner: MemberScope, code: Secret) -> Self {
        self.setup = Some((owner, code));
        self
    }

    /// The default language model.
    pub fn model(mut self, model: DynModel) -> Self {
        self.model = Some(model);
        self
    }

    /// A model that assistant profiles can name.
    pub fn named_model(mut self, name: impl Into<String>, model: DynModel) -> Self {
        self.named_models.push((name.into(), model));
        self
    }

    /// The tools (default: [`builtin_toolbox`]).
    pub fn tools(mut self, tools: Toolbox) -> Self {
        self.tools = tools;
        self
    }

    /// A channel to serve.
    pub fn channel(mut self, channel: Arc<dyn Channel>) -> Self {
        self.channels.push(channel);
        self
    }

    /// Speech to text for voice messages.
    pub fn transcriber(mut self, transcriber: Arc<dyn Transcriber>) -> Self {
        self.transcriber = Some(transcriber);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The per-member rate limit.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// The assistant's limits.
    pub fn assistant_options(mut self, options: AssistantOptions) -> Self {
        self.assistant_options = options;
        self
    }

    /// The scheduler runner's options.
    pub fn runner_options(mut self, options: RunnerOptions) -> Self {
        self.runner_options = options;
        self
    }

    /// Answers `/name …` with `command` (see [`ChatCommand`]); add as many as needed.
    pub fn command(mut self, command: Arc<dyn ChatCommand>) -> Self {
        self.commands.push(command);
        self
    }

    /// The job kinds (default: the built-in ones).
    pub fn job_registry(mut self, registry: JobRegistry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The app.
    pub fn build(self) -> Result<App> {
        let metrics = Arc::new(Metrics::default());
        let timed = |model: DynModel| -> DynModel {
            Arc::new(TimedModel {
                inner: model,
                metrics: metrics.clone(),
            })
        };
        let scheduler = Arc::new(
            StoreScheduler::new(
                self.store.clone(),
                self.registry.unwrap_or_else(JobRegistry::with_builtins),
            )
            .with_clock(self.clock.clone()),
        );
        let mut assistant = ModelAssistant::builder(self.store.clone(), scheduler.clone())
            .tools(self.tools)
            .clock(self.clock.clone())
            .options(self.assistant_options);
        if let Some(model) = self.model {
            assistant = assistant.model(timed(model));
        }
        for (name, model) in self.named_models {
            assistant = assistant.named_model(name, timed(model));
        }
        Ok(App {
            inner: Arc::new(AppInner {
                limiter: MemberLimiter::new(self.rate_limit, self.clock.clone()),
                store: self.store,
                scheduler,
                assistant: Arc::new(assistant.build()),
                channels: self.channels,
                transcriber: self.transcriber,
                metrics,
                runner_options: self.runner_options,
                gate: match self.setup {
                    Some((owner, code)) => Gate::with_setup(owner, code),
                    None => Gate::default(),
                },
                clock: self.clock,
                commands: self.commands,
            }),
        })
    }
}

struct AppInner {
    store: DynStore,
    scheduler: Arc<StoreScheduler>,
    assistant: Arc<ModelAssistant>,
    channels: Vec<Arc<dyn Channel>>,
    transcriber: Option<Arc<dyn Transcriber>>,
    limiter: MemberLimiter,
    metrics: Arc<Metrics>,
    runner_options: RunnerOptions,
    gate: Gate,
    clock: Arc<dyn Clock>,
    commands: Vec<Arc<dyn ChatCommand>>,
}

/// A running family assistant: store, scheduler, assistant and channels. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("assistant", &self.inner.assistant)
            .field(
                "channels",
                &self
                    .inner
                    .channels
                    .iter()
                    .map(|c| c.name().to_owned())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl App {
    /// A builder over a store.
    pub fn builder(store: DynStore) -> AppBuilder {
        AppBuilder {
            store,
            clock: Arc::new(SystemClock),
            model: None,
            named_models: Vec::new(),
            tools: builtin_toolbox(),
            channels: Vec::new(),
            transcriber: None,
            rate_limit: RateLimit::default(),
            assistant_options: AssistantOptions::default(),
            runner_options: RunnerOptions::default(),
            registry: None,
            setup: None,
            commands: Vec::new(),
        }
    }

    /// The store.
    pub fn store(&self) -> &DynStore {
        &self.inner.store
    }

    /// The scheduler.
    pub fn scheduler(&self) -> Arc<dyn Scheduler> {
        self.inner.scheduler.clone()
    }

    /// The assistant.
    pub fn assistant(&self) -> &ModelAssistant {
        &self.inner.assistant
    }

    /// Counters and turn times so far.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// Serves every channel and runs the scheduler until `shutdown` completes or every channel
    /// has closed. Reminders are delivered to members through the channels
    /// ([`ChannelNotifier`]).
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let notifier = Arc::new(
            ChannelNotifier::new(self.inner.store.clone(), self.inner.channels.clone())
                .with_metrics(self.inner.metrics.clone(), self.inner.clock.clone()),
        );
        let runner = self
            .inner
            .scheduler
            .runner(notifier, self.inner.runner_options.clone());
        let mut stop = stop_rx.clone();
        let scheduler_task = tokio::spawn(async move {
            runner
                .run(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
        });
        let mut serving = tokio::task::JoinSet::new();
        for channel in self.inner.channels.clone() {
            let app = self.clone();
            let mut stop = stop_rx.clone();
            serving.spawn(async move {
                // One worker per chat: a chat's messages are answered in order, while one slow
                // turn does not hold up other chats.
                let mut chats: HashMap<String, mpsc::UnboundedSender<Inbound>> = HashMap::new();
                let mut workers = tokio::task::JoinSet::new();
                loop {
                    let next = tokio::select! {
                        next = channel.next() => next,
                        _ = stop.wait_for(|s| *s) => None,
                    };
                    let Some(inbound) = next else { break };
                    chats.retain(|_, queue| !queue.is_closed());
                    let queue = chats.entry(inbound.chat_id.clone()).or_insert_with(|| {
                        let (tx, mut rx) = mpsc::unbounded_channel::<Inbound>();
                        let (app, channel) = (app.clone(), channel.clone());
                        workers.spawn(async move {
                            while let Some(inbound) = rx.recv().await {
                                app.handle(&channel, inbound).await;
                            }
                        });
                        tx
                    });
                    let _ = queue.send(inbound);
                }
                // The channel closed: answer what was already received, then stop.
                drop(chats);
                while workers.join_next().await.is_some() {}
            });
        }
        tokio::pin!(shutdown);
        tokio::select! {
            () = &mut shutdown => {}
            () = async { while serving.join_next().await.is_some() {} } => {}
        }
        let _ = stop_tx.send(true);
        // Turns under way finish (and are stored) before the app stops, within a limit.
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while serving.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("turns still running at shutdown were stopped");
        }
        serving.abort_all();
        let _ = scheduler_task.await;
    }

    /// Handles one inbound message from `channel` through the whole pipeline and sends the
    /// answer back on it. Errors are logged and answered with a short apology; nothing is
    /// returned to the caller, so a bad message cannot stop the channel.
    pub async fn handle(&self, channel: &Arc<dyn Channel>, inbound: Inbound) {
        let correlation = uuid::Uuid::now_v7();
        let span = tracing::info_span!("turn", %correlation, channel = channel.name(), member = tracing::field::Empty);
        self.handle_journaled(channel, inbound)
            .instrument(span)
            .await;
    }

    /// A journaled message is begun before its turn and finished after its reply: a redelivery
    /// is dropped, a turn that a stopped process left half done is reported to the member
    /// instead of run twice, and a message that cannot be begun (the store is unreachable)
    /// stays in the inbox to be answered later.
    async fn handle_journaled(&self, channel: &Arc<dyn Channel>, inbound: Inbound) {
        let Some(receipt) = inbound.receipt.clone() else {
            return self.handle_in_span(channel, inbound).await;
        };
        match receipt.begin().await {
            Ok(InboxBegin::Fresh | InboxBegin::Missing) => {
                self.handle_in_span(channel, inbound).await;
            }
            Ok(InboxBegin::Done) => {
                tracing::info!(key = receipt.key(), "dropped a redelivered message");
                return;
            }
            Ok(InboxBegin::Interrupted { attempts }) => {
                Metrics::bump(&self.inner.metrics.interrupted_turns, 1);
                tracing::warn!(
                    key = receipt.key(),
                    attempts,
                    "a turn was interrupted by a stop"
                );
                let text = interrupted_notice(&inbound.content);
                send(channel, &inbound.chat_id, Outbound::Text(text)).await;
            }
            Err(error) => {
                Metrics::bump(&self.inner.metrics.failed_turns, 1);
                tracing::error!(%error, key = receipt.key(), "could not begin a journaled message");
                let text = "I cannot reach my storage right now. Your message is kept, and I will answer it once the storage is back.";
                send(channel, &inbound.chat_id, Outbound::Text(text.to_owned())).await;
                return;
            }
        }
        if let Err(error) = receipt.finish().await {
            tracing::warn!(%error, key = receipt.key(), "could not mark a message answered");
        }
    }

    async fn handle_in_span(&self, channel: &Arc<dyn Channel>, inbound: Inbound) {
        let started = Instant::now();
        let inner = &self.inner;
        Metrics::bump(&inner.metrics.inbound, 1);
        let identity = ChannelIdentity::new(channel.name(), &inbound.sender);
        let member = match inner.store.member_by_identity(&identity).await {
            Ok(Some(member)) => member,
            Ok(None) => {
                self.admit(channel, &inbound, &identity).await;
                return;
            }
            Err(error) => {
                Metrics::bump(&inner.metrics.failed_turns, 1);
                tracing::error!(%error, "member lookup failed");
                return;
            }
        };
        tracing::Span::current().record("member", tracing::field::display(member.id));
        if let InboundContent::Reachability { reachable } = inbound.content {
            self.reachability(channel, &identity, reachable).await;
            return;
        }
        if !inner.limiter.allow(member.id) {
            Metrics::bump(&inner.metrics.rate_limited, 1);
            tracing::info!("rate limited");
            let text = "You are sending messages faster than I can answer; please wait a moment.";
            send(channel, &inbound.chat_id, Outbound::Text(text.to_owned())).await;
            return;
        }
        let result = self.answer(channel, &member, &inbound).await;
        let took = started.elapsed();
        match result {
            Ok(reply) => {
                Metrics::bump(&inner.metrics.turns, 1);
                Metrics::bump(&inner.metrics.tool_calls, u64::from(reply.tool_calls));
                Metrics::bump(&inner.metrics.pending_actions, reply.pending.len() as u64);
                if reply.offline {
                    Metrics::bump(&inner.metrics.offline_turns, 1);
                }
                inner.metrics.record_latency(took);
                tracing::info!(
                    took_ms = took.as_millis() as u64,
                    tool_calls = reply.tool_calls,
                    pending = reply.pending.len(),
                    offline = reply.offline,
                    "turn answered"
                );
            }
            Err(error) => {
                Metrics::bump(&inner.metrics.failed_turns, 1);
                tracing::error!(%error, kind = ?error.kind(), "turn failed");
                let text =
                    "Sorry, something went wrong on my side; it has been logged. Please try again.";
                send(channel, &inbound.chat_id, Outbound::Text(text.to_owned())).await;
            }
        }
    }

    /// Edit on a pending action: it is withdrawn (as a cancel), and the member is asked what to
    /// change; the question joins the conversation, so the next message is read with the
    /// proposal in view and the model proposes again. An action no longer pending gets the
    /// usual answer ("already confirmed", "expired").
    async fn edit(&self, member: &Member, action: crate::PendingActionId) -> Result<Reply> {
        let inner = &self.inner;
        let scope = member.scope();
        let before = inner.store.pending_action(scope, action).await?;
        let reply = inner.assistant.resolve(member, action, false).await?;
        let after = inner.store.pending_action(scope, action).await?;
        let (Some(before), Some(after)) = (before, after) else {
            return Ok(reply);
        };
        if before.state != crate::PendingActionState::Pending
            || after.state != crate::PendingActionState::Cancelled
        {
            return Ok(reply);
        }
        let text = format!(
            "What should change? ({}) Tell me in your words, e.g. \"at 5pm instead\" or \"make it 90 minutes\".",
            after.summary
        );
        if let Some(conversation) = after.conversation_id {
            let note = crate::NewMessage::new(crate::MessageRole::Assistant, &text)
                .with_metadata(serde_json::json!({ "pending_action": after.id, "edit": true }));
            inner
                .store
                .append_message(scope, conversation, note)
                .await?;
        }
        Ok(Reply::text(text))
    }

    async fn answer(
        &self,
        channel: &Arc<dyn Channel>,
        member: &Member,
        inbound: &Inbound,
    ) -> Result<Reply> {
        let inner = &self.inner;
        let chat_id = inbound.chat_id.as_str();
        let (text, heard) = match &inbound.content {
            InboundContent::Answer { action, confirm } => {
                let reply = inner.assistant.resolve(member, *action, *confirm).await?;
                return Ok(deliver(channel, chat_id, reply).await);
            }
            InboundContent::Edit { action } => {
                let reply = self.edit(member, *action).await?;
                return Ok(deliver(channel, chat_id, reply).await);
            }
            InboundContent::Reminder {
                notification,
                action,
            } => {
                let reply = self.reminder_tap(member, *notification, *action).await?;
                return Ok(deliver(channel, chat_id, reply).await);
            }
            InboundContent::Reachability { .. } => return Ok(Reply::default()),
            InboundContent::Text(text) => {
                if let Some(answer) =
                    account::answer(&inner.store, inner.clock.as_ref(), member, text).await
                {
                    send(channel, chat_id, answer?).await;
                    return Ok(Reply::default());
                }
                if let Some((command, arguments)) = command::find(&inner.commands, text) {
                    let answer = if command.allowed_for(member.role) {
                        let scheduler: Arc<dyn Scheduler> = inner.scheduler.clone();
                        let ctx = crate::assistant::ToolContext::new(
                            member.clone(),
                            inner.store.clone(),
                            scheduler,
                            inner.clock.clone(),
                        );
                        match command.run(&ctx, arguments).await {
                            Ok(answer) => answer,
                            Err(crate::assistant::ToolError::Internal) => format!(
                                "/{}: something went wrong on my side; it has been logged.",
                                command.name()
                            ),
                            Err(error) => format!("/{}: {error}", command.name()),
                        }
                    } else {
                        format!("/{} is not available to you.", command.name())
                    };
                    send(channel, chat_id, Outbound::Text(answer)).await;
                    return Ok(Reply::default());
                }
                (text.clone(), None)
            }
            InboundContent::Voice(audio) => {
                let Some(transcriber) = &inner.transcriber else {
                    let reply =
                        Reply::text("I cannot listen to voice messages here; please type instead.");
                    return Ok(deliver(channel, chat_id, reply).await);
                };
                channel.typing(chat_id).await;
                match transcriber
                    .transcribe(audio.clone(), Some(member.locale.as_str()))
                    .await
                {
                    Ok(transcript) if !transcript.text.trim().is_empty() => {
                        (transcript.text.clone(), Some(transcript.text))
                    }
                    Ok(_) => {
                        let reply = Reply::text(
                            "I could not hear any words in that voice message; please try again or type.",
                        );
                        return Ok(deliver(channel, chat_id, reply).await);
                    }
                    Err(error) => {
                        tracing::warn!(kind = ?error.kind(), "transcription failed");
                        let reply = Reply::text(format!(
                            "I could not understand the voice message ({error}); please type instead."
                        ));
                        return Ok(deliver(channel, chat_id, reply).await);
                    }
                }
            }
        };
        let conversation = inner
            .store
            .conversation(member.scope(), channel.name(), chat_id)
            .await?;
        let input = TurnInput::new(member.clone(), conversation.id, text);
        channel.typing(chat_id).await;
        match heard {
            // The reply to a voice message shows what was heard, above the answer.
            Some(heard) => {
                let mut reply = inner.assistant.respond(input, None).await?;
                reply.text = format!("🎙 \u{201c}{}\u{201d}\n\n{}", heard.trim(), reply.text);
                Ok(deliver(channel, chat_id, reply).await)
            }
            None if channel.can_edit() => self.streamed(channel, chat_id, input).await,
            None => {
                let reply = inner.assistant.respond(input, None).await?;
                Ok(deliver(channel, chat_id, reply).await)
            }
        }
    }

    /// A stranger's message: `/start CODE` with the setup code or an invite code makes them a
    /// member; anything else is refused once and otherwise ignored. Nothing is stored for them.
    async fn admit(
        &self,
        channel: &Arc<dyn Channel>,
        inbound: &Inbound,
        identity: &ChannelIdentity,
    ) {
        let inner = &self.inner;
        if matches!(inbound.content, InboundContent::Reachability { .. }) {
            return;
        }
        let code = match &inbound.content {
            InboundContent::Text(text) => access::start_code(text),
            _ => None,
        };
        if let Some(code) = code {
            match self.join(inbound, identity, code).await {
                Ok(Some(member)) => {
                    Metrics::bump(&inner.metrics.joined, 1);
                    tracing::info!(member = %member.id, role = %member.role, "a new member joined");
                    let text = format!(
                        "Welcome, {}! You are now {} {} of this household. Your time zone is {} \
                         (change it with /tz). Send /help to see what I can do, or just talk to me.",
                        member.display_name,
                        if member.role == Role::Adult || member.role == Role::Owner {
                            "an"
                        } else {
                            "a"
                        },
                        member.role,
                        member.timezone,
                    );
                    send(channel, &inbound.chat_id, Outbound::Text(text)).await;
                    return;
                }
                Ok(None) => tracing::info!("a stranger sent a code that is not valid"),
                Err(error) => tracing::warn!(%error, "joining with a code failed"),
            }
        }
        Metrics::bump(&inner.metrics.unknown_senders, 1);
        if inner.gate.first_refusal(channel.name(), &inbound.sender) {
            tracing::info!("message from a sender who is not a member: refused");
            send(
                channel,
                &inbound.chat_id,
                Outbound::Text(access::REFUSAL.to_owned()),
            )
            .await;
        }
    }

    async fn join(
        &self,
        inbound: &Inbound,
        identity: &ChannelIdentity,
        code: &str,
    ) -> Result<Option<Member>> {
        let store = &self.inner.store;
        if let Some(owner) = self.inner.gate.take_setup(code) {
            store.link_identity(owner, identity).await?;
            return store.member(owner).await;
        }
        let name = inbound
            .sender_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("{} {}", identity.channel, identity.external_id));
        let joined = store
            .accept_invite(
                code,
                NewMember::new(name, Role::Guest),
                identity,
                self.inner.clock.now(),
            )
            .await?;
        let Some(mut member) = joined else {
            return Ok(None);
        };
        // A new member starts in the time zone of the household's owner.
        let members = store.members(member.household_id).await?;
        if let Some(owner) = members
            .iter()
            .find(|m| m.role == Role::Owner && m.timezone != member.timezone)
        {
            member.timezone = owner.timezone;
            store.update_member(&member).await?;
        }
        Ok(Some(member))
    }

    /// "Done" or "snooze" tapped on a reminder.
    async fn reminder_tap(
        &self,
        member: &Member,
        notification: crate::NotificationId,
        action: ReminderAction,
    ) -> Result<Reply> {
        let scheduler = &self.inner.scheduler;
        let scope = member.scope();
        let job = self
            .inner
            .store
            .notification(member.household_id, notification)
            .await?
            .filter(|n| n.member_id == member.id)
            .as_ref()
            .and_then(notification_job);
        let Some(job) = job else {
            return Ok(Reply::text("That reminder is no longer here."));
        };
        let occurrence = scheduler
            .history(scope, job, 200)
            .await?
            .into_iter()
            .find(|o| o.notification_id == Some(notification));
        let Some(occurrence) = occurrence else {
            return Ok(Reply::text("That reminder is no longer here."));
        };
        let title = scheduler
            .job(scope, job)
            .await?
            .and_then(|j| {
                j.payload
                    .get("text")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "the reminder".to_owned());
        Ok(match action {
            ReminderAction::Done => {
                scheduler.done(scope, occurrence.id).await?;
                Reply::text(format!("✓ Done: {title}"))
            }
            ReminderAction::Snooze(after) => {
                let until = self.inner.clock.now()
                    + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::minutes(10));
                scheduler.snooze(scope, occurrence.id, until).await?;
                let local = until.with_timezone(&member.timezone).format("%H:%M");
                Reply::text(format!(
                    "Snoozed: I will remind you again at {local} — {title}"
                ))
            }
        })
    }

    /// The member blocked or unblocked the assistant on `channel`: recorded on their identity;
    /// when they blocked it, the household's owners are told (reminders cannot reach them).
    async fn reachability(
        &self,
        channel: &Arc<dyn Channel>,
        identity: &ChannelIdentity,
        reachable: bool,
    ) {
        let store = &self.inner.store;
        let member = match store
            .set_identity_reachable(identity, reachable, self.inner.clock.now())
            .await
        {
            Ok(Some(member)) => member,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "could not record reachability");
                return;
            }
        };
        tracing::info!(member = %member.id, reachable, "member reachability changed");
        if reachable {
            return;
        }
        let Ok(members) = store.members(member.household_id).await else {
            return;
        };
        for owner in members
            .iter()
            .filter(|m| m.role == Role::Owner && m.id != member.id)
        {
            let Ok(identities) = store.identities(owner.scope()).await else {
                continue;
            };
            if let Some(owner_identity) = identities.iter().find(|i| i.channel == channel.name()) {
                let text = format!(
                    "{} blocked me on {}: their reminders and messages cannot reach them until they \
                     unblock me.",
                    member.display_name,
                    channel.name()
                );
                send(channel, &owner_identity.external_id, Outbound::Text(text)).await;
            }
        }
    }

    /// Streams the reply into one message, edited as text arrives, then sets the final text.
    async fn streamed(
        &self,
        channel: &Arc<dyn Channel>,
        chat_id: &str,
        input: TurnInput,
    ) -> Result<Reply> {
        let (tx, mut rx) = mpsc::channel::<String>(64);
        let assistant = self.inner.assistant.clone();
        let turn = tokio::spawn(async move { assistant.respond(input, Some(tx)).await });
        let mut text = String::new();
        let mut sent = None;
        let mut shown = 0;
        let mut last_edit = Instant::now();
        while let Some(delta) = rx.recv().await {
            text.push_str(&delta);
            match &sent {
                None => {
                    sent = channel
                        .send(chat_id, Outbound::Text(text.clone()))
                        .await
                        .ok();
                    shown = text.len();
                    last_edit = Instant::now();
                }
                Some(message) if last_edit.elapsed() >= EDIT_INTERVAL => {
                    let _ = channel.edit(chat_id, message, &text).await;
                    shown = text.len();
                    last_edit = Instant::now();
                }
                Some(_) => {}
            }
        }
        let reply = turn.await.map_err(|e| crate::Error::Io {
            context: "the turn task stopped".to_owned(),
            source: std::io::Error::other(e.to_string()),
        })??;
        match (&sent, reply.pending.is_empty()) {
            (Some(message), true) if reply.text != text || shown < text.len() => {
                let _ = channel.edit(chat_id, message, &reply.text).await;
            }
            (Some(_), true) => {}
            _ => send(channel, chat_id, outbound(&reply)).await,
        }
        Ok(reply)
    }
}

/// What a member is told about a message whose turn a stop interrupted: it may have been done
/// in part, so they are asked to check rather than answered twice.
fn interrupted_notice(content: &InboundContent) -> String {
    const QUOTE: usize = 60;
    let what = match content {
        InboundContent::Text(text) => {
            let mut quote: String = text.chars().take(QUOTE).collect();
            if text.chars().count() > QUOTE {
                quote.push('…');
            }
            format!("your message “{quote}”")
        }
        InboundContent::Voice(_) => "your voice message".to_owned(),
        _ => "your button tap".to_owned(),
    };
    format!(
        "I was restarted while handling {what} and may not have finished it. Please check (e.g. /reminders) before sending it again."
    )
}

fn outbound(reply: &Reply) -> Outbound {
    if reply.pending.is_empty() {
        Outbound::Text(reply.text.clone())
    } else {
        Outbound::Pending {
            text: reply.text.clone(),
            actions: reply.pending.clone(),
        }
    }
}

/// Sends a reply (with its pending actions, if any) and hands it back for the metrics.
async fn deliver(channel: &Arc<dyn Channel>, chat_id: &str, reply: Reply) -> Reply {
    send(channel, chat_id, outbound(&reply)).await;
    reply
}

async fn send(channel: &Arc<dyn Channel>, chat_id: &str, message: Outbound) {
    if let Err(error) = channel.send(chat_id, message).await {
        tracing::warn!(%error, "could not send the reply");
    }
}
