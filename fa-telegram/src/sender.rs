//! [`TelegramSender`]: every message fa sends to Telegram goes through it — replies, streamed
//! edits, scheduled reminders, other adapters' notifications.
//!
//! It keeps to Telegram's limits (<https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this>):
//! about one message a second per chat, 20 a minute per group, 30 a second overall. A 429 is
//! retried after the `retry_after` Telegram gives; 5xx answers and timeouts are retried with
//! backoff; a 403 from a private chat means the member blocked the bot, which is reported so the
//! member is marked unreachable (and the owner told). Waits go through fa's [`Clock`], so tests
//! drive them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fa_core::scheduler::{DeliveryError, Sent};
use fa_core::{Clock, sleep_until};
use serde_json::{Value, json};

use crate::api::{ApiError, ApiErrorKind, BotApi};

/// The minimum spacing of messages: per chat, per group chat, and overall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Throttle {
    /// Between two messages to one chat (default 1 s).
    pub per_chat: Duration,
    /// Between two messages to one group (default 3 s, i.e. 20 a minute).
    pub per_group: Duration,
    /// Between any two messages (default 1/30 s).
    pub global: Duration,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            per_chat: Duration::from_secs(1),
            per_group: Duration::from_secs(3),
            global: Duration::from_micros(33_334),
        }
    }
}

/// How failed sends are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, for 429, 5xx and network errors (default 4).
    pub attempts: u32,
    /// The first backoff after a 5xx or a network error; it doubles (default 1 s).
    pub backoff: Duration,
    /// The longest `retry_after` waited for in place; a longer one is handed back to the caller
    /// as rate-limited (default 60 s).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Counters of the sender, by outcome.
#[derive(Debug, Default)]
pub(crate) struct SenderCounters {
    pub(crate) sent: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) blocked: AtomicU64,
}

/// The sender's counters since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SenderStats {
    /// Messages (and edits, files) Telegram accepted.
    pub sent: u64,
    /// Sends that failed after their retries.
    pub failed: u64,
    /// Retries after a 429, a 5xx or a network error.
    pub retried: u64,
    /// Sends skipped because their idempotency key was already sent.
    pub duplicates: u64,
    /// 403 answers: a member blocked the bot.
    pub blocked: u64,
}

/// Called with the id of a private chat that answered 403 (the user blocked the bot).
pub(crate) type BlockedHook = Box<dyn Fn(i64) + Send + Sync>;

/// How many idempotency keys of sent messages are remembered.
const KEYS_REMEMBERED: usize = 100_000;

#[derive(Default)]
struct Schedule {
    chats: HashMap<i64, DateTime<Utc>>,
    global: Option<DateTime<Utc>>,
}

/// Sends to Telegram within its limits, with retries. Cheap to share (`Arc`).
pub struct TelegramSender {
    api: BotApi,
    clock: Arc<dyn Clock>,
    throttle: Option<Throttle>,
    retry: RetryPolicy,
    schedule: Mutex<Schedule>,
    keys: Mutex<(HashMap<String, Sent>, VecDeque<String>)>,
    blocked: Mutex<Option<BlockedHook>>,
    pub(crate) counters: SenderCounters,
}

impl std::fmt::Debug for TelegramSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramSender")
            .field("throttle", &self.throttle)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// The `Sent` of a Message Telegram returned (its `message_id`).
fn sent(message: &Value) -> Sent {
    message
        .get("message_id")
        .and_then(Value::as_i64)
        .map(|id| Sent::with_id(id.to_string()))
        .unwrap_or_default()
}

/// A chat id is a group's when negative (groups and supergroups; private chats are positive).
fn is_group(chat_id: i64) -> bool {
    chat_id < 0
}

impl TelegramSender {
    /// A sender over `api`, with Telegram's default limits and retries.
    pub fn new(api: BotApi, clock: Arc<dyn Clock>) -> Self {
        Self {
            api,
            clock,
            throttle: Some(Throttle::default()),
            retry: RetryPolicy::default(),
            schedule: Mutex::default(),
            keys: Mutex::default(),
            blocked: Mutex::new(None),
            counters: SenderCounters::default(),
        }
    }

    /// Other limits; `None` sends as fast as Telegram answers (for a local Bot API server or a
    /// benchmark, never for api.telegram.org).
    pub fn with_throttle(mut self, throttle: Option<Throttle>) -> Self {
        self.throttle = throttle;
        self
    }

    /// Another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Where the ids of chats that answered 403 (blocked) are reported.
    pub(crate) fn report_blocked_to(&self, to: BlockedHook) {
        if let Ok(mut blocked) = self.blocked.lock() {
            *blocked = Some(to);
        }
    }

    /// The clock the sender waits on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The Bot API client.
    pub fn api(&self) -> &BotApi {
        &self.api
    }

