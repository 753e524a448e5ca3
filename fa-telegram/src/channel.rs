//! [`TelegramChannel`]: fa's [`Channel`] on Telegram.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fa_core::engine::{
    Channel, Inbound, InboundContent, InboundJournal, InboundReceipt, Outbound, ReminderAction,
    notification_job,
};
use fa_core::scheduler::{DeliveryError, Sent};
use fa_core::transcription::Audio;
use fa_core::{NotificationId, PendingActionId};
use serde_json::{Value, json};
use teloxide::types::{
    CallbackQuery, ChatMemberUpdated, Message, MessageEntityKind, MessageOrigin, Update, UpdateKind,
};
use tokio::sync::mpsc;

use crate::api::{ApiErrorKind, BotApi};
use crate::format::{MESSAGE_LIMIT, render_markdown_v2};
use crate::sender::TelegramSender;

/// The update types fa asks Telegram for (`allowed_updates`).
pub const ALLOWED_UPDATES: [&str; 4] = [
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
];

/// The channel's name: the `channel` of Telegram identities and of its inbox.
pub const CHANNEL_NAME: &str = "telegram";

/// How many received updates wait for the engine before polling (or the webhook) waits too.
const QUEUE: usize = 1024;

/// The largest voice message downloaded, in bytes (the Bot API serves files up to 20 MB).
const MAX_VOICE_BYTES: u32 = 20 * 1024 * 1024;

/// How long a journaled update may sit untouched before [`TelegramChannel::keep_inbox`] takes
/// it for one that a stopped process left behind. Longer than any turn, so that on a shared
/// database another instance's turn under way is left alone.
pub const INBOX_STALE: Duration = Duration::from_secs(120);

/// How long answered updates keep their key (Telegram redelivers unconfirmed updates for 24 h).
const INBOX_KEEP: Duration = Duration::from_secs(2 * 24 * 3600);

/// How often [`TelegramChannel::keep_inbox`] looks for abandoned updates.
const INBOX_PERIOD: Duration = Duration::from_secs(30);

/// Snooze choices offered on reminders, in minutes.
const SNOOZES: [u32; 2] = [10, 60];

/// Counters of received updates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateStats {
    /// Updates received (polling or webhook).
    pub received: u64,
    /// Updates that could not be read and were skipped.
    pub malformed: u64,
    /// Updates of kinds fa does not act on (stickers, channel posts, …).
    pub ignored: u64,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    malformed: AtomicU64,
    ignored: AtomicU64,
}

/// Telegram as a [`Channel`]: updates come in by long polling ([`poll`](Self::poll)) or a
/// webhook ([`crate::webhook_router`]); replies, edits, keyboards and files go out through a
/// [`TelegramSender`].
pub struct TelegramChannel {
    sender: Arc<TelegramSender>,
    tx: mpsc::Sender<Inbound>,
    rx: tokio::sync::Mutex<mpsc::Receiver<Inbound>>,
    /// For a message split over several, the ids of the continuation messages.
    continued: Mutex<HashMap<(i64, i64), Vec<i64>>>,
    counters: Counters,
    journal: Option<InboundJournal>,
}

impl std::fmt::Debug for TelegramChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramChannel")
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

/// The Telegram message id a send returned.
fn message_number(sent: &Sent) -> Option<i64> {
    sent.message_id.as_deref().and_then(|id| id.parse().ok())
}

/// A `sendMessage` body for MarkdownV2 text.
fn markdown(text: &str) -> Value {
    json!({ "text": text, "parse_mode": "MarkdownV2" })
}

fn chat_number(chat_id: &str) -> Result<i64, DeliveryError> {
    chat_id
        .parse()
        .map_err(|_| DeliveryError::permanent(format!("{chat_id:?} is not a Telegram chat id")))
}

impl TelegramChannel {
    /// A channel sending through `sender`. A member who blocks the bot (a 403) is reported to
    /// the engine as unreachable.
    ///
    /// Updates are not journaled: one received and not yet answered when the process stops is
    /// lost. Bots use [`journaled`](Self::journaled).
    pub fn new(sender: Arc<TelegramSender>) -> Arc<Self> {
        Self::build(sender, None)
    }

