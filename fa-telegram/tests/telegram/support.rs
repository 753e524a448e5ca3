//! A mock Telegram Bot API (wiremock) whose bodies follow the official Bot API documentation,
//! an in-memory household on a manual clock, and the app wired to a `TelegramChannel`.
//!
//! Fixture shapes: Update <https://core.telegram.org/bots/api#update>, Message
//! <https://core.telegram.org/bots/api#message>, User <https://core.telegram.org/bots/api#user>,
//! Chat <https://core.telegram.org/bots/api#chat>, MessageEntity
//! <https://core.telegram.org/bots/api#messageentity>, CallbackQuery
//! <https://core.telegram.org/bots/api#callbackquery>, Voice
//! <https://core.telegram.org/bots/api#voice>, File <https://core.telegram.org/bots/api#file>,
//! MessageOriginUser <https://core.telegram.org/bots/api#messageoriginuser>,
//! ChatMemberUpdated <https://core.telegram.org/bots/api#chatmemberupdated>, errors
//! <https://core.telegram.org/bots/api#making-requests>.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fa_core::engine::{App, InboundJournal};
use fa_core::llm::{ScriptedModel, ScriptedReply};
use fa_core::scheduler::RunnerOptions;
use fa_core::*;
use fa_telegram::{BotApi, TelegramChannel, TelegramSender};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const TOKEN: &str = "123456:TEST-token";
pub const ANA: i64 = 1001;
pub const BEN: i64 = 2002;

/// Wednesday 18 November 2026, 11:15 in Berlin.
pub fn now() -> DateTime<Utc> {
    "2026-11-18T10:15:00Z".parse().unwrap()
}

pub fn user(id: i64, first: &str, last: Option<&str>) -> Value {
    let mut user = json!({ "id": id, "is_bot": false, "first_name": first, "language_code": "en" });
    if let Some(last) = last {
        user["last_name"] = json!(last);
    }
    user
}

pub fn private_chat(id: i64, first: &str) -> Value {
    json!({ "id": id, "type": "private", "first_name": first })
}

pub fn message(message_id: i64, from: i64, name: &str) -> Value {
    json!({
        "message_id": message_id,
        "date": 1_795_000_000,
        "chat": private_chat(from, name),
        "from": user(from, name, None),
    })
}

/// A text message; a leading `/command` gets its `bot_command` entity, as Telegram sends it.
pub fn text_update(update_id: i64, from: i64, name: &str, text: &str) -> Value {
    let mut message = message(update_id, from, name);
    message["text"] = json!(text);
    if text.starts_with('/') {
        let length = text.find(' ').unwrap_or(text.len());
        message["entities"] = json!([{ "offset": 0, "length": length, "type": "bot_command" }]);
    }
    json!({ "update_id": update_id, "message": message })
}

pub fn callback_update(update_id: i64, from: i64, name: &str, data: &str) -> Value {
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("cb{update_id}"),
            "from": user(from, name, None),
            "message": message(update_id, from, name),
            "chat_instance": "-4711",
            "data": data,
        }
    })
}

/// `sendMessage` and `editMessageText` answer the Message they made, with fresh ids.
struct Sent(AtomicI64);

impl Respond for Sent {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let id = self.0.fetch_add(1, Ordering::SeqCst);
        let chat = body["chat_id"].as_i64().unwrap_or(0);
        ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "result": {
                "message_id": id,
                "date": 1_795_000_000,
                "chat": { "id": chat, "type": "private", "first_name": "X" },
                "from": { "id": 42, "is_bot": true, "first_name": "Family", "username": "family_bot" },
                "text": body["text"],
            }
        }))
    }
}

/// `getUpdates` answers queued batches, then (like a long poll that times out) an empty list
/// after a short wait.
#[derive(Clone, Default)]
pub struct Updates(Arc<Mutex<VecDeque<Value>>>);

impl Updates {
    pub fn push(&self, batch: Value) {
        self.0.lock().unwrap().push_back(batch);
    }
}

impl Respond for Updates {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        match self.0.lock().unwrap().pop_front() {
            Some(batch) => {
                ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": batch }))
            }
            None => ResponseTemplate::new(200)
                .set_body_json(json!({ "ok": true, "result": [] }))
                .set_delay(Duration::from_millis(50)),
        }
    }
}

