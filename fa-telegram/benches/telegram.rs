//! Telegram update throughput and latency: the reference bot (`fa_telegram::bot::Bot`, SQLite,
//! an instant model that repeats the message) beside a plain teloxide echo bot and aiogram's,
//! on the same local mock Bot API, in the same run.
//!
//! ```text
//! cargo bench -p fa-telegram --bench telegram                 # drain 20,000 updates + paced 200/s
//! cargo bench -p fa-telegram --bench telegram -- --n 5000     # any tg_bench.py argument
//! ```
//!
//! It runs `../shared/bench-peers/tg_bench.sh` (or `$FA_BENCH_PEERS/tg_bench.sh`), which starts
//! the mock and each bot in turn; this binary is registered as the bot `fa` (run again with
//! `--serve`). It prints the harness's JSON line, then a table with fa's ratios.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use async_trait::async_trait;
use fa_core::llm::{
    ChatMessage, ChatRequest, ChatResponse, DynModel, LanguageModel, ModelError, ModelInfo,
};
use fa_core::{ChannelIdentity, NewMember, Role};
use fa_telegram::bot::{Bot, shutdown_signal};
use fa_telegram::config::BotConfig;
use serde_json::Value;

/// Answers with the member's own words: the mock matches each reply to its update by text.
#[derive(Debug)]
struct Echo;

#[async_trait]
impl LanguageModel for Echo {
    fn name(&self) -> &str {
        "echo"
    }
    fn context_window(&self) -> u32 {
        8192
    }
    async fn probe(&self) -> Result<ModelInfo, ModelError> {
        Ok(ModelInfo::new("echo", true, Some(8192)))
    }
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ModelError> {
        let said = request
            .messages
            .last()
            .map(|m| m.content.clone())
            .unwrap_or_default();
        Ok(ChatResponse::new(ChatMessage::assistant(said)))
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--serve") {
        serve();
    } else {
        compare(args);
    }
}

/// The bot under test: long-polls `$TG_API_URL`, where 1,000 chats (ids 100000–100999) are
/// members of the household.
fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let data = tempfile::tempdir().unwrap();
        let api = std::env::var("TG_API_URL").expect("TG_API_URL: run me through tg_bench.sh");
        let env = |name: &str| match name {
            "FA_TELEGRAM_TOKEN" => Some("4242:bench".to_owned()),
            "FA_TELEGRAM_API_URL" => Some(api.clone()),
            "FA_HTTP_LISTEN" => Some("off".to_owned()),
            "FA_OWNER_TELEGRAM_ID" => Some("99".to_owned()),
            _ => None,
        };
        let toml = "[telegram]\nthrottle = false\npoll_timeout_secs = 1\n\
                    [limits]\nmessages_per_minute = 600\nburst = 100\n[log]\nfilter = \"warn\"\n";
        let mut config = BotConfig::from_toml_str(toml, &env).unwrap();
        config.data_dir = Some(data.path().to_path_buf());
        let bot = Bot::prepare(config, Some(Arc::new(Echo) as DynModel))
            .await
            .unwrap();
        let store = bot.store().clone();
        for chat in 100_000..101_000_i64 {
            let member = store
                .add_member(
                    bot.household().id,
                    NewMember::new(format!("User{chat}"), Role::Adult),
                )
                .await
                .unwrap();
            store
                .link_identity(
                    member.scope(),
                    &ChannelIdentity::new("telegram", chat.to_string()),
                )
                .await
                .unwrap();
        }
        bot.run(shutdown_signal()).await.unwrap();
    });
}

fn compare(extra: Vec<String>) {
    let peers = std::env::var_os("FA_BENCH_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench-peers")
        });
    let script = peers.join("tg_bench.sh");
    assert!(
        script.exists(),
        "{} not found: set FA_BENCH_PEERS",
        script.display()
    );
    let me = std::env::current_exe().unwrap();
    let mut command = Command::new(&script);
    command
        .arg("--variants")
        .arg("teloxide_polling,aiogram_polling,teloxide_polling_paced")
        .arg("--bot")
        .arg(format!("fa={} --serve", me.display()));
    command.args(&extra);
    eprintln!("running {} (about 2 minutes)", script.display());
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .expect("no JSON line");
    println!("{line}");
    let json: Value = serde_json::from_str(line).unwrap();
    table(&json);
}

fn table(json: &Value) {
    let variants = json.get("variants").cloned().unwrap_or(Value::Null);
    let get = |name: &str, field: &str| -> Option<f64> {
        let v = variants.get(name).or_else(|| {
            variants
                .as_array()
                .and_then(|a| a.iter().find(|v| v["variant"] == name || v["name"] == name))
        })?;
        let mut cur = v;
        for part in field.split('.') {
            cur = cur.get(part)?;
        }
        cur.as_f64()
    };
    println!(
        "\n| variant | updates/s | p50 ms | p99 ms | CPU ms/update | peak RSS MB | RSS at first update MB |"
    );
    println!("|---|---|---|---|---|---|---|");
    for name in [
        "fa",
        "teloxide_polling",
        "aiogram_polling",
        "fa_paced",
        "teloxide_polling_paced",
    ] {
        let cell = |f: &str| get(name, f).map_or("–".to_owned(), |x| format!("{x:.2}"));
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            cell("updates_per_s"),
            cell("lat_ms.p50"),
            cell("lat_ms.p99"),
            cell("bot_cpu_ms_per_update"),
            cell("bot_peak_rss_mb"),
            cell("bot_rss_at_first_update_mb")
        );
    }
    if let (Some(fa), Some(tx), Some(ai)) = (
        get("fa", "updates_per_s"),
        get("teloxide_polling", "updates_per_s"),
        get("aiogram_polling", "updates_per_s"),
    ) {
        println!(
            "\nfa / teloxide: {:.2}×   fa / aiogram: {:.2}×",
            fa / tx,
            fa / ai
        );
    }
}
