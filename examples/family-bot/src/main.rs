//! The reference family assistant. It sets up (or opens) the household's store and vault, prints
//! their status, and opens a chat on the terminal as the household's owner: with a local model
//! when Ollama (or an OpenAI-compatible server) answers, and with commands only when not. The
//! Telegram channel arrives with fa-telegram. It uses only fa's public API.

mod model;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::sync::Arc;

use fa_core::engine::{App, ConsoleChannel};
use fa_core::vault::{MASTER_KEY_ENV, MASTER_KEY_FILE_ENV};
use fa_core::{
    ChannelIdentity, HouseholdStore, IntegrationStore, MasterKey, NewMember, Role, SqliteStore,
    Store, Vault,
};

const HELP: &str = "\
family-bot — the reference fa assistant

USAGE: family-bot [--data-dir DIR] [--status]

Sets up (on first run) or opens the household's store and vault, prints their status, and opens
a chat on this terminal as the household's owner (Ctrl-D or /quit ends it). Without a reachable
model the chat still serves commands: /remind, /reminders, /habit, /checkin, /tz, /help.

  --status   print the status and exit

ENVIRONMENT
  FA_DATA_DIR          where data lives (default: $XDG_DATA_HOME/fa or ~/.local/share/fa)
  FA_MASTER_KEY        the vault master key, 32 bytes in base64
  FA_MASTER_KEY_FILE   a file holding it (default: DATA_DIR/master.key, created on first run)
  FA_OWNER_NAME        the first member's name (default: $USER)
  FA_TIMEZONE          the first member's IANA timezone (default: $TZ, /etc/timezone, or UTC)
  OLLAMA_HOST          the Ollama server (default http://localhost:11434)
  FA_MODEL             the Ollama model (default qwen3:8b)
  FA_OPENAI_BASE_URL   use an OpenAI-compatible server instead, e.g. http://127.0.0.1:8080/v1
  FA_OPENAI_MODEL      its model name;  FA_OPENAI_API_KEY  its key, if it needs one
  TELEGRAM_BOT_TOKEN   the Telegram bot token (the Telegram channel is not built yet)
  RUST_LOG             log filter, e.g. info or fa_core=debug
";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("family-bot: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let mut data_dir = None;
    let mut status_only = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--status" => status_only = true,
            "--data-dir" => {
                data_dir = Some(PathBuf::from(
                    args.next().ok_or("--data-dir needs a directory")?,
                ))
            }
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    let data_dir = data_dir
        .or_else(default_data_dir)
        .ok_or("cannot tell where to keep data: set FA_DATA_DIR or HOME, or pass --data-dir")?;

    println!("fa family-bot {}", env!("CARGO_PKG_VERSION"));
    let (vault, key_note) = open_vault(&data_dir)?;
    let store = SqliteStore::open(data_dir.join("fa.db"))
        .await
        .map_err(|e| e.to_string())?;
    let status = store.status().await.map_err(|e| e.to_string())?;
    println!(
        "store:     {} {} (schema v{})",
        status.backend, status.location, status.schema_version
    );
    println!(
        "vault:     master key {} {key_note}",
        vault.current_key_id()
    );

    let household = match store
        .household_ids()
        .await
        .map_err(|e| e.to_string())?
        .first()
    {
        Some(id) => store
            .household(*id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the household disappeared while starting")?,
        None => first_household(&store).await?,
    };
    let members = store
        .members(household.id)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "household: {:?} with {} member(s)",
        household.name,
        members.len()
    );
    for member in &members {
        let integrations = store
            .integrations(member.scope())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "  - {} ({}, {}, {}), {} integration(s)",
            member.display_name,
            member.role,
            member.timezone,
            member.locale,
            integrations.len()
        );
    }
    if std::env::var_os("TELEGRAM_BOT_TOKEN").is_some() {
        println!("telegram:  a token is set, but the Telegram channel is not built yet");
    } else {
        println!("telegram:  no TELEGRAM_BOT_TOKEN set");
    }
    if status_only {
        return Ok(());
    }
    chat(Arc::new(store), &members).await
}

