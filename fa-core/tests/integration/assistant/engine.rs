//! The engine end to end on the console channel: identify, rate limit, reply, confirm, and a
//! reminder delivered back to the console.

use std::sync::Arc;
use std::time::Duration;

use fa_core::engine::{App, Channel, ConsoleChannel, Inbound, RateLimit};
use fa_core::llm::{ScriptedModel, ScriptedReply};
use fa_core::scheduler::RunnerOptions;
use fa_core::*;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

use crate::assistant_support::Harness;

struct Console {
    keyboard: DuplexStream,
    screen: tokio::io::Lines<BufReader<DuplexStream>>,
}

impl Console {
    async fn type_line(&mut self, line: &str) {
        self.keyboard
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
    }

    /// Lines printed until one contains `needle` (fails after 10 s of silence).
    async fn read_until(&mut self, needle: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = tokio::time::timeout(Duration::from_secs(10), self.screen.next_line())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} on the console; saw {seen:?}"))
                .unwrap()
                .unwrap();
            let hit = line.contains(needle);
            seen.push(line);
            if hit {
                return seen;
            }
        }
    }
}

fn console(sender: &str) -> (Arc<ConsoleChannel>, Console) {
    let (keyboard, input) = tokio::io::duplex(4096);
    let (output, screen) = tokio::io::duplex(65536);
    let channel = Arc::new(ConsoleChannel::new(input, output, sender));
    (
        channel,
        Console {
            keyboard,
            screen: BufReader::new(screen).lines(),
        },
    )
}

#[tokio::test]
async fn the_console_chat_sets_a_reminder_confirms_and_delivers_it() {
    let h = Harness::new().await;
    h.store
        .link_identity(h.ana.scope(), &ChannelIdentity::new("console", "owner"))
        .await
        .unwrap();
    let model = Arc::new(ScriptedModel::new([ScriptedReply::call(
        "create_reminder",
        json!({"text": "water the plants", "when": "in 5 minutes"}),
    )]));
    let (channel, mut screen) = console("owner");
    let mut runner = RunnerOptions::default();
    runner.poll_interval = Duration::from_millis(20);
    let app = App::builder(h.store.clone())
        .clock(h.clock.clone())
        .model(model)
        .channel(channel)
        .runner_options(runner)
        .build()
        .unwrap();
    let running = tokio::spawn({
        let app = app.clone();
        async move { app.run(std::future::pending()).await }
    });

    screen
        .type_line("/remind me tomorrow at 9 to call grandma")
        .await;
    screen
        .read_until("Reminder set for Thu 19 Nov 09:00 (Europe/Berlin): call grandma")
        .await;

    screen
        .type_line("please remind me to water the plants in 5 minutes")
        .await;
    let shown = screen.read_until("Type yes to confirm").await;
    assert!(
        shown
            .iter()
            .any(|l| l.contains("[1] Remind you Wed 18 Nov 11:20: water the plants")),
        "{shown:?}"
    );
    // Confirmed two minutes later: still the time that was shown.
    h.clock.advance(chrono::Duration::minutes(2));
    screen.type_line("yes").await;
    screen.read_until("Reminder set for Wed 18 Nov 11:20").await;

    // At 11:20 the runner fires it onto the console.
    h.clock.advance(chrono::Duration::minutes(3));
    screen.read_until("⏰ water the plants").await;

    let metrics = app.metrics();
    assert_eq!(metrics.turns, 3);
    assert_eq!(metrics.pending_actions, 1);
    assert_eq!(metrics.tool_calls, 1);
    running.abort();
}

#[tokio::test]
async fn strangers_are_turned_away_and_fast_senders_are_limited() {
    let h = Harness::new().await;
    h.store
        .link_identity(h.ana.scope(), &ChannelIdentity::new("console", "owner"))
        .await
        .unwrap();
    let (stranger_channel, mut stranger) = console("someone-else");
    let app = App::builder(h.store.clone())
        .clock(h.clock.clone())
        .rate_limit(RateLimit::new(6, 2))
        .build()
        .unwrap();
    let stranger_channel: Arc<dyn Channel> = stranger_channel;
    app.handle(
        &stranger_channel,
        Inbound::text("console", "someone-else", "hi"),
    )
    .await;
    stranger.read_until("not a member of its household").await;

    let (owner_channel, mut owner) = console("owner");
    let owner_channel: Arc<dyn Channel> = owner_channel;
    for _ in 0..2 {
        app.handle(&owner_channel, Inbound::text("console", "owner", "/help"))
            .await;
    }
    app.handle(&owner_channel, Inbound::text("console", "owner", "/help"))
        .await;
    owner.read_until("faster than I can answer").await;
    // Six a minute: one more is allowed ten seconds later.
    h.clock.advance(chrono::Duration::seconds(10));
    app.handle(&owner_channel, Inbound::text("console", "owner", "/tz"))
        .await;
    owner.read_until("Your time zone is Europe/Berlin").await;
    let metrics = app.metrics();
    assert_eq!(metrics.unknown_senders, 1);
    assert_eq!(metrics.rate_limited, 1);
    assert_eq!(metrics.turns, 3);
}

/// `/ping …` answered by code, for owners and adults (the default).
struct Ping;

#[async_trait::async_trait]
impl fa_core::engine::ChatCommand for Ping {
    fn name(&self) -> &str {
        "ping"
    }

    fn description(&self) -> &str {
        "answers pong"
    }

    async fn run(
        &self,
        ctx: &fa_core::assistant::ToolContext,
        arguments: &str,
    ) -> Result<String, fa_core::assistant::ToolError> {
        if arguments == "fail" {
            return Err(fa_core::assistant::ToolError::failed("as asked"));
        }
        Ok(format!("pong {} {arguments}", ctx.member().display_name))
    }
}

#[tokio::test]
async fn adapter_commands_are_answered_by_code_and_kept_out_of_the_history() {
    let h = Harness::new().await;
    h.store
        .link_identity(h.ana.scope(), &ChannelIdentity::new("console", "owner"))
        .await
        .unwrap();
    // The model is never asked: a command that reached it would fail the turn.
    let (channel, mut screen) = console("owner");
    let app = App::builder(h.store.clone())
        .clock(h.clock.clone())
        .model(Arc::new(ScriptedModel::new([])))
        .channel(channel)
        .command(Arc::new(Ping))
        .build()
        .unwrap();
    let running = tokio::spawn({
        let app = app.clone();
        async move { app.run(std::future::pending()).await }
    });
    screen.type_line("/ping secret-token-123").await;
    screen.read_until("pong Ana secret-token-123").await;
    screen.type_line("/PING@FamilyBot fail").await;
    screen.read_until("/ping: as asked").await;
    for conversation in h.store.conversations(h.ana.scope()).await.unwrap() {
        let history = h
            .store
            .recent_messages(h.ana.scope(), conversation.id, 50)
            .await
            .unwrap();
        assert!(
            history.iter().all(|m| !m.content.contains("secret-token")),
            "{history:?}"
        );
    }
    running.abort();
}