pub fn bot_path(name: &str) -> String {
    // teloxide-style PascalCase or the documented camelCase: Bot API method names are
    // case-insensitive.
    format!("(?i)^/bot{}/{name}$", regex_escape(TOKEN))
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

pub struct Tg {
    pub server: MockServer,
    pub store: Arc<SqliteStore>,
    pub clock: Arc<ManualClock>,
    pub home: Household,
    pub ana: Member,
    pub ben: Member,
    pub model: Arc<ScriptedModel>,
    pub channel: Arc<TelegramChannel>,
    pub updates: Updates,
}

impl Tg {
    /// The mock Bot API with its default answers, and a household: Ana (owner, Berlin, Telegram
    /// 1001) and Ben (adult, New York, Telegram 2002).
    pub async fn new(replies: impl IntoIterator<Item = ScriptedReply>) -> Self {
        let server = MockServer::start().await;
        let updates = Updates::default();
        Mock::given(method("POST"))
            .and(path_regex(bot_path("getUpdates")))
            .respond_with(updates.clone())
            .mount(&server)
            .await;
        for send in ["sendMessage", "editMessageText"] {
            Mock::given(method("POST"))
                .and(path_regex(bot_path(send)))
                .respond_with(Sent(AtomicI64::new(500)))
                .mount(&server)
                .await;
        }
        for ok in [
            "deleteWebhook",
            "setWebhook",
            "sendChatAction",
            "answerCallbackQuery",
            "setMyCommands",
        ] {
            Mock::given(method("POST"))
                .and(path_regex(bot_path(ok)))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": true })),
                )
                .mount(&server)
                .await;
        }
        let clock = Arc::new(ManualClock::new(now()));
        let store = Arc::new(
            SqliteStore::open_with(SqliteOptions::memory().clock(clock.clone()))
                .await
                .unwrap(),
        );
        let home = store.create_household("Home").await.unwrap();
        let ana = store
            .add_member(
                home.id,
                NewMember::new("Ana", Role::Owner).with_timezone("Europe/Berlin"),
            )
            .await
            .unwrap();
        let ben = store
            .add_member(
                home.id,
                NewMember::new("Ben", Role::Adult).with_timezone("America/New_York"),
            )
            .await
            .unwrap();
        for (member, id) in [(&ana, ANA), (&ben, BEN)] {
            store
                .link_identity(
                    member.scope(),
                    &ChannelIdentity::new("telegram", id.to_string()),
                )
                .await
                .unwrap();
        }
        let api = BotApi::new(&server.uri(), &Secret::new(TOKEN)).unwrap();
        // Telegram's limits are tested on their own; here they would hold every second message
        // until the manual clock moves.
        let sender = TelegramSender::new(api, clock.clone()).with_throttle(None);
        let journal = InboundJournal::new(store.clone(), home.id, "telegram");
        let channel = TelegramChannel::journaled(Arc::new(sender), journal);
        Self {
            server,
            store,
            clock,
            home,
            ana,
            ben,
            model: Arc::new(ScriptedModel::new(replies)),
            channel,
            updates,
        }
    }

    /// The app over this channel, running (with the scheduler runner) until the test ends.
    pub fn app(
        &self,
        configure: impl FnOnce(fa_core::engine::AppBuilder) -> fa_core::engine::AppBuilder,
    ) -> App {
        let mut runner = RunnerOptions::default();
        runner.poll_interval = Duration::from_millis(20);
        let builder = App::builder(self.store.clone())
            .clock(self.clock.clone())
            .model(self.model.clone())
            .channel(self.channel.clone())
            .runner_options(runner);
        let app = configure(builder).build().unwrap();
        let running = app.clone();
        tokio::spawn(async move { running.run(std::future::pending()).await });
        app
    }

    /// Another journaled channel on the same mock and store: a second process of the bot.
    pub fn another_process(&self) -> Arc<TelegramChannel> {
        let api = BotApi::new(&self.server.uri(), &Secret::new(TOKEN)).unwrap();
        let sender = TelegramSender::new(api, self.clock.clone()).with_throttle(None);
        let journal = InboundJournal::new(self.store.clone(), self.home.id, "telegram");
        TelegramChannel::journaled(Arc::new(sender), journal)
    }

    /// Starts long polling against the mock.
    pub fn poll(&self) {
        let channel = self.channel.clone();
        tokio::spawn(async move {
            channel
                .poll(Duration::from_secs(1), std::future::pending())
                .await
        });
    }

    /// Every call of `method` so far, as (path, JSON body).
    pub async fn calls(&self, method: &str) -> Vec<Value> {
        let suffix = format!("/{}", method.to_lowercase());
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path().to_lowercase().ends_with(&suffix))
            .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
            .collect()
    }

    /// The messages sent to `chat` so far (`sendMessage` bodies).
    pub async fn sent_to(&self, chat: i64) -> Vec<Value> {
        self.calls("sendMessage")
            .await
            .into_iter()
            .filter(|b| b["chat_id"].as_i64() == Some(chat))
            .collect()
    }

    /// What was sent to `chat` and what sent messages were edited to (a streamed reply is
    /// sent with its first words, then edited to the whole text).
    pub async fn shown_to(&self, chat: i64) -> Vec<Value> {
        let mut shown = self.sent_to(chat).await;
        shown.extend(
            self.calls("editMessageText")
                .await
                .into_iter()
                .filter(|b| b["chat_id"].as_i64() == Some(chat)),
        );
        shown
    }

    /// Waits (up to 10 s of real time; the work is asynchronous, not timed) until `chat` has
    /// been sent a message whose text contains `needle`, and returns it.
    pub async fn wait_sent(&self, chat: i64, needle: &str) -> Value {
        for _ in 0..1000 {
            if let Some(found) = self
                .shown_to(chat)
                .await
                .into_iter()
                .find(|b| plain(&b["text"]).contains(needle))
            {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "nothing containing {needle:?} was sent to {chat}; sent: {:#?}",
            self.shown_to(chat).await
        );
    }

    /// How many identities of the household are marked unreachable.
    pub async fn unreachable(&self) -> usize {
        self.store
            .unreachable_identities(self.home.id)
            .await
            .unwrap()
            .len()
    }

    /// Waits until `method` has been called `n` times.
    pub async fn wait_calls(&self, method: &str, n: usize) -> Vec<Value> {
        for _ in 0..1000 {
            let calls = self.calls(method).await;
            if calls.len() >= n {
                return calls;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "{method} was not called {n} times: {:#?}",
            self.calls(method).await
        );
    }
}

/// MarkdownV2 text back to plain text (the escapes removed).
pub fn plain(text: &Value) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in text.as_str().unwrap_or_default().chars() {
        if c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

/// Captures this thread's log lines (the tests run on a current-thread runtime, so the app's
/// tasks log here too).
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    pub fn install() -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Buffer(buffer.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        Self {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

/// Waits (up to 5 s of real time, for asynchronous work, not for timed events) until `done`.
pub async fn eventually(done: impl AsyncFn() -> bool) {
    for _ in 0..500 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