    /// The counters since start.
    pub fn stats(&self) -> SenderStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let c = &self.counters;
        SenderStats {
            sent: load(&c.sent),
            failed: load(&c.failed),
            retried: load(&c.retried),
            duplicates: load(&c.duplicates),
            blocked: load(&c.blocked),
        }
    }

    /// What an earlier send with `key` returned, if it was sent.
    pub fn already_sent(&self, key: &str) -> Option<Sent> {
        self.keys.lock().ok()?.0.get(key).cloned()
    }

    fn remember(&self, key: &str, sent: &Sent) {
        if let Ok(mut keys) = self.keys.lock() {
            let (map, order) = &mut *keys;
            if map.insert(key.to_owned(), sent.clone()).is_none() {
                order.push_back(key.to_owned());
            }
            while order.len() > KEYS_REMEMBERED {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
    }

    /// Sends a message (`sendMessage` with the body's other fields, e.g. `parse_mode` and
    /// `reply_markup`). With an idempotency key that was already sent, nothing is sent and the
    /// first send's result comes back.
    pub async fn send_message(
        &self,
        chat_id: i64,
        body: Value,
        idempotency_key: Option<&str>,
    ) -> Result<Sent, DeliveryError> {
        if let Some(sent) = idempotency_key.and_then(|key| self.already_sent(key)) {
            self.counters.duplicates.fetch_add(1, Ordering::Relaxed);
            tracing::info!("a message with this idempotency key was already sent; not again");
            return Ok(sent);
        }
        let mut body = body;
        body["chat_id"] = json!(chat_id);
        let sent = sent(&self.call(chat_id, "sendMessage", &body).await?);
        if let Some(key) = idempotency_key {
            self.remember(key, &sent);
        }
        Ok(sent)
    }

    /// Calls a chat-bound method (`sendMessage`, `editMessageText`, …) within the limits, with
    /// retries, mapping failures to delivery errors the scheduler understands.
    pub async fn call(
        &self,
        chat_id: i64,
        method: &str,
        body: &Value,
    ) -> Result<Value, DeliveryError> {
        let result = self.call_api(chat_id, method, body).await;
        self.outcome(chat_id, result)
    }

    /// Counts a call's outcome and turns a failure into a delivery error.
    fn outcome(
        &self,
        chat_id: i64,
        result: Result<Value, ApiError>,
    ) -> Result<Value, DeliveryError> {
        match result {
            Ok(value) => {
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
                Ok(value)
            }
            Err(error) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                Err(self.delivery_error(chat_id, error))
            }
        }
    }

    /// Sends a file to a chat.
    pub async fn send_document(
        &self,
        chat_id: i64,
        name: &str,
        bytes: Vec<u8>,
        caption: &str,
    ) -> Result<Sent, DeliveryError> {
        self.wait_turn(chat_id).await;
        let result = self.api.send_document(chat_id, name, bytes, caption).await;
        Ok(sent(&self.outcome(chat_id, result)?))
    }

    async fn call_api(&self, chat_id: i64, method: &str, body: &Value) -> Result<Value, ApiError> {
        let mut attempt = 1;
        loop {
            self.wait_turn(chat_id).await;
            let error = match self.api.call::<Value>(method, body).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let wait = match &error.kind {
                ApiErrorKind::RetryAfter(after) if *after <= self.retry.max_retry_after => *after,
                ApiErrorKind::Server { .. } | ApiErrorKind::Network(_) => self
                    .retry
                    .backoff
                    .saturating_mul(1 << (attempt - 1).min(16)),
                _ => return Err(error),
            };
            if attempt >= self.retry.attempts {
                return Err(error);
            }
            self.counters.retried.fetch_add(1, Ordering::Relaxed);
            tracing::info!(method, attempt, wait_ms = wait.as_millis() as u64, error = %error.kind, "Telegram call retried");
            let deadline = self.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
            if let ApiErrorKind::RetryAfter(_) = error.kind {
                // Flood control applies to the whole bot: nothing else goes out before then.
                self.hold_all_until(deadline);
            }
            sleep_until(self.clock.as_ref(), deadline).await;
            attempt += 1;
        }
    }

    fn delivery_error(&self, chat_id: i64, error: ApiError) -> DeliveryError {
        match &error.kind {
            ApiErrorKind::RetryAfter(after) => {
                DeliveryError::rate_limited(*after, error.to_string())
            }
            ApiErrorKind::Server { .. } | ApiErrorKind::Network(_) => {
                DeliveryError::transient(error.to_string())
            }
            ApiErrorKind::Forbidden(_) => {
                self.counters.blocked.fetch_add(1, Ordering::Relaxed);
                let blocked = self.blocked.lock();
                if let (false, Ok(Some(report))) = (is_group(chat_id), blocked.as_deref()) {
                    report(chat_id);
                }
                DeliveryError::permanent(format!(
                    "{error}: the member is unreachable until they unblock the bot"
                ))
            }
            _ => DeliveryError::permanent(error.to_string()),
        }
    }

    /// Waits until a message to `chat_id` may go, then books it: the chat's next message and
    /// everybody's next message wait their gap from now. A message waiting for its chat does
    /// not hold up other chats.
    async fn wait_turn(&self, chat_id: i64) {
        let Some(throttle) = self.throttle else {
            return;
        };
        let gap = |d: Duration| chrono::Duration::from_std(d).unwrap_or_default();
        loop {
            let now = self.clock.now();
            let ready = {
                let Ok(mut schedule) = self.schedule.lock() else {
                    return;
                };
                let chat_free = schedule.chats.get(&chat_id).copied().unwrap_or(now);
                let ready = chat_free.max(schedule.global.unwrap_or(now));
                if ready <= now {
                    let chat_gap = if is_group(chat_id) {
                        throttle.per_group
                    } else {
                        throttle.per_chat
                    };
                    if schedule.chats.len() > 10_000 {
                        schedule.chats.retain(|_, free| *free > now);
                    }
                    schedule.chats.insert(chat_id, now + gap(chat_gap));
                    schedule.global = Some(now + gap(throttle.global));
                    return;
                }
                ready
            };
            sleep_until(self.clock.as_ref(), ready).await;
        }
    }

    fn hold_all_until(&self, until: DateTime<Utc>) {
        if let Ok(mut schedule) = self.schedule.lock() {
            schedule.global = Some(schedule.global.map_or(until, |g| g.max(until)));
        }
    }
}
