//! The reference family assistant: a thin `main` around [`fa_telegram::bot::Bot`]. It reads the
//! configuration (a TOML file and environment overrides), sets up or opens the household's
//! store and vault, and serves it on Telegram — or, without a token, as a chat on this terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use fa_telegram::bot::{Bot, init_logging, shutdown_signal};
use fa_telegram::config::{BotConfig, LogFormat};

const HELP: &str = "\
family-bot — the reference fa assistant

USAGE: family-bot [--config FILE] [--data-dir DIR] [--log-format text|json] [--status]

Sets up (on first run) or opens the household's store and vault and serves the household on
Telegram when a bot token is configured; without one, opens a chat on this terminal as the
household's owner (Ctrl-D or /quit ends it). SIGINT / SIGTERM stop it gracefully.

  --config FILE      a TOML configuration (default: $FA_CONFIG); docs/family-bot.example.toml
                     lists every key and its environment override
  --data-dir DIR     where data lives (default: $FA_DATA_DIR, ~/.local/share/fa)
  --log-format FMT   text (default) or json: structured logs with correlation ids
  --status           print the status and exit

Secrets come only from the environment or files: FA_TELEGRAM_TOKEN, FA_MASTER_KEY(_FILE),
FA_OPENAI_API_KEY, FA_WEBHOOK_SECRET, FA_DATABASE_URL, FA_AMAZON_CLIENT_SECRET,
AWS_SECRET_ACCESS_KEY, or the *_file keys of the config. An [amazon] section (or
FA_AMAZON_CLIENT_ID) adds the seller account: /amazon, its tools and checks (docs/amazon.md).
";

#[tokio::main]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("family-bot: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let (mut config_path, mut data_dir, mut log_format, mut status_only) =
        (None, None, None, false);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or(format!("{name} needs a value; see --help"))
        };
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--status" => status_only = true,
            "--config" => config_path = Some(PathBuf::from(value("--config")?)),
            "--data-dir" => data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--log-format" => {
                log_format = Some(match value("--log-format")?.as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    other => return Err(format!("--log-format {other:?}: use text or json")),
                })
            }
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    let config_path = config_path.or_else(|| std::env::var_os("FA_CONFIG").map(PathBuf::from));
    let env = |name: &str| std::env::var(name).ok();
    let mut config = BotConfig::load(config_path.as_deref(), &env).map_err(|e| e.to_string())?;
    if data_dir.is_some() {
        config.data_dir = data_dir;
    }
    if let Some(format) = log_format {
        config.log.format = format;
    }
    init_logging(&config.log);
    let console = config.telegram.is_none();
    let bot = Bot::prepare(config, None)
        .await
        .map_err(|e| e.to_string())?;
    if status_only {
        return Ok(());
    }
    bot.run(shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    if console {
        // The terminal reader blocks in a thread that would keep the process waiting for a line.
        std::process::exit(0);
    }
    Ok(())
}