    /// A channel that journals every update in `journal` (the household's inbox for channel
    /// `telegram`) before acknowledging it to Telegram — the next `getUpdates` offset, or the
    /// webhook's `200` — so a stop at any moment loses no message, a redelivered update is
    /// answered once, and [`replay`](Self::replay) answers what a stopped process left.
    pub fn journaled(sender: Arc<TelegramSender>, journal: InboundJournal) -> Arc<Self> {
        Self::build(sender, Some(journal))
    }

    fn build(sender: Arc<TelegramSender>, journal: Option<InboundJournal>) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let channel = Arc::new(Self {
            sender,
            tx: tx.clone(),
            rx: tokio::sync::Mutex::new(rx),
            continued: Mutex::default(),
            counters: Counters::default(),
            journal,
        });
        channel.sender.report_blocked_to(Box::new(move |chat: i64| {
            let blocked = Inbound::new(
                chat.to_string(),
                chat.to_string(),
                InboundContent::Reachability { reachable: false },
            );
            let _ = tx.try_send(blocked);
        }));
        channel
    }

    /// The sender, for other adapters that notify members on Telegram.
    pub fn sender(&self) -> &Arc<TelegramSender> {
        &self.sender
    }

    fn api(&self) -> &BotApi {
        self.sender.api()
    }

    /// The counters of received updates.
    pub fn update_stats(&self) -> UpdateStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        UpdateStats {
            received: load(&self.counters.received),
            malformed: load(&self.counters.malformed),
            ignored: load(&self.counters.ignored),
        }
    }

    /// Long-polls `getUpdates` until `shutdown` completes, feeding what arrives to the engine.
    /// A webhook left over from webhook mode is removed first (Telegram refuses `getUpdates`
    /// while one is set). Failures are logged and retried with backoff; a rejected token is
    /// retried every minute, loudly.
    pub async fn poll(&self, timeout: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let removed = self
            .api()
            .call::<Value>("deleteWebhook", &json!({ "drop_pending_updates": false }))
            .await;
        if let Err(error) = removed {
            tracing::warn!(%error, "could not remove a webhook before polling");
        }
        let mut offset = 0_i64;
        let mut failures = 0_u32;
        loop {
            let batch = tokio::select! {
                () = &mut shutdown => return,
                batch = self.api().get_updates(offset, timeout, &ALLOWED_UPDATES) => batch,
            };
            let wait = match batch {
                Ok(updates) => {
                    failures = 0;
                    // The offset moves past an update only once it is journaled: the next call
                    // confirms it to Telegram, which then forgets it.
                    let mut unjournaled = None;
                    for update in updates {
                        let Some(update_id) = self.update_id(update.get()) else {
                            continue;
                        };
                        if let Err(error) = self.receive(update_id, update.get()).await {
                            unjournaled = Some(error);
                            break;
                        }
                        offset = offset.max(update_id + 1);
                    }
                    let Some(error) = unjournaled else { continue };
                    tracing::error!(%error, "could not journal an update; Telegram keeps it until it can be");
                    Duration::from_secs(1)
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    if matches!(error.kind, ApiErrorKind::Unauthorized(_)) {
                        tracing::error!(%error, "Telegram rejects the bot token; fix FA_TELEGRAM_TOKEN");
                        Duration::from_secs(60)
                    } else {
                        tracing::warn!(%error, failures, "getUpdates failed; trying again");
                        Duration::from_millis(500)
                            .saturating_mul(1 << failures.min(6))
                            .min(Duration::from_secs(30))
                    }
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The `update_id` of an update's JSON; an update without one is counted as malformed.
    fn update_id(&self, raw: &str) -> Option<i64> {
        #[derive(serde::Deserialize)]
        struct Id {
            update_id: i64,
        }
        match serde_json::from_str::<Id>(raw) {
            Ok(Id { update_id }) => Some(update_id),
            Err(_) => {
                self.counters.received.fetch_add(1, Ordering::Relaxed);
                self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("skipped an update without an update_id");
                None
            }
        }
    }

    /// Journals an update (on a journaled channel) and passes it on; a redelivered one is
    /// dropped. `Err`: it could not be journaled — do not acknowledge it to Telegram.
    async fn receive(&self, update_id: i64, raw: &str) -> fa_core::Result<()> {
        let receipt = match &self.journal {
            None => None,
            Some(journal) => match journal.journal(&format!("update:{update_id}"), raw).await? {
                Some(receipt) => Some(receipt),
                None => {
                    tracing::debug!(update_id, "dropped a redelivered update");
                    return Ok(());
                }
            },
        };
        self.ingest_delivery(raw, receipt).await;
        Ok(())
    }

    /// Takes one update's JSON from the webhook: journals it (on a journaled channel) and
    /// passes it to the engine. `Err` means it could not be journaled: answer the webhook
    /// with an error, so that Telegram delivers it again.
    pub async fn receive_json(&self, raw: &str) -> fa_core::Result<()> {
        match self.update_id(raw) {
            Some(update_id) => self.receive(update_id, raw).await,
            None => Ok(()),
        }
    }

    /// Passes on the journaled updates that are unanswered and untouched since
    /// `untouched_since` — left by a process that stopped — oldest first; returns how many.
    /// One whose turn had begun is reported to its sender as interrupted, not answered twice.
    /// Nothing happens on a channel without a journal.
    pub async fn replay(
        &self,
        untouched_since: chrono::DateTime<chrono::Utc>,
    ) -> fa_core::Result<usize> {
        let Some(journal) = &self.journal else {
            return Ok(0);
        };
        let left = journal.unfinished(untouched_since).await?;
        let count = left.len();
        for (receipt, raw) in left {
            self.ingest_delivery(&raw, Some(receipt)).await;
        }
        if count > 0 {
            tracing::info!(count, "replayed updates left unanswered");
        }
        Ok(count)
    }

    /// Until `shutdown`: every 30 s, replays journaled updates untouched for [`INBOX_STALE`]
    /// (left by an instance that stopped, or kept while the store was unreachable) and forgets
    /// answered ones older than two days.
    pub async fn keep_inbox(&self, shutdown: impl std::future::Future<Output = ()>) {
        let Some(journal) = &self.journal else {
            return;
        };
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(INBOX_PERIOD) => {}
            }
            let now = self.sender.clock().now();
            let stale = chrono::Duration::from_std(INBOX_STALE).unwrap_or_default();
            if let Err(error) = self.replay(now - stale).await {
                tracing::warn!(%error, "could not read the inbox for updates left unanswered");
            }
            let keep = chrono::Duration::from_std(INBOX_KEEP).unwrap_or_default();
            if let Err(error) = journal.prune(now - keep).await {
                tracing::warn!(%error, "could not prune the inbox");
            }
        }
    }

    /// Takes one update (as JSON, from polling or the webhook) and passes what it says to the
    /// engine. An update that cannot be read is logged and skipped.
    pub async fn ingest(&self, raw: Value) {
        self.ingest_json(&raw.to_string()).await;
    }

    /// [`ingest`](Self::ingest) from the update's JSON text (as polling and the webhook get
    /// it; teloxide's types read text, not `serde_json::Value`).
    pub async fn ingest_json(&self, raw: &str) {
        self.ingest_delivery(raw, None).await;
    }

    /// Reads an update and queues what it says for the engine, with its journal receipt. One
    /// that cannot be read, or that fa does not act on, is finished at once.
    async fn ingest_delivery(&self, raw: &str, receipt: Option<InboundReceipt>) {
        let finish = |receipt: Option<InboundReceipt>| async move {
            if let Some(receipt) = receipt
                && let Err(error) = receipt.finish().await
            {
                tracing::warn!(%error, "could not mark an update handled");
            }
        };
        self.counters.received.fetch_add(1, Ordering::Relaxed);
        let update: Update = match serde_json::from_str(raw) {
            Ok(update) => update,
            Err(error) => {
                self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%error, "skipped an update that could not be read");
                finish(receipt).await;
                return;
            }
        };
        let update_id = Some(update.id.0);
        let inbound = match update.kind {
            UpdateKind::Message(message) => self.message(&message, false).await,
            UpdateKind::EditedMessage(message) => self.message(&message, true).await,
            UpdateKind::CallbackQuery(query) => self.callback(&query).await,
            UpdateKind::MyChatMember(change) => chat_member(&change),
            UpdateKind::Error(_) => {
                self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(?update_id, "skipped an update that could not be read");
                finish(receipt).await;
                return;
            }
            _ => None,
        };
        match inbound {
            Some(mut inbound) => {
                inbound.receipt = receipt;
                // The engine is behind: wait (polling and the webhook slow down with it).
                let _ = self.tx.send(inbound).await;
            }
            None => {
                self.counters.ignored.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(?update_id, "ignored an update fa does not act on");
                finish(receipt).await;
            }
        }
    }

    async fn message(&self, message: &Message, edited: bool) -> Option<Inbound> {
        let from = message.from.as_ref()?;
        if from.is_bot {
            return None;
        }
        let chat = message.chat.id.0.to_string();
        let sender = from.id.0.to_string();
        let name = from.full_name();
        if let Some(voice) = message.voice() {
            let audio = self
                .voice(
                    &voice.file.id.0,
                    voice.file.size,
                    voice.mime_type.as_ref().map(|m| m.essence_str()),
                )
                .await;
            let content = match audio {
                Ok(audio) => InboundContent::Voice(audio),
                Err(why) => {
                    tracing::warn!(%why, "could not fetch a voice message");
                    InboundContent::Text(format!("[A voice message I could not download: {why}]"))
                }
            };
            return Some(Inbound::new(chat, sender, content).with_sender_name(name));
        }
        let text = message.text().or_else(|| message.caption())?;
        let mut text = normalize_command(text, message);
        if let Some(origin) = message.forward_origin() {
            text = format!(
                "[Forwarded message from {}] {text}\n(I forwarded this to you: act on it if I ask, e.g. remind me about it.)",
                origin_name(origin)
            );
        }
        if edited {
            text = format!("[I edited my earlier message; it now reads] {text}");
        }
        Some(Inbound::text(chat, sender, text).with_sender_name(name))
    }

    async fn voice(&self, file_id: &str, size: u32, mime: Option<&str>) -> Result<Audio, String> {
        if size > MAX_VOICE_BYTES {
            return Err(format!(
                "it is {size} bytes, more than the 20 MB Telegram lets bots download"
            ));
        }
        let file: teloxide::types::File = self
            .api()
            .call("getFile", &json!({ "file_id": file_id }))
            .await
            .map_err(|e| e.to_string())?;
        let bytes = self
            .api()
            .download(&file.path)
            .await
            .map_err(|e| e.to_string())?;
        let name = file
            .path
            .rsplit('/')
            .next()
            .filter(|n| n.contains('.'))
            .unwrap_or("voice.ogg")
            .to_owned();
        Ok(Audio::new(bytes, name, mime.unwrap_or("audio/ogg")))
    }

    async fn callback(&self, query: &CallbackQuery) -> Option<Inbound> {
        // Stop the button's spinner whatever the data says.
        let answered = self
            .api()
            .call::<Value>(
                "answerCallbackQuery",
                &json!({ "callback_query_id": query.id.0 }),
            )
            .await;
        if let Err(error) = answered {
            tracing::debug!(%error, "could not answer a callback query");
        }
        let content = parse_callback(query.data.as_deref()?)?;
        let chat = query
            .message
            .as_ref()
            .map(|m| m.chat().id.0)
            .unwrap_or(query.from.id.0 as i64);
        Some(
            Inbound::new(chat.to_string(), query.from.id.0.to_string(), content)
                .with_sender_name(query.from.full_name()),
        )
    }

    async fn send_text(
        &self,
        chat: i64,
        text: &str,
        keyboard: Option<Value>,
        key: Option<&str>,
    ) -> Result<Sent, DeliveryError> {
        let chunks = render_markdown_v2(text, MESSAGE_LIMIT);
        let last = chunks.len().saturating_sub(1);
        let mut first: Option<Sent> = None;
        let mut more = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut body = markdown(chunk);
            if let (true, Some(keyboard)) = (i == last, &keyboard) {
                body["reply_markup"] = keyboard.clone();
            }
            // Only the first part carries the key: a redelivery skips the whole message.
            let key = if i == 0 { key } else { None };
            let sent = self.sender.send_message(chat, body, key).await?;
            match &first {
                None => first = Some(sent),
                Some(_) => more.extend(message_number(&sent)),
            }
        }
        let first = first.unwrap_or_default();
        let id = message_number(&first);
        if let (false, Some(id), Ok(mut continued)) = (more.is_empty(), id, self.continued.lock()) {
            continued.insert((chat, id), more);
        }
        Ok(first)
    }

    async fn edit_one(&self, chat: i64, message_id: i64, text: &str) -> Result<(), DeliveryError> {
        let body = json!({
            "chat_id": chat,
            "message_id": message_id,
            "text": text,
            "parse_mode": "MarkdownV2",
        });
        match self.sender.call(chat, "editMessageText", &body).await {
            Ok(_) => Ok(()),
            // Editing to the same text is refused with 400 "message is not modified": fine.
            Err(error) if error.to_string().contains("message is not modified") => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// `/remind@family_bot …` → `/remind …`, using the message's `bot_command` entity.
fn normalize_command(text: &str, message: &Message) -> String {
    let command = message.entities().and_then(|entities| {
        entities
            .iter()
            .find(|e| e.kind == MessageEntityKind::BotCommand && e.offset == 0)
    });
    match command {
        Some(entity) => {
            // Commands are ASCII, so UTF-16 units and bytes agree.
            let end = entity.length.min(text.len());
            let Some(command) = text.get(..end) else {
                return text.to_owned();
            };
            let bare = command.split('@').next().unwrap_or(command);
            format!("{bare}{}", &text[end..])
        }
        None => text.to_owned(),
    }
}

fn origin_name(origin: &MessageOrigin) -> String {
    match origin {
        MessageOrigin::User { sender_user, .. } => sender_user.full_name(),
        MessageOrigin::HiddenUser {
            sender_user_name, ..
        } => sender_user_name.clone(),
        MessageOrigin::Chat { sender_chat, .. } => sender_chat
            .title()
            .or_else(|| sender_chat.first_name())
            .unwrap_or("a chat")
            .to_owned(),
        MessageOrigin::Channel { chat, .. } => {
            format!("the channel {}", chat.title().unwrap_or("(unnamed)"))
        }
    }
}

/// A private chat's member status changed: `kicked` means the user blocked the bot
/// (<https://core.telegram.org/bots/api#chatmemberupdated>).
fn chat_member(change: &ChatMemberUpdated) -> Option<Inbound> {
    if !change.chat.is_private() {
        return None;
    }
    let member = &change.new_chat_member;
    let reachable = if member.kind.is_banned() || member.kind.is_left() {
        false
    } else if member.kind.is_present() {
        true
    } else {
        return None;
    };
    Some(Inbound::new(
        change.chat.id.0.to_string(),
        change.from.id.0.to_string(),
        InboundContent::Reachability { reachable },
    ))
}

/// Callback data: `c:<action>` confirm, `x:<action>` cancel, `e:<action>` edit,
/// `d:<notification>` done,
/// `s<minutes>:<notification>` snooze. Anything else is ignored.
fn parse_callback(data: &str) -> Option<InboundContent> {
    let (kind, id) = data.split_once(':')?;
    let id: uuid::Uuid = id.parse().ok()?;
    Some(match kind {
        "c" | "x" => InboundContent::Answer {
            action: PendingActionId::from(id),
            confirm: kind == "c",
        },
        "e" => InboundContent::Edit {
            action: PendingActionId::from(id),
        },
        "d" => InboundContent::Reminder {
            notification: NotificationId::from(id),
            action: ReminderAction::Done,
        },
        _ => {
            let minutes: u64 = kind
                .strip_prefix('s')?
                .parse()
                .ok()
                .filter(|m| (1..=1440).contains(m))?;
            InboundContent::Reminder {
                notification: NotificationId::from(id),
                action: ReminderAction::Snooze(Duration::from_secs(minutes * 60)),
            }
        }
    })
}

fn button(text: impl Into<String>, data: String) -> Value {
    json!({ "text": text.into(), "callback_data": data })
}

#[async_trait]
impl Channel for TelegramChannel {
    fn name(&self) -> &str {
        CHANNEL_NAME
    }

    async fn next(&self) -> Option<Inbound> {
        self.rx.lock().await.recv().await
    }

    async fn send(&self, chat_id: &str, message: Outbound) -> Result<Sent, DeliveryError> {
        let chat = chat_number(chat_id)?;
        match message {
            Outbound::Text(text) => self.send_text(chat, &text, None, None).await,
            Outbound::Pending { text, actions } => {
                let mut text = text;
                let mut rows = Vec::new();
                for (i, action) in actions.iter().enumerate() {
                    let n = i + 1;
                    text.push_str(&format!("\n{n}. {}", action.summary));
                    let label = |what: &str| {
                        if actions.len() > 1 {
                            format!("{what} {n}")
                        } else {
                            what.to_owned()
                        }
                    };
                    rows.push(json!([
                        button(
                            format!("✅ {}", label("Confirm")),
                            format!("c:{}", action.id)
                        ),
                        button(format!("✏️ {}", label("Edit")), format!("e:{}", action.id)),
                        button(
                            format!("✖️ {}", label("Cancel")),
                            format!("x:{}", action.id)
                        ),
                    ]));
                }
                let keyboard = json!({ "inline_keyboard": rows });
                self.send_text(chat, &text, Some(keyboard), None).await
            }
            Outbound::Notification(notification) => {
                let keyboard = notification_job(&notification).map(|_| {
                    let mut row = vec![button("✓ Done", format!("d:{}", notification.id))];
                    for minutes in SNOOZES {
                        let label = if minutes < 60 {
                            format!("💤 {minutes} min")
                        } else {
                            format!("💤 {} h", minutes / 60)
                        };
                        row.push(button(label, format!("s{minutes}:{}", notification.id)));
                    }
                    json!({ "inline_keyboard": [row] })
                });
                let text = format!("⏰ {}", notification.body);
                self.send_text(chat, &text, keyboard, Some(&notification.idempotency_key))
                    .await
            }
            Outbound::Document {
                name,
                caption,
                bytes,
            } => {
                self.sender
                    .send_document(chat, &name, bytes, &caption)
                    .await
            }
            _ => Err(DeliveryError::permanent(
                "this kind of message is not supported on Telegram",
            )),
        }
    }

    fn can_edit(&self) -> bool {
        true
    }

    async fn edit(&self, chat_id: &str, sent: &Sent, text: &str) -> Result<(), DeliveryError> {
        let chat = chat_number(chat_id)?;
        let Some(first) = message_number(sent) else {
            return Err(DeliveryError::permanent("the message to edit has no id"));
        };
        let chunks = render_markdown_v2(text, MESSAGE_LIMIT);
        let Some((head, rest)) = chunks.split_first() else {
            return Ok(());
        };
        self.edit_one(chat, first, head).await?;
        // A text that grew past one message continues in messages of its own, edited in
        // turn as it grows further.
        let mut continued = self
            .continued
            .lock()
            .map(|c| c.get(&(chat, first)).cloned().unwrap_or_default())
            .unwrap_or_default();
        for (i, chunk) in rest.iter().enumerate() {
            match continued.get(i) {
                Some(id) => self.edit_one(chat, *id, chunk).await?,
                None => {
                    let sent = self
                        .sender
                        .send_message(chat, markdown(chunk), None)
                        .await?;
                    continued.extend(message_number(&sent));
                }
            }
        }
        if let Ok(mut map) = self.continued.lock() {
            if continued.is_empty() {
                map.remove(&(chat, first));
            } else {
                map.insert((chat, first), continued);
            }
        }
        Ok(())
    }

    async fn typing(&self, chat_id: &str) {
        let Ok(chat) = chat_number(chat_id) else {
            return;
        };
        // In the background: the answer does not wait for the indicator.
        let api = self.api().clone();
        tokio::spawn(async move {
            let body = json!({ "chat_id": chat, "action": "typing" });
            if let Err(error) = api.call::<Value>("sendChatAction", &body).await {
                tracing::debug!(%error, "could not show typing");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_is_read_strictly() {
        let id = uuid::Uuid::now_v7();
        assert!(matches!(
            parse_callback(&format!("c:{id}")),
            Some(InboundContent::Answer { confirm: true, .. })
        ));
        assert!(matches!(
            parse_callback(&format!("x:{id}")),
            Some(InboundContent::Answer { confirm: false, .. })
        ));
        assert!(matches!(
            parse_callback(&format!("e:{id}")),
            Some(InboundContent::Edit { .. })
        ));
        assert!(matches!(
            parse_callback(&format!("d:{id}")),
            Some(InboundContent::Reminder {
                action: ReminderAction::Done,
                ..
            })
        ));
        assert!(matches!(
            parse_callback(&format!("s10:{id}")),
            Some(InboundContent::Reminder { action: ReminderAction::Snooze(d), .. }) if d == Duration::from_secs(600)
        ));
        for bad in [
            "",
            "c:",
            "c:not-a-uuid",
            "s0:x",
            &format!("s0:{id}"),
            &format!("s99999:{id}"),
            &format!("q:{id}"),
            "c",
        ] {
            assert!(parse_callback(bad).is_none(), "{bad:?}");
        }
        // Every kind of button fits Telegram's 64-byte callback_data limit.
        assert!(format!("s1440:{id}").len() <= 64);
    }
}