/// The console chat as the household's owner, until the input ends.
async fn chat(store: Arc<SqliteStore>, members: &[fa_core::Member]) -> Result<(), String> {
    let owner = members
        .iter()
        .find(|m| m.role == Role::Owner)
        .ok_or("the household has no owner; add one before chatting")?;
    let identities = store
        .identities(owner.scope())
        .await
        .map_err(|e| e.to_string())?;
    let sender = match identities.iter().find(|i| i.channel == "console") {
        Some(identity) => identity.external_id.clone(),
        None => {
            let identity = ChannelIdentity::new("console", owner.display_name.clone());
            store
                .link_identity(owner.scope(), &identity)
                .await
                .map_err(|e| e.to_string())?;
            identity.external_id
        }
    };
    let mut app = App::builder(store.clone()).channel(Arc::new(ConsoleChannel::stdio(sender)));
    match model::connect().await {
        Ok((model, None)) => {
            println!(
                "model:     {} ({} tokens of context)",
                model.name(),
                model.context_window()
            );
            app = app.model(model);
        }
        Ok((model, Some(why))) => {
            println!(
                "model:     offline for now — {why}\n           commands work; other messages are kept for /retry once {} answers",
                model.name()
            );
            app = app.model(model);
        }
        Err(why) => {
            println!("model:     none — {why}\n           commands still work; /help lists them")
        }
    }
    let app = app.build().map_err(|e| e.to_string())?;
    println!(
        "chat:      you are {}; type a message, /help for commands, Ctrl-D to quit",
        owner.display_name
    );
    app.run(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    // The terminal reader blocks in a thread that would keep the process waiting for a line.
    std::process::exit(0)
}

fn default_data_dir() -> Option<PathBuf> {
    let from_env = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from_env("FA_DATA_DIR")
        .or_else(|| from_env("XDG_DATA_HOME").map(|d| d.join("fa")))
        .or_else(|| from_env("HOME").map(|h| h.join(".local/share/fa")))
}

/// The key named by the environment, or the data directory's key file (created on first run).
fn open_vault(data_dir: &Path) -> Result<(Vault, String), String> {
    let configured = [MASTER_KEY_ENV, MASTER_KEY_FILE_ENV]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if configured {
        let vault = Vault::from_env().map_err(|e| e.to_string())?;
        return Ok((vault, "(from the environment)".to_owned()));
    }
    let path = data_dir.join("master.key");
    if path.exists() {
        let key = MasterKey::from_file(&path).map_err(|e| e.to_string())?;
        return Ok((Vault::new(key), format!("(from {})", path.display())));
    }
    let key = MasterKey::create_file(&path).map_err(|e| e.to_string())?;
    Ok((
        Vault::new(key),
        format!(
            "(new: written to {}; back it up — without it stored credentials cannot be read)",
            path.display()
        ),
    ))
}

async fn first_household(store: &SqliteStore) -> Result<fa_core::Household, String> {
    let owner_name = std::env::var("FA_OWNER_NAME")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "Owner".to_owned());
    let timezone = local_timezone();
    let household = store
        .create_household("Home")
        .await
        .map_err(|e| e.to_string())?;
    let owner = store
        .add_member(
            household.id,
            NewMember::new(owner_name.clone(), Role::Owner).with_timezone(timezone),
        )
        .await
        .map_err(|e| e.to_string())?;
    store
        .link_identity(owner.scope(), &ChannelIdentity::new("console", owner_name))
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "setup:     created household \"Home\" with owner {}",
        owner.display_name
    );
    Ok(household)
}

fn local_timezone() -> String {
    let candidates = [
        std::env::var("FA_TIMEZONE").ok(),
        std::env::var("TZ").ok(),
        std::fs::read_to_string("/etc/timezone").ok(),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|tz| tz.trim().trim_start_matches(':').to_owned())
        .find(|tz| fa_core::parse_timezone(tz).is_ok())
        .unwrap_or_else(|| "UTC".to_owned())
}
