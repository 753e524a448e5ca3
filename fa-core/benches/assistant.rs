//! Turn overhead without the model: a model that answers at once, a SQLite file store
//! (WAL, synchronous=FULL), the built-in toolbox, and one tool call per turn (`recall`, which
//! reads the member's saved facts), then a text answer. Each turn stores the member's message,
//! the call, its result and the answer, and reads history, summary and facts to build the
//! prompt; every few turns the rolling summary is rewritten (the model's summary is instant
//! too). Prints one JSON line: turns, p50 / p99 / max per turn in µs, turns/s.
//!
//! `cargo bench -p fa-core --bench assistant -- [--turns N] [--warmup N]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use fa_core::assistant::tools::builtin_toolbox;
use fa_core::assistant::{Assistant, ModelAssistant, TurnInput};
use fa_core::llm::{
    ChatMessage, ChatRequest, ChatResponse, ChatRole, LanguageModel, ModelError, ModelInfo,
    ToolCall,
};
use fa_core::scheduler::{JobRegistry, StoreScheduler};
use fa_core::*;
use serde_json::json;

/// Answers at once: a summary when asked for one, a text after a tool result, else a call to
/// `recall`.
#[derive(Debug)]
struct InstantModel;

#[async_trait]
impl LanguageModel for InstantModel {
    fn name(&self) -> &str {
        "instant"
    }

    fn context_window(&self) -> u32 {
        8192
    }

    async fn probe(&self) -> Result<ModelInfo, ModelError> {
        Ok(ModelInfo::new("instant", true, Some(8192)))
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ModelError> {
        let first = &request.messages[0].content;
        let last = request.messages.last().unwrap();
        let message = if first.starts_with("Summarise") {
            ChatMessage::assistant("They asked what I know, many times.")
        } else if last.role == ChatRole::Tool {
            ChatMessage::assistant("Here are your facts.")
        } else {
            ChatMessage::assistant_calls(
                "",
                vec![ToolCall {
                    id: "call_0".into(),
                    name: "recall".into(),
                    arguments: json!({"query": "fact"}),
                }],
            )
        };
        Ok(ChatResponse::new(message))
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let turns = arg("--turns", 5_000);
    let warmup = arg("--warmup", 200);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("fa.db")).await.unwrap());
    let home = store.create_household("Home").await.unwrap();
    let ana = store
        .add_member(
            home.id,
            NewMember::new("Ana", Role::Owner).with_timezone("Europe/Berlin"),
        )
        .await
        .unwrap();
    for i in 0..20 {
        store
            .save_note(ana.scope(), &format!("fact number {i}"))
            .await
            .unwrap();
    }
    let chat = store.conversation(ana.scope(), "bench", "1").await.unwrap();
    let scheduler = Arc::new(StoreScheduler::new(
        store.clone(),
        JobRegistry::with_builtins(),
    ));
    let model = Arc::new(InstantModel);
    let assistant = ModelAssistant::builder(store.clone(), scheduler)
        .tools(builtin_toolbox())
        .model(model)
        .build();

    let mut took = Vec::with_capacity(turns);
    for i in 0..warmup + turns {
        let input = TurnInput::new(ana.clone(), chat.id, format!("what do you know? ({i})"));
        let started = Instant::now();
        let reply = assistant.respond(input, None).await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(reply.tool_calls, 1);
        if i >= warmup {
            took.push(elapsed);
        }
    }
    took.sort();
    let pct = |q: f64| took[((took.len() - 1) as f64 * q).round() as usize].as_micros();
    let total: f64 = took.iter().map(|d| d.as_secs_f64()).sum();
    println!(
        "{}",
        json!({
            "bench": "assistant-turn",
            "store": "sqlite-file",
            "turns": turns,
            "p50_us": pct(0.5),
            "p99_us": pct(0.99),
            "max_us": took.last().unwrap().as_micros(),
            "turns_per_s": (turns as f64 / total).round(),
        })
    );
}
