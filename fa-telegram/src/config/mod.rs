//! The reference bot's configuration, [`BotConfig`]: a TOML file plus environment overrides.
//!
//! - The environment wins over the file. An environment variable that is empty (or only
//!   whitespace) counts as unset.
//! - Secrets (the bot token, the webhook secret, API keys, a database URL with a password) are
//!   read only from the environment or from files named by `*_file` keys. A secret written in the
//!   TOML is an error that says which variable or `_file` key to use instead. A secret file holds
//!   the secret alone; trailing whitespace and newlines are trimmed.
//! - Relative paths in the file are taken from the file's directory; paths from the environment
//!   are used as given.
//! - Every error ([`ConfigError`]) names the full dotted key (`telegram.webhook.max_connections`)
//!   or the environment variable and says what is expected. Unknown keys are errors too, with a
//!   suggestion when a known key is close. TOML syntax errors give the line and column.
//!
//! `docs/family-bot.example.toml` shows every key with its default and its variable.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use toml::{Table, Value};
use url::{Host, Url};
use zeroize::Zeroizing;

use fa_core::Secret;

mod calendar;

pub use calendar::{CalendarConfig, OAuthAppConfig};

// Environment variables.
const ENV_CONFIG: &str = "FA_CONFIG";
const ENV_DATA_DIR: &str = "FA_DATA_DIR";
const ENV_DATABASE_URL: &str = "FA_DATABASE_URL";
const ENV_MASTER_KEY: &str = "FA_MASTER_KEY";
const ENV_TELEGRAM_TOKEN: &str = "FA_TELEGRAM_TOKEN";
const ENV_TELEGRAM_TOKEN_ALT: &str = "TELEGRAM_BOT_TOKEN";
const ENV_TELEGRAM_API_URL: &str = "FA_TELEGRAM_API_URL";
const ENV_OWNER_TELEGRAM_ID: &str = "FA_OWNER_TELEGRAM_ID";
const ENV_WEBHOOK_URL: &str = "FA_WEBHOOK_URL";
const ENV_WEBHOOK_SECRET: &str = "FA_WEBHOOK_SECRET";
const ENV_HTTP_LISTEN: &str = "FA_HTTP_LISTEN";
const ENV_MODEL_PROVIDER: &str = "FA_MODEL_PROVIDER";
const ENV_MODEL: &str = "FA_MODEL";
const ENV_OLLAMA_HOST: &str = "OLLAMA_HOST";
const ENV_OPENAI_MODEL: &str = "FA_OPENAI_MODEL";
const ENV_OPENAI_BASE_URL: &str = "FA_OPENAI_BASE_URL";
const ENV_OPENAI_API_KEY: &str = "FA_OPENAI_API_KEY";
const ENV_TRANSCRIBER_URL: &str = "FA_TRANSCRIBER_URL";
const ENV_TRANSCRIBER_API_KEY: &str = "FA_TRANSCRIBER_API_KEY";
const ENV_OWNER_NAME: &str = "FA_OWNER_NAME";
const ENV_TIMEZONE: &str = "FA_TIMEZONE";
const ENV_LOG_FORMAT: &str = "FA_LOG_FORMAT";
const ENV_AMAZON_CLIENT_ID: &str = "FA_AMAZON_CLIENT_ID";
const ENV_AMAZON_CLIENT_SECRET: &str = "FA_AMAZON_CLIENT_SECRET";
const ENV_AMAZON_QUEUE_URL: &str = "FA_AMAZON_QUEUE_URL";
const ENV_AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
const ENV_AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
const ENV_AMAZON_SP_API_URL: &str = "FA_AMAZON_SP_API_URL";
const ENV_AMAZON_LWA_URL: &str = "FA_AMAZON_LWA_URL";
const ENV_AMAZON_SQS_ENDPOINT: &str = "FA_AMAZON_SQS_ENDPOINT";

// Defaults.
const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";
const TELEGRAM_API_HOST: &str = "api.telegram.org";
const DEFAULT_POLL_TIMEOUT_SECS: u64 = 30;
const DEFAULT_MAX_CONNECTIONS: u8 = 40;
const DEFAULT_WEBHOOK_PATH: &str = "/telegram/webhook";
const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));
const DEFAULT_OLLAMA_MODEL: &str = "qwen3:8b";
const DEFAULT_TRANSCRIBER_MODEL: &str = "whisper-1";
const DEFAULT_HOUSEHOLD_NAME: &str = "Home";
const DEFAULT_LOCALE: &str = "en";
const DEFAULT_MESSAGES_PER_MINUTE: u32 = 20;
const DEFAULT_BURST: u32 = 5;
const DEFAULT_LOG_FILTER: &str = "info";

/// The reference bot's configuration. Build it with [`BotConfig::load`] or
/// [`BotConfig::from_env`]; [`BotConfig::default`] is what an empty environment and no file give.
///
/// `Debug` never shows a secret.
#[derive(Debug, Clone)]
pub struct BotConfig {
    /// Where the bot keeps its data (`[store] data_dir`, env `FA_DATA_DIR`). `None` leaves the
    /// choice to the bot.
    pub data_dir: Option<PathBuf>,
    /// The database URL: env `FA_DATABASE_URL`, or the file named by `[store] database_url_file`,
    /// or `[store] database_url` when that URL holds no password. `None` means the SQLite database
    /// in the data directory.
    pub database_url: Option<Secret>,
    /// The master key file (`[store] master_key_file`). The `FA_MASTER_KEY` and
    /// `FA_MASTER_KEY_FILE` variables are read by the vault, not here.
    pub master_key_file: Option<PathBuf>,
    /// The Telegram channel; `None` when no token is configured, and the bot then runs its
    /// console chat.
    pub telegram: Option<TelegramConfig>,
    /// The HTTP listener (`[http]`).
    pub http: HttpConfig,
    /// The language model (`[model]`).
    pub model: ModelConfig,
    /// Speech to text for voice messages (`[transcriber]`); `None` when no URL is configured.
    pub transcriber: Option<TranscriberConfig>,
    /// The household (`[household]`).
    pub household: HouseholdConfig,
    /// Per-member rate limits (`[limits]`).
    pub limits: LimitsConfig,
    /// Logging (`[log]`).
    pub log: LogConfig,
    /// An Amazon seller account's notifications (`[amazon]`); `None` when no SP-API client id
    /// is configured.
    pub amazon: Option<AmazonConfig>,
    /// Calendars (`[calendar]`); `None` unless enabled or an OAuth app is configured.
    pub calendar: Option<CalendarConfig>,
}

/// The Telegram channel (`[telegram]`).
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// The bot token: env `FA_TELEGRAM_TOKEN` (or `TELEGRAM_BOT_TOKEN`), or the file named by
    /// `[telegram] token_file`.
    pub token: Secret,
    /// The Bot API server (`[telegram] api_url`, env `FA_TELEGRAM_API_URL`); default
    /// `https://api.telegram.org`.
    pub api_url: Url,
    /// The owner's Telegram user id (`[telegram] owner_id`, env `FA_OWNER_TELEGRAM_ID`).
    pub owner_id: Option<i64>,
    /// How long one long-polling request waits (`[telegram] poll_timeout_secs`, 0 to 50 seconds,
    /// default 30).
    pub poll_timeout: Duration,
    /// Whether sends keep to Telegram's limits (`[telegram] throttle`, default `true`); turn it
    /// off only for a local Bot API server or a benchmark's mock.
    pub throttle: bool,
    /// The webhook, when a public URL is configured (`[telegram.webhook] public_url` or env
    /// `FA_WEBHOOK_URL`); `None` means long polling.
    pub webhook: Option<WebhookConfig>,
}

/// Receiving updates on a webhook (`[telegram.webhook]`).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The public URL Telegram posts updates to: `https://`, or `http://` for a loopback host
    /// (tests only).
    pub public_url: Url,
    /// The secret Telegram sends back in every request (env `FA_WEBHOOK_SECRET`, or the file named
    /// by `[telegram.webhook] secret_file`): 1 to 256 characters of `A-Z a-z 0-9 _ -`, the rule
    /// for `secret_token` in <https://core.telegram.org/bots/api#setwebhook>. `None`: the bot
    /// generates one.
    pub secret: Option<Secret>,
    /// At most this many connections at once from Telegram (1 to 100, default 40).
    pub max_connections: u8,
    /// The local route the webhook is served on; starts with `/`. Default `/telegram/webhook`.
    pub path: String,
}

/// The HTTP listener (`[http]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// The address to bind (`[http] listen`, env `FA_HTTP_LISTEN`); default `127.0.0.1:8080`.
    /// The value `"off"` gives `None`: no listener (and so no webhook).
    pub listen: Option<SocketAddr>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: Some(DEFAULT_LISTEN),
        }
    }
}

/// Which kind of model server the bot talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelProvider {
    /// An Ollama server, on its native API.
    #[default]
    Ollama,
    /// An OpenAI-compatible server (llama.cpp, vLLM, LM Studio, OpenAI).
    OpenAi,
}

/// The language model (`[model]`).
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// `[model] provider` (`"ollama"` or `"openai"`), env `FA_MODEL_PROVIDER`. Default: `OpenAi`
    /// when `FA_OPENAI_BASE_URL` is set, else `Ollama`.
    pub provider: ModelProvider,
    /// The model (`[model] name`, env `FA_MODEL` for Ollama, `FA_OPENAI_MODEL` for OpenAI).
    /// Ollama's default is `qwen3:8b`; OpenAI has none, so it is `None` only when the model is
    /// disabled.
    pub name: Option<String>,
    /// The server (`[model] url`, env `OLLAMA_HOST` for Ollama, where a bare `host:port` means
    /// `http://host:port`, or `FA_OPENAI_BASE_URL` for OpenAI). `None`: the provider's default.
    pub url: Option<Url>,
    /// The API key: env `FA_OPENAI_API_KEY`, or the file named by `[model] api_key_file`.
    pub api_key: Option<Secret>,
    /// `[model] enabled`, default `true`; `false` runs the bot with commands only.
    pub enabled: bool,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            provider: ModelProvider::Ollama,
            name: Some(DEFAULT_OLLAMA_MODEL.to_owned()),
            url: None,
            api_key: None,
            enabled: true,
        }
    }
}

/// Speech to text through an OpenAI-compatible `/audio/transcriptions` endpoint
/// (`[transcriber]`).
#[derive(Debug, Clone)]
pub struct TranscriberConfig {
    /// The server (`[transcriber] url`, env `FA_TRANSCRIBER_URL`).
    pub url: Url,
    /// The model (`[transcriber] model`), default `whisper-1`.
    pub model: String,
    /// The API key: env `FA_TRANSCRIBER_API_KEY`, or the file named by
    /// `[transcriber] api_key_file`.
    pub api_key: Option<Secret>,
    /// The spoken language as an ISO 639-1 code, lowercase (`[transcriber] language`); `None`
    /// lets the server detect it.
    pub language: Option<String>,
}

/// The operator's SP-API application and the SQS queue Amazon's notifications arrive on
/// (`[amazon]`). The seller's refresh token is not here: the owner sends it with
/// `/amazon connect` and it is stored sealed by the vault.
#[derive(Debug, Clone)]
pub struct AmazonConfig {
    /// The app's Login with Amazon client id (`[amazon] client_id`, env `FA_AMAZON_CLIENT_ID`).
    pub client_id: String,
    /// The app's client secret: env `FA_AMAZON_CLIENT_SECRET`, or the file named by
    /// `[amazon] client_secret_file`.
    pub client_secret: Secret,
    /// The queue (`[amazon] queue_url`, env `FA_AMAZON_QUEUE_URL`); `None`: no queue is read,
    /// only the scheduled checks and the tools run.
    pub queue_url: Option<Url>,
    /// The queue's AWS region (`[amazon] queue_region`); default: read from the queue URL's
    /// host (`sqs.<region>.amazonaws.com`).
    pub queue_region: Option<String>,
    /// The IAM access key id that reads the queue (`[amazon] aws_access_key_id`, env
    /// `AWS_ACCESS_KEY_ID`).
    pub aws_access_key_id: Option<String>,
    /// Its secret: env `AWS_SECRET_ACCESS_KEY`, or the file named by
    /// `[amazon] aws_secret_access_key_file`.
    pub aws_secret_access_key: Option<Secret>,
    /// Another SP-API endpoint (the sandbox, tests): `[amazon] sp_api_url`, env
    /// `FA_AMAZON_SP_API_URL`.
    pub sp_api_url: Option<Url>,
    /// Another Login with Amazon token endpoint (tests): `[amazon] lwa_url`, env
    /// `FA_AMAZON_LWA_URL`.
    pub lwa_url: Option<Url>,
    /// Another SQS endpoint (a local `moto_server` in tests): `[amazon] sqs_endpoint`, env
    /// `FA_AMAZON_SQS_ENDPOINT`.
    pub sqs_endpoint: Option<Url>,
}

/// The household (`[household]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdConfig {
    /// Its name (`[household] name`), not blank; default `Home`.
    pub name: String,
    /// The first member's name (`[household] owner_name`, env `FA_OWNER_NAME`).
    pub owner_name: Option<String>,
    /// The IANA time zone (`[household] timezone`, env `FA_TIMEZONE`).
    pub timezone: Option<Tz>,
    /// The language tag the bot speaks (`[household] locale`); default `en`.
    pub locale: String,
}

impl Default for HouseholdConfig {
    fn default() -> Self {
        Self {
            name: DEFAULT_HOUSEHOLD_NAME.to_owned(),
            owner_name: None,
            timezone: None,
            locale: DEFAULT_LOCALE.to_owned(),
        }
    }
}

/// Per-member rate limits (`[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Messages a member may send per minute (1 to 600, default 20).
    pub messages_per_minute: u32,
    /// How many of those may come at once (1 to 100, default 5).
    pub burst: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            messages_per_minute: DEFAULT_MESSAGES_PER_MINUTE,
            burst: DEFAULT_BURST,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Plain text, for people.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging (`[log]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `[log] format` (`"text"` or `"json"`), env `FA_LOG_FORMAT`; default text.
    pub format: LogFormat,
    /// Which messages are logged, in `tracing`'s `EnvFilter` syntax (`[log] filter`); default
    /// `info`.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: DEFAULT_LOG_FILTER.to_owned(),
        }
    }
}

impl Default for BotConfig {
    /// The defaults: what [`BotConfig::load`] gives with no file and an empty environment.
    fn default() -> Self {
        Self {
            data_dir: None,
            database_url: None,
            master_key_file: None,
            telegram: None,
            http: HttpConfig::default(),
            model: ModelConfig::default(),
            transcriber: None,
            household: HouseholdConfig::default(),
            limits: LimitsConfig::default(),
            log: LogConfig::default(),
            amazon: None,
            calendar: None,
        }
    }
}

/// A bad configuration: what is wrong, and where.
///
/// Displays as `{key}: {message}`. It never shows a value read from a secret source (a secret
/// variable, a secret file, or a key that holds a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
#[non_exhaustive]
pub struct ConfigError {
    /// The full dotted key (`telegram.webhook.max_connections`), the environment variable
    /// (`FA_WEBHOOK_URL`), or, for a file that cannot be read or is not valid TOML, its path.
    pub key: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl ConfigError {
    /// An error about `key` (a dotted key, an environment variable or a path).
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl BotConfig {
    /// Reads the TOML file at `path`, if given (a file named explicitly must exist), and the
    /// environment through `env`, which returns a variable's value (so tests need not touch the
    /// process environment). The environment wins over the file.
    pub fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let env = Env(env);
        let Some(path) = path else {
            return Self::from_table(&Table::new(), None, &env);
        };
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&origin, format!("cannot read the config file: {e}")))?;
        let table = parse_toml(&text, &origin)?;
        let base = path.parent().filter(|dir| !dir.as_os_str().is_empty());
        Self::from_table(&table, base, &env)
    }

    /// [`BotConfig::load`] with the file named by `FA_CONFIG` (if set) and the process
    /// environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let lookup = |name: &str| std::env::var(name).ok();
        let path = std::env::var_os(ENV_CONFIG)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        Self::load(path.as_deref(), &lookup)
    }

    /// Like [`BotConfig::load`], with the TOML given as text. Its syntax errors are reported
    /// under the key `config`; relative paths in it are taken from the current directory.
    pub fn from_toml_str(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let table = parse_toml(text, "config")?;
        Self::from_table(&table, None, &Env(env))
    }

    fn from_table(table: &Table, base: Option<&Path>, env: &Env<'_>) -> Result<Self, ConfigError> {
        let root = Section::root(table, base)?;
        let store = root.child(&STORE)?;
        let telegram = root.child(&TELEGRAM)?;
        let webhook = telegram.child(&WEBHOOK)?;
        let http = root.child(&HTTP)?;
        let model = root.child(&MODEL)?;
        let transcriber = root.child(&TRANSCRIBER)?;
        let household = root.child(&HOUSEHOLD)?;
        let limits = root.child(&LIMITS)?;
        let log = root.child(&LOG)?;
        let amazon = root.child(&AMAZON)?;
        let calendar = root.child(&calendar::CALENDAR)?;

        let file_data_dir = store.path("data_dir")?;
        let data_dir = env.parse(ENV_DATA_DIR, &PATH)?.or(file_data_dir);
        let database_url = database_url(env, &store)?;
        let master_key_file = store.path("master_key_file")?;
        let telegram = telegram_config(env, &telegram, &webhook)?;
        let http = http_config(env, &http, telegram.as_ref())?;
        let calendar = calendar::calendar_config(
            env,
            &calendar,
            telegram
                .as_ref()
                .and_then(|t| t.webhook.as_ref())
                .map(|w| &w.public_url),
        )?;
        Ok(Self {
            data_dir,
            database_url,
            master_key_file,
            telegram,
            http,
            model: model_config(env, &model)?,
            transcriber: transcriber_config(env, &transcriber)?,
            household: household_config(env, &household)?,
            limits: limits_config(&limits)?,
            log: log_config(env, &log)?,
            amazon: amazon_config(env, &amazon)?,
            calendar,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Sections.

fn database_url(env: &Env<'_>, store: &Section<'_>) -> Result<Option<Secret>, ConfigError> {
    let inline = store.parse("database_url", &INLINE_DATABASE_URL)?;
    if inline.is_some() && store.value("database_url_file").is_some() {
        return Err(store.error(
            "database_url",
            "set only one of store.database_url and store.database_url_file",
        ));
    }
    Ok(
        match secret(env, &[ENV_DATABASE_URL], store, "database_url_file")? {
            Some((url, _)) => Some(url),
            None => inline.map(Secret::new),
        },
    )
}

fn telegram_config(
    env: &Env<'_>,
    section: &Section<'_>,
    webhook: &Section<'_>,
) -> Result<Option<TelegramConfig>, ConfigError> {
    let file_api_url = section.parse("api_url", &HTTP_URL)?;
    let api_url = match env.parse(ENV_TELEGRAM_API_URL, &HTTP_URL)?.or(file_api_url) {
        Some(url) => url,
        None => Url::parse(DEFAULT_TELEGRAM_API_URL)
            .map_err(|e| section.error("api_url", format!("bad built-in default ({e})")))?,
    };
    let file_owner_id = section.int("owner_id", 1, i64::MAX)?;
    let owner_id = env
        .int(ENV_OWNER_TELEGRAM_ID, 1, i64::MAX)?
        .or(file_owner_id);
    let poll_timeout_secs = section
        .int("poll_timeout_secs", 0, 50)?
        .unwrap_or(DEFAULT_POLL_TIMEOUT_SECS);
    let throttle = section.boolean("throttle")?.unwrap_or(true);

    let file_public_url = webhook.parse("public_url", &WEBHOOK_URL)?;
    let public_url = pick(
        env.parse(ENV_WEBHOOK_URL, &WEBHOOK_URL)?,
        ENV_WEBHOOK_URL,
        file_public_url,
        webhook.key("public_url"),
    );
    let max_connections = webhook
        .int("max_connections", 1, 100)?
        .unwrap_or(DEFAULT_MAX_CONNECTIONS);
    let path = webhook
        .parse("path", &WEBHOOK_PATH)?
        .unwrap_or_else(|| DEFAULT_WEBHOOK_PATH.to_owned());
    // Checked even when it is not read, so a bad value does not wait for the day it matters.
    webhook.path("secret_file")?;

    let token = secret(
        env,
        &[ENV_TELEGRAM_TOKEN, ENV_TELEGRAM_TOKEN_ALT],
        section,
        "token_file",
    )?;
    let Some((token, token_origin)) = token else {
        return Ok(None);
    };
    check_token(&token, &token_origin)?;

    let webhook = match public_url {
        None => None,
        Some((public_url, origin)) => {
            check_webhook_port(&public_url, &api_url, &origin)?;
            let secret = match secret(env, &[ENV_WEBHOOK_SECRET], webhook, "secret_file")? {
                Some((secret, origin)) => {
                    check_webhook_secret(&secret, &origin)?;
                    Some(secret)
                }
                None => None,
            };
            Some(WebhookConfig {
                public_url,
                secret,
                max_connections,
                path,
            })
        }
    };
    Ok(Some(TelegramConfig {
        token,
        api_url,
        owner_id,
        poll_timeout: Duration::from_secs(poll_timeout_secs),
        throttle,
        webhook,
    }))
}

fn http_config(
    env: &Env<'_>,
    section: &Section<'_>,
    telegram: Option<&TelegramConfig>,
) -> Result<HttpConfig, ConfigError> {
    let file_listen = section.parse("listen", &LISTEN)?;
    let (listen, origin) = pick(
        env.parse(ENV_HTTP_LISTEN, &LISTEN)?,
        ENV_HTTP_LISTEN,
        file_listen,
        section.key("listen"),
    )
    .unwrap_or((Some(DEFAULT_LISTEN), section.key("listen")));
    let webhook_on = telegram.is_some_and(|t| t.webhook.is_some());
    if listen.is_none() && webhook_on {
        return Err(ConfigError::new(
            origin,
            format!(
                "is \"off\", but the webhook (telegram.webhook.public_url or {ENV_WEBHOOK_URL}) \
                 needs the HTTP listener: give an address such as 127.0.0.1:8080, or remove the \
                 webhook URL to use long polling"
            ),
        ));
    }
    Ok(HttpConfig { listen })
}

fn model_config(env: &Env<'_>, section: &Section<'_>) -> Result<ModelConfig, ConfigError> {
    let file_provider = section.parse("provider", &PROVIDER)?;
    let provider = match env.parse(ENV_MODEL_PROVIDER, &PROVIDER)?.or(file_provider) {
        Some(provider) => provider,
        None if env.get(ENV_OPENAI_BASE_URL).is_some() => ModelProvider::OpenAi,
        None => ModelProvider::Ollama,
    };
    let enabled = section.boolean("enabled")?.unwrap_or(true);
    let (name_var, url_var, url_kind) = match provider {
        ModelProvider::Ollama => (ENV_MODEL, ENV_OLLAMA_HOST, &OLLAMA_URL),
        ModelProvider::OpenAi => (ENV_OPENAI_MODEL, ENV_OPENAI_BASE_URL, &HTTP_URL),
    };
    let file_name = section.text("name")?;
    let name = match (env.get(name_var).or(file_name), provider) {
        (Some(name), _) => Some(name),
        (None, ModelProvider::Ollama) => Some(DEFAULT_OLLAMA_MODEL.to_owned()),
        (None, ModelProvider::OpenAi) if enabled => {
            return Err(section.error(
                "name",
                format!(
                    "the openai provider needs a model name: set model.name or \
                     {ENV_OPENAI_MODEL} (or set model.enabled = false for commands only)"
                ),
            ));
        }
        (None, ModelProvider::OpenAi) => None,
    };
    let file_url = section.parse("url", url_kind)?;
    let url = env.parse(url_var, url_kind)?.or(file_url);
    let api_key = secret(env, &[ENV_OPENAI_API_KEY], section, "api_key_file")?.map(|(s, _)| s);
    Ok(ModelConfig {
        provider,
        name,
        url,
        api_key,
        enabled,
    })
}

fn transcriber_config(
    env: &Env<'_>,
    section: &Section<'_>,
) -> Result<Option<TranscriberConfig>, ConfigError> {
    let file_url = section.parse("url", &HTTP_URL)?;
    let model = section
        .text("model")?
        .unwrap_or_else(|| DEFAULT_TRANSCRIBER_MODEL.to_owned());
    let language = section.parse("language", &LANGUAGE)?;
    section.path("api_key_file")?;
    let Some(url) = env.parse(ENV_TRANSCRIBER_URL, &HTTP_URL)?.or(file_url) else {
        return Ok(None);
    };
    let api_key = secret(env, &[ENV_TRANSCRIBER_API_KEY], section, "api_key_file")?.map(|(s, _)| s);
    Ok(Some(TranscriberConfig {
        url,
        model,
        api_key,
        language,
    }))
}

fn amazon_config(
    env: &Env<'_>,
    section: &Section<'_>,
) -> Result<Option<AmazonConfig>, ConfigError> {
    let file_client_id = section.text("client_id")?;
    let file_queue_url = section.parse("queue_url", &HTTP_URL)?;
    let queue_region = section.text("queue_region")?;
    let file_key_id = section.text("aws_access_key_id")?;
    let file_sp_api = section.parse("sp_api_url", &HTTP_URL)?;
    let file_lwa = section.parse("lwa_url", &HTTP_URL)?;
    let file_sqs = section.parse("sqs_endpoint", &HTTP_URL)?;
    section.path("client_secret_file")?;
    section.path("aws_secret_access_key_file")?;
    let Some(client_id) = env.get(ENV_AMAZON_CLIENT_ID).or(file_client_id) else {
        return Ok(None);
    };
    let Some((client_secret, _)) = secret(
        env,
        &[ENV_AMAZON_CLIENT_SECRET],
        section,
        "client_secret_file",
    )?
    else {
        return Err(ConfigError::new(
            "amazon.client_secret_file",
            format!(
                "amazon.client_id is set but the app's client secret is not: set \
                 {ENV_AMAZON_CLIENT_SECRET} or amazon.client_secret_file"
            ),
        ));
    };
    let queue_url = env
        .parse(ENV_AMAZON_QUEUE_URL, &HTTP_URL)?
        .or(file_queue_url);
    let aws_access_key_id = env.get(ENV_AWS_ACCESS_KEY_ID).or(file_key_id);
    let aws_secret_access_key = secret(
        env,
        &[ENV_AWS_SECRET_ACCESS_KEY],
        section,
        "aws_secret_access_key_file",
    )?
    .map(|(s, _)| s);
    if queue_url.is_some() && (aws_access_key_id.is_none() || aws_secret_access_key.is_none()) {
        return Err(ConfigError::new(
            "amazon.queue_url",
            format!(
                "reading the queue needs the IAM user's keys: set {ENV_AWS_ACCESS_KEY_ID} and \
                 {ENV_AWS_SECRET_ACCESS_KEY} (or amazon.aws_access_key_id and \
                 amazon.aws_secret_access_key_file)"
            ),
        ));
    }
    Ok(Some(AmazonConfig {
        client_id,
        client_secret,
        queue_url,
        queue_region,
        aws_access_key_id,
        aws_secret_access_key,
        sp_api_url: env.parse(ENV_AMAZON_SP_API_URL, &HTTP_URL)?.or(file_sp_api),
        lwa_url: env.parse(ENV_AMAZON_LWA_URL, &HTTP_URL)?.or(file_lwa),
        sqs_endpoint: env.parse(ENV_AMAZON_SQS_ENDPOINT, &HTTP_URL)?.or(file_sqs),
    }))
}

fn household_config(env: &Env<'_>, section: &Section<'_>) -> Result<HouseholdConfig, ConfigError> {
    let name = section
        .text("name")?
        .unwrap_or_else(|| DEFAULT_HOUSEHOLD_NAME.to_owned());
    let file_owner_name = section.text("owner_name")?;
    let file_timezone = section.parse("timezone", &TIMEZONE)?;
    let locale = section
        .parse("locale", &LOCALE)?
        .unwrap_or_else(|| DEFAULT_LOCALE.to_owned());
    Ok(HouseholdConfig {
        name,
        owner_name: env.get(ENV_OWNER_NAME).or(file_owner_name),
        timezone: env.parse(ENV_TIMEZONE, &TIMEZONE)?.or(file_timezone),
        locale,
    })
}

fn limits_config(section: &Section<'_>) -> Result<LimitsConfig, ConfigError> {
    Ok(LimitsConfig {
        messages_per_minute: section
            .int("messages_per_minute", 1, 600)?
            .unwrap_or(DEFAULT_MESSAGES_PER_MINUTE),
        burst: section.int("burst", 1, 100)?.unwrap_or(DEFAULT_BURST),
    })
}

fn log_config(env: &Env<'_>, section: &Section<'_>) -> Result<LogConfig, ConfigError> {
    let file_format = section.parse("format", &LOG_FORMAT)?;
    let filter = section
        .text("filter")?
        .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned());
    Ok(LogConfig {
        format: env
            .parse(ENV_LOG_FORMAT, &LOG_FORMAT)?
            .or(file_format)
            .unwrap_or_default(),
        filter,
    })
}

// ---------------------------------------------------------------------------------------------
// The tables the file may have, and their keys.

/// One table of the file.
struct Schema {
    /// Its dotted path (`""` for the top level).
    path: &'static str,
    /// The keys it accepts (a sub-table is a key too).
    keys: &'static [&'static str],
    /// Keys that would hold a secret: written in the file, they are refused.
    secrets: &'static [InlineSecret],
}

/// A secret key that must not be written in the file, and where the secret goes instead.
struct InlineSecret {
    key: &'static str,
    env: &'static str,
    file_key: &'static str,
}

static ROOT: Schema = Schema {
    path: "",
    keys: &[
        "store",
        "telegram",
        "http",
        "model",
        "transcriber",
        "household",
        "limits",
        "log",
        "amazon",
        "calendar",
    ],
    secrets: &[],
};
static STORE: Schema = Schema {
    path: "store",
    keys: &[
        "data_dir",
        "database_url",
        "database_url_file",
        "master_key_file",
    ],
    secrets: &[InlineSecret {
        key: "master_key",
        env: ENV_MASTER_KEY,
        file_key: "master_key_file",
    }],
};
static TELEGRAM: Schema = Schema {
    path: "telegram",
    keys: &[
        "token_file",
        "api_url",
        "owner_id",
        "poll_timeout_secs",
        "throttle",
        "webhook",
    ],
    secrets: &[
        InlineSecret {
            key: "token",
            env: ENV_TELEGRAM_TOKEN,
            file_key: "token_file",
        },
        InlineSecret {
            key: "bot_token",
            env: ENV_TELEGRAM_TOKEN,
            file_key: "token_file",
        },
    ],
};
static WEBHOOK: Schema = Schema {
    path: "telegram.webhook",
    keys: &["public_url", "secret_file", "max_connections", "path"],
    secrets: &[
        InlineSecret {
            key: "secret",
            env: ENV_WEBHOOK_SECRET,
            file_key: "secret_file",
        },
        InlineSecret {
            key: "secret_token",
            env: ENV_WEBHOOK_SECRET,
            file_key: "secret_file",
        },
    ],
};
static HTTP: Schema = Schema {
    path: "http",
    keys: &["listen"],
    secrets: &[],
};
static MODEL: Schema = Schema {
    path: "model",
    keys: &["provider", "name", "url", "api_key_file", "enabled"],
    secrets: &[InlineSecret {
        key: "api_key",
        env: ENV_OPENAI_API_KEY,
        file_key: "api_key_file",
    }],
};
static TRANSCRIBER: Schema = Schema {
    path: "transcriber",
    keys: &["url", "model", "api_key_file", "language"],
    secrets: &[InlineSecret {
        key: "api_key",
        env: ENV_TRANSCRIBER_API_KEY,
        file_key: "api_key_file",
    }],
};
static HOUSEHOLD: Schema = Schema {
    path: "household",
    keys: &["name", "owner_name", "timezone", "locale"],
    secrets: &[],
};
static LIMITS: Schema = Schema {
    path: "limits",
    keys: &["messages_per_minute", "burst"],
    secrets: &[],
};
static LOG: Schema = Schema {
    path: "log",
    keys: &["format", "filter"],
    secrets: &[],
};
static AMAZON: Schema = Schema {
    path: "amazon",
    keys: &[
        "client_id",
        "client_secret_file",
        "queue_url",
        "queue_region",
        "aws_access_key_id",
        "aws_secret_access_key_file",
        "sp_api_url",
        "lwa_url",
        "sqs_endpoint",
    ],
    secrets: &[
        InlineSecret {
            key: "client_secret",
            env: ENV_AMAZON_CLIENT_SECRET,
            file_key: "client_secret_file",
        },
        InlineSecret {
            key: "aws_secret_access_key",
            env: ENV_AWS_SECRET_ACCESS_KEY,
            file_key: "aws_secret_access_key_file",
        },
    ],
};
static SCHEMAS: [&Schema; 12] = [
    &ROOT,
    &STORE,
    &TELEGRAM,
    &WEBHOOK,
    &HTTP,
    &MODEL,
    &TRANSCRIBER,
    &HOUSEHOLD,
    &LIMITS,
    &LOG,
    &AMAZON,
    &calendar::CALENDAR,
];

fn dotted(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// One table of the parsed file (possibly absent), read through typed getters whose errors name
/// the full dotted key.
struct Section<'a> {
    schema: &'static Schema,
    table: Option<&'a Table>,
    /// The directory relative paths are taken from.
    base: Option<&'a Path>,
}

impl<'a> Section<'a> {
    fn root(table: &'a Table, base: Option<&'a Path>) -> Result<Self, ConfigError> {
        let section = Section {
            schema: &ROOT,
            table: Some(table),
            base,
        };
        section.check_keys()?;
        Ok(section)
    }

    /// The sub-table `schema` describes, its keys checked.
    fn child(&self, schema: &'static Schema) -> Result<Section<'a>, ConfigError> {
        let name = schema.path.rsplit('.').next().unwrap_or(schema.path);
        let table = match self.value(name) {
            None => None,
            Some(Value::Table(table)) => Some(table),
            Some(other) => {
                return Err(ConfigError::new(
                    schema.path,
                    format!(
                        "expected a table ([{}]), found {}",
                        schema.path,
                        describe(other)
                    ),
                ));
            }
        };
        let section = Section {
            schema,
            table,
            base: self.base,
        };
        section.check_keys()?;
        Ok(section)
    }

    /// Refuses secrets written inline, then unknown keys.
    fn check_keys(&self) -> Result<(), ConfigError> {
        let Some(table) = self.table else {
            return Ok(());
        };
        for key in table.keys() {
            if let Some(secret) = self.schema.secrets.iter().find(|s| s.key == key) {
                return Err(self.error(
                    key,
                    format!(
                        "secrets are not read from the config file: set the environment variable \
                         {} or write the secret to a file and name that file with {}",
                        secret.env,
                        self.key(secret.file_key)
                    ),
                ));
            }
        }
        for (key, value) in table {
            if !self.schema.keys.contains(&key.as_str()) {
                return Err(self.error(key, unknown_key_message(self.schema, key, value)));
            }
        }
        Ok(())
    }

    fn key(&self, key: &str) -> String {
        dotted(self.schema.path, key)
    }

    fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.key(key), message)
    }

    fn value(&self, key: &str) -> Option<&'a Value> {
        self.table.and_then(|table| table.get(key))
    }

    /// A string, trimmed; `what` names the expected value in the error.
    fn string(&self, key: &str, what: &str) -> Result<Option<&'a str>, ConfigError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim())),
            Some(other) => {
                Err(self.error(key, format!("expected {what}, found {}", describe(other))))
            }
        }
    }

    /// A string that is not blank, trimmed.
    fn text(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.string(key, "a non-empty string")? {
            None => Ok(None),
            Some("") => Err(self.error(key, "expected a non-empty string, found an empty one")),
            Some(s) => Ok(Some(s.to_owned())),
        }
    }

    /// A string read by `kind`.
    fn parse<T>(&self, key: &str, kind: &Kind<T>) -> Result<Option<T>, ConfigError> {
        match self.string(key, kind.what)? {
            None => Ok(None),
            Some(s) => kind.read(s).map(Some).map_err(|m| self.error(key, m)),
        }
    }

    /// A path, taken from the file's directory when relative.
    fn path(&self, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        Ok(self.parse(key, &PATH)?.map(|path| match self.base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path,
        }))
    }

    /// An integer in `min..=max`.
    fn int<T: TryFrom<i64>>(
        &self,
        key: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<T>, ConfigError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Integer(n)) => int_in(*n, min, max)
                .map(Some)
                .map_err(|m| self.error(key, m)),
            Some(other) => Err(self.error(
                key,
                format!("expected {}, found {}", int_what(min, max), describe(other)),
            )),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(other) => Err(self.error(
                key,
                format!("expected true or false, found {}", describe(other)),
            )),
        }
    }
}

fn unknown_key_message(schema: &Schema, key: &str, value: &Value) -> String {
    let what = if schema.path.is_empty() && value.is_table() {
        "unknown section"
    } else {
        "unknown key"
    };
    let mut message = what.to_owned();
    if let Some(suggestion) = suggestion(schema, key) {
        message.push_str(&format!("; did you mean {suggestion}?"));
    }
    if schema.path.is_empty() {
        let sections: Vec<String> = schema.keys.iter().map(|k| format!("[{k}]")).collect();
        message.push_str(&format!(
            " (the file may have the sections {})",
            sections.join(", ")
        ));
    } else {
        message.push_str(&format!(
            " ([{}] accepts {})",
            schema.path,
            schema.keys.join(", ")
        ));
    }
    let lower = key.to_ascii_lowercase();
    if !lower.ends_with("_file")
        && ["token", "secret", "password", "api_key", "apikey"]
            .iter()
            .any(|word| lower.contains(word))
    {
        message.push_str(
            "; secrets are read only from the environment or from files named by `*_file` keys",
        );
    }
    message
}

/// A known key close to `key`: in the same table, else the same name in another table.
fn suggestion(schema: &Schema, key: &str) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    let close = schema
        .keys
        .iter()
        .filter_map(|known| {
            let distance = edit_distance(&lower, known);
            is_close(&lower, known, distance).then_some((distance, *known))
        })
        .min_by_key(|(distance, _)| *distance);
    if let Some((_, known)) = close {
        return Some(dotted(schema.path, known));
    }
    SCHEMAS
        .iter()
        .find(|other| other.path != schema.path && other.keys.contains(&lower.as_str()))
        .map(|other| dotted(other.path, &lower))
}

fn is_close(a: &str, b: &str, distance: usize) -> bool {
    let shorter = a.chars().count().min(b.chars().count());
    distance <= 1
        || (distance <= 2 && shorter >= 5)
        || (distance <= 3 && shorter >= 10)
        || (shorter >= 4 && (a.starts_with(b) || b.starts_with(a)))
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        Value::String(_) => "a string".to_owned(),
        Value::Integer(n) => format!("the integer {n}"),
        Value::Float(x) => format!("the number {x}"),
        Value::Boolean(b) => format!("{b}"),
        Value::Datetime(_) => "a date-time".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Table(_) => "a table".to_owned(),
    }
}

fn int_what(min: i64, max: i64) -> String {
    if max == i64::MAX {
        format!("an integer of at least {min}")
    } else {
        format!("an integer from {min} to {max}")
    }
}

fn int_in<T: TryFrom<i64>>(n: i64, min: i64, max: i64) -> Result<T, String> {
    if (min..=max).contains(&n)
        && let Ok(value) = T::try_from(n)
    {
        return Ok(value);
    }
    Err(format!("expected {}, found {n}", int_what(min, max)))
}

/// Returns the environment value if there is one, else the file's, each with where it came from.
fn pick<T>(env: Option<T>, var: &str, file: Option<T>, key: String) -> Option<(T, String)> {
    match env {
        Some(value) => Some((value, var.to_owned())),
        None => file.map(|value| (value, key)),
    }
}

// ---------------------------------------------------------------------------------------------
// The environment, and secrets.

/// The environment, through the caller's lookup function.
struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    /// The variable's value, trimmed in place (so a secret is never copied); empty counts as unset.
    fn get(&self, name: &str) -> Option<String> {
        let mut value = (self.0)(name)?;
        let end = value.trim_end().len();
        value.truncate(end);
        let start = value.len() - value.trim_start().len();
        value.drain(..start);
        (!value.is_empty()).then_some(value)
    }

    fn parse<T>(&self, name: &str, kind: &Kind<T>) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => kind
                .read(&value)
                .map(Some)
                .map_err(|m| ConfigError::new(name, m)),
        }
    }

    fn int<T: TryFrom<i64>>(
        &self,
        name: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let n: i64 = value.parse().map_err(|_| {
            ConfigError::new(
                name,
                format!("expected {}, found {value:?}", int_what(min, max)),
            )
        })?;
        int_in(n, min, max)
            .map(Some)
            .map_err(|m| ConfigError::new(name, m))
    }

    /// The first of `names` that is set, with its name.
    fn secret(&self, names: &[&str]) -> Option<(Secret, String)> {
        names
            .iter()
            .find_map(|name| self.get(name).map(|v| (Secret::new(v), (*name).to_owned())))
    }
}

/// A secret from the first of `vars` that is set, else from the file `section.file_key` names
/// (not read when the environment has it). Returns it with where it came from.
fn secret(
    env: &Env<'_>,
    vars: &[&str],
    section: &Section<'_>,
    file_key: &str,
) -> Result<Option<(Secret, String)>, ConfigError> {
    let path = section.path(file_key)?;
    if let Some(found) = env.secret(vars) {
        return Ok(Some(found));
    }
    let Some(path) = path else {
        return Ok(None);
    };
    let key = section.key(file_key);
    let secret = read_secret_file(&key, &path)?;
    Ok(Some((secret, key)))
}

fn read_secret_file(key: &str, path: &Path) -> Result<Secret, ConfigError> {
    let shown = path.display();
    let bytes =
        Zeroizing::new(std::fs::read(path).map_err(|e| {
            ConfigError::new(key, format!("cannot read the secret file {shown}: {e}"))
        })?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ConfigError::new(key, format!("the secret file {shown} is not UTF-8 text")))?;
    let text = text.trim_end();
    if text.is_empty() {
        return Err(ConfigError::new(
            key,
            format!("the secret file {shown} is empty"),
        ));
    }
    Ok(Secret::new(text))
}

fn check_token(token: &Secret, origin: &str) -> Result<(), ConfigError> {
    let fits = token.expose().bytes().all(|b| {
        b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b'%' | b'"' | b'\'' | b'\\')
    });
    if fits {
        Ok(())
    } else {
        Err(ConfigError::new(
            origin,
            "expected a bot token as @BotFather gives it (like 123456789:AAH...); this one has a \
             character no token has (a space, a quote, '/', '?', '#', '%', '\\' or a non-ASCII \
             character)",
        ))
    }
}

fn check_webhook_secret(secret: &Secret, origin: &str) -> Result<(), ConfigError> {
    let value = secret.expose();
    let length = value.chars().count();
    let fits = (1..=256).contains(&length)
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fits {
        return Ok(());
    }
    let found = if length > 256 {
        format!("{length} characters")
    } else {
        "a character outside that set".to_owned()
    };
    Err(ConfigError::new(
        origin,
        format!(
            "expected 1 to 256 characters of A-Z, a-z, 0-9, _ and - (the Bot API's rule for \
             secret_token, https://core.telegram.org/bots/api#setwebhook), found {found}"
        ),
    ))
}

/// Telegram delivers webhooks only to ports 443, 80, 88 and 8443; a local Bot API server (another
/// `api_url`) and loopback hosts (tests) have no such rule.
fn check_webhook_port(url: &Url, api_url: &Url, origin: &str) -> Result<(), ConfigError> {
    if api_url.host_str() != Some(TELEGRAM_API_HOST) || is_loopback(url) {
        return Ok(());
    }
    match url.port_or_known_default() {
        Some(443 | 80 | 88 | 8443) => Ok(()),
        port => Err(ConfigError::new(
            origin,
            format!(
                "Telegram delivers webhooks only to ports 443, 80, 88 and 8443 \
                 (https://core.telegram.org/bots/api#setwebhook), found port {}",
                port.map_or_else(|| "none".to_owned(), |p| p.to_string())
            ),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Values.

/// How to read one kind of string value, from the file or the environment.
struct Kind<T> {
    /// The expected value, for type errors (`expected {what}, found an integer`).
    what: &'static str,
    /// Reads a trimmed, non-empty value; the error says what is expected.
    parse: fn(&str) -> Result<T, String>,
}

impl<T> Kind<T> {
    fn read(&self, value: &str) -> Result<T, String> {
        if value.is_empty() {
            return Err(format!("expected {}, found an empty string", self.what));
        }
        (self.parse)(value)
    }
}

const PATH: Kind<PathBuf> = Kind {
    what: "a path",
    parse: |s| {
        if s == "~" || s.starts_with("~/") {
            Err("expected a path; `~` is not expanded here, so write the full path".to_owned())
        } else {
            Ok(PathBuf::from(s))
        }
    },
};
const HTTP_URL: Kind<Url> = Kind {
    what: "an http:// or https:// URL",
    parse: http_url,
};
const OLLAMA_URL: Kind<Url> = Kind {
    what: "an Ollama server (a URL such as http://localhost:11434, or host:port)",
    parse: ollama_url,
};
const WEBHOOK_URL: Kind<Url> = Kind {
    what: "an https:// URL",
    parse: webhook_url,
};
const WEBHOOK_PATH: Kind<String> = Kind {
    what: "a path starting with '/' such as \"/telegram/webhook\"",
    parse: webhook_path,
};
const LISTEN: Kind<Option<SocketAddr>> = Kind {
    what: "an address such as \"127.0.0.1:8080\", or \"off\"",
    parse: listen,
};
const PROVIDER: Kind<ModelProvider> = Kind {
    what: "\"ollama\" or \"openai\"",
    parse: |s| match s.to_ascii_lowercase().as_str() {
        "ollama" => Ok(ModelProvider::Ollama),
        "openai" => Ok(ModelProvider::OpenAi),
        _ => Err(format!("expected \"ollama\" or \"openai\", found {s:?}")),
    },
};
const LOG_FORMAT: Kind<LogFormat> = Kind {
    what: "\"text\" or \"json\"",
    parse: |s| match s.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(format!("expected \"text\" or \"json\", found {s:?}")),
    },
};
const TIMEZONE: Kind<Tz> = Kind {
    what: "an IANA time zone name such as \"Europe/Berlin\"",
    parse: timezone,
};
const LOCALE: Kind<String> = Kind {
    what: "a language tag such as \"en\" or \"de-CH\"",
    parse: locale,
};
const LANGUAGE: Kind<String> = Kind {
    what: "an ISO 639-1 language code such as \"en\"",
    parse: language,
};
const INLINE_DATABASE_URL: Kind<String> = Kind {
    what: "a database URL without a password, such as \"postgres://user@host/db\"",
    parse: inline_database_url,
};

/// An `http://` or `https://` URL with a host. The value is not repeated in the error: a URL may
/// hold credentials.
fn http_url(s: &str) -> Result<Url, String> {
    const EXPECTED: &str = "expected an http:// or https:// URL";
    if !s.contains("://") {
        return Err(format!(
            "{EXPECTED} such as https://example.org, found a value without a scheme"
        ));
    }
    let url = Url::parse(s).map_err(|e| format!("{EXPECTED}, found an invalid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{EXPECTED}, found a {}:// URL", url.scheme()));
    }
    if url.host().is_none() {
        return Err(format!("{EXPECTED} with a host"));
    }
    Ok(url)
}

/// An Ollama server, written as a URL or the way `OLLAMA_HOST` may be written (`gpu-box:11434`,
/// `0.0.0.0`, `:11434`): without a scheme `http://` and port 11434 are assumed, and a bind-all
/// address means loopback, as the `ollama` CLI reads it.
fn ollama_url(s: &str) -> Result<Url, String> {
    #[cfg(feature = "ollama")]
    {
        let url = fa_core::llm::OllamaOptions::parse_host(s).ok_or_else(|| {
            "expected an Ollama server such as localhost:11434 or http://gpu-box:11434, found a \
             bad port"
                .to_owned()
        })?;
        http_url(&url)
    }
    #[cfg(not(feature = "ollama"))]
    http_url(s)
}

fn webhook_url(s: &str) -> Result<Url, String> {
    let url = http_url(s).map_err(|m| m.replace("an http:// or https://", "an https://"))?;
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(
            "expected an https:// URL: Telegram posts webhooks only over HTTPS \
                    (http:// is accepted only for a loopback host such as 127.0.0.1 or \
                    localhost, for tests)"
                .to_owned(),
        );
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.to_ascii_lowercase();
            domain == "localhost" || domain.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn webhook_path(s: &str) -> Result<String, String> {
    if !s.starts_with('/') {
        return Err(format!(
            "expected a path starting with '/' such as \"/telegram/webhook\", found {s:?}"
        ));
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
    {
        return Err(format!(
            "expected a URL path (no spaces, '?' or '#') such as \"/telegram/webhook\", found {s:?}"
        ));
    }
    Ok(s.to_owned())
}

fn listen(s: &str) -> Result<Option<SocketAddr>, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| {
        format!(
            "expected an IP address and port such as \"127.0.0.1:8080\" or \"[::]:8080\", or \
             \"off\", found {s:?}"
        )
    })
}

fn timezone(s: &str) -> Result<Tz, String> {
    if let Ok(tz) = s.parse::<Tz>() {
        return Ok(tz);
    }
    let hint = closest_timezone(s)
        .map(|name| format!("; did you mean \"{name}\"?"))
        .unwrap_or_default();
    Err(format!(
        "expected an IANA time zone name such as \"Europe/Berlin\" or \"America/New_York\", \
         found {s:?}{hint}"
    ))
}

fn closest_timezone(s: &str) -> Option<&'static str> {
    let wanted = s.to_ascii_lowercase();
    let mut best: Option<(usize, &'static str)> = None;
    for tz in chrono_tz::TZ_VARIANTS.iter() {
        let name = tz.name();
        let distance = edit_distance(&wanted, &name.to_ascii_lowercase());
        if distance == 0 {
            return Some(name);
        }
        if distance <= 2 && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, name));
        }
    }
    best.map(|(_, name)| name)
}

fn locale(s: &str) -> Result<String, String> {
    let mut parts = s.split(['-', '_']);
    let language = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if language && rest {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "expected a language tag such as \"en\" or \"de-CH\", found {s:?}"
        ))
    }
}

fn language(s: &str) -> Result<String, String> {
    if (2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(format!(
            "expected an ISO 639-1 language code such as \"en\" or \"de\", found {s:?}"
        ))
    }
}

/// A database URL written in the file: allowed only without a password.
fn inline_database_url(s: &str) -> Result<String, String> {
    let url = Url::parse(s).map_err(|e| {
        format!(
            "expected a database URL such as \"postgres://user@host/db\" or \
             \"sqlite:///path/fa.db\", found an invalid URL ({e})"
        )
    })?;
    let password_in_query = url
        .query_pairs()
        .any(|(name, _)| name.eq_ignore_ascii_case("password"));
    if url.password().is_some() || password_in_query {
        return Err(format!(
            "this URL holds a password, and secrets are not read from the config file: set the \
             environment variable {ENV_DATABASE_URL} or write the URL to a file and name that \
             file with store.database_url_file"
        ));
    }
    Ok(s.to_owned())
}

fn parse_toml(text: &str, origin: &str) -> Result<Table, ConfigError> {
    text.parse::<Table>().map_err(|e| {
        let message = e.message().trim_end();
        match e.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                ConfigError::new(
                    origin,
                    format!("invalid TOML at line {line}, column {column}: {message}"),
                )
            }
            None => ConfigError::new(origin, format!("invalid TOML: {message}")),
        }
    })
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::fs;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// The example file, as shipped in the docs.
    const EXAMPLE: &str = include_str!("../../../docs/family-bot.example.toml");

    const TOKEN: &str = "123456789:AAHsecretTOKENvalue_-xyz";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    pub(super) fn load_str(text: &str, pairs: &[(&str, &str)]) -> Result<BotConfig, ConfigError> {
        BotConfig::from_toml_str(text, &env(pairs))
    }

    pub(super) fn error(text: &str, pairs: &[(&str, &str)]) -> ConfigError {
        match load_str(text, pairs) {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(e) => e,
        }
    }

    /// A directory removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("fa-config-test-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        fn write(&self, name: &str, content: &str) -> PathBuf {
            let path = self.0.join(name);
            fs::write(&path, content).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// A TOML string literal holding `path`.
    fn toml_path(path: &Path) -> String {
        format!("{:?}", path.display().to_string())
    }

    #[test]
    fn defaults() {
        let config = BotConfig::load(None, &env(&[])).unwrap();
        assert_eq!(format!("{config:?}"), format!("{:?}", BotConfig::default()));
        assert!(config.data_dir.is_none());
        assert!(config.database_url.is_none());
        assert!(config.master_key_file.is_none());
        assert!(config.telegram.is_none());
        assert_eq!(config.http.listen, Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(config.model.provider, ModelProvider::Ollama);
        assert_eq!(config.model.name.as_deref(), Some("qwen3:8b"));
        assert!(config.model.url.is_none());
        assert!(config.model.api_key.is_none());
        assert!(config.model.enabled);
        assert!(config.transcriber.is_none());
        assert_eq!(config.household.name, "Home");
        assert_eq!(config.household.locale, "en");
        assert!(config.household.owner_name.is_none());
        assert!(config.household.timezone.is_none());
        assert_eq!(
            config.limits,
            LimitsConfig {
                messages_per_minute: 20,
                burst: 5
            }
        );
        assert_eq!(config.log.format, LogFormat::Text);
        assert_eq!(config.log.filter, "info");
    }

    #[test]
    fn defaults_with_only_a_token() {
        let config = load_str("", &[("FA_TELEGRAM_TOKEN", TOKEN)]).unwrap();
        let telegram = config.telegram.unwrap();
        assert_eq!(telegram.token.expose(), TOKEN);
        assert_eq!(telegram.api_url.as_str(), "https://api.telegram.org/");
        assert_eq!(telegram.poll_timeout, Duration::from_secs(30));
        assert!(telegram.owner_id.is_none());
        assert!(telegram.webhook.is_none());
    }

    #[test]
    fn file_only() {
        let dir = TempDir::new();
        dir.write("token", &format!("{TOKEN}\n"));
        let path = dir.write(
            "bot.toml",
            r#"
[store]
data_dir = "data"
database_url = "postgres://family@db.internal/family"
master_key_file = "/run/secrets/master.key"

[telegram]
token_file = "token"
api_url = "http://127.0.0.1:8081"
owner_id = 42
poll_timeout_secs = 10

[telegram.webhook]
public_url = "https://bot.example.org:8443/hook"
max_connections = 10
path = "/hook"

[http]
listen = "[::]:9000"

[model]
provider = "openai"
name = "gpt-4o-mini"
url = "https://api.openai.com/v1"
enabled = false

[transcriber]
url = "http://localhost:8000/v1"
model = "small"
language = "DE"

[household]
name = "The Smiths"
owner_name = "Alex"
timezone = "Europe/Berlin"
locale = "de-CH"

[limits]
messages_per_minute = 60
burst = 10

[log]
format = "json"
filter = "info,fa_core=debug"
"#,
        );
        let config = BotConfig::load(Some(&path), &env(&[])).unwrap();
        assert_eq!(config.data_dir, Some(dir.0.join("data")));
        assert_eq!(
            config.database_url.unwrap().expose(),
            "postgres://family@db.internal/family"
        );
        assert_eq!(
            config.master_key_file,
            Some(PathBuf::from("/run/secrets/master.key"))
        );
        let telegram = config.telegram.unwrap();
        assert_eq!(telegram.token.expose(), TOKEN);
        assert_eq!(telegram.api_url.as_str(), "http://127.0.0.1:8081/");
        assert_eq!(telegram.owner_id, Some(42));
        assert_eq!(telegram.poll_timeout, Duration::from_secs(10));
        let webhook = telegram.webhook.unwrap();
        assert_eq!(
            webhook.public_url.as_str(),
            "https://bot.example.org:8443/hook"
        );
        assert!(webhook.secret.is_none());
        assert_eq!(webhook.max_connections, 10);
        assert_eq!(webhook.path, "/hook");
        assert_eq!(config.http.listen, Some("[::]:9000".parse().unwrap()));
        assert_eq!(config.model.provider, ModelProvider::OpenAi);
        assert_eq!(config.model.name.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(
            config.model.url.unwrap().as_str(),
            "https://api.openai.com/v1"
        );
        assert!(!config.model.enabled);
        let transcriber = config.transcriber.unwrap();
        assert_eq!(transcriber.url.as_str(), "http://localhost:8000/v1");
        assert_eq!(transcriber.model, "small");
        assert_eq!(transcriber.language.as_deref(), Some("de"));
        assert!(transcriber.api_key.is_none());
        assert_eq!(
            config.household,
            HouseholdConfig {
                name: "The Smiths".into(),
                owner_name: Some("Alex".into()),
                timezone: Some(chrono_tz::Europe::Berlin),
                locale: "de-CH".into(),
            }
        );
        assert_eq!(config.limits.messages_per_minute, 60);
        assert_eq!(config.limits.burst, 10);
        assert_eq!(config.log.format, LogFormat::Json);
        assert_eq!(config.log.filter, "info,fa_core=debug");
    }

    #[test]
    fn env_overrides_file() {
        let file = r#"
[store]
data_dir = "/from/file"
[telegram]
api_url = "https://file.example.org"
owner_id = 1
[telegram.webhook]
public_url = "https://file.example.org/hook"
[http]
listen = "127.0.0.1:1111"
[model]
provider = "openai"
name = "file-model"
url = "http://file:1/v1"
[transcriber]
url = "http://file:2/v1"
[household]
owner_name = "File"
timezone = "Europe/Berlin"
[log]
format = "text"
"#;
        let config = load_str(
            file,
            &[
                ("FA_DATA_DIR", "/from/env"),
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_TELEGRAM_API_URL", "https://env.example.org"),
                ("FA_OWNER_TELEGRAM_ID", "2"),
                ("FA_WEBHOOK_URL", "https://env.example.org/hook"),
                ("FA_HTTP_LISTEN", "0.0.0.0:2222"),
                ("FA_MODEL_PROVIDER", "ollama"),
                ("FA_MODEL", "env-model"),
                ("OLLAMA_HOST", "gpu-box"),
                ("FA_TRANSCRIBER_URL", "http://env:3/v1"),
                ("FA_OWNER_NAME", "Env"),
                ("FA_TIMEZONE", "America/New_York"),
                ("FA_LOG_FORMAT", "json"),
            ],
        )
        .unwrap();
        assert_eq!(config.data_dir, Some(PathBuf::from("/from/env")));
        let telegram = config.telegram.unwrap();
        assert_eq!(telegram.api_url.as_str(), "https://env.example.org/");
        assert_eq!(telegram.owner_id, Some(2));
        assert_eq!(
            telegram.webhook.unwrap().public_url.as_str(),
            "https://env.example.org/hook"
        );
        assert_eq!(config.http.listen, Some("0.0.0.0:2222".parse().unwrap()));
        assert_eq!(config.model.provider, ModelProvider::Ollama);
        assert_eq!(config.model.name.as_deref(), Some("env-model"));
        assert_eq!(config.model.url.unwrap().as_str(), "http://gpu-box:11434/");
        assert_eq!(config.transcriber.unwrap().url.as_str(), "http://env:3/v1");
        assert_eq!(config.household.owner_name.as_deref(), Some("Env"));
        assert_eq!(
            config.household.timezone,
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(config.log.format, LogFormat::Json);
    }

    #[test]
    fn empty_env_values_count_as_unset() {
        let config = load_str(
            "[http]\nlisten = \"127.0.0.1:1234\"\n",
            &[
                ("FA_TELEGRAM_TOKEN", ""),
                ("TELEGRAM_BOT_TOKEN", "  "),
                ("FA_HTTP_LISTEN", ""),
                ("FA_MODEL_PROVIDER", ""),
                ("FA_OPENAI_BASE_URL", ""),
            ],
        )
        .unwrap();
        assert!(config.telegram.is_none());
        assert_eq!(config.http.listen, Some("127.0.0.1:1234".parse().unwrap()));
        assert_eq!(config.model.provider, ModelProvider::Ollama);
    }

    #[test]
    fn token_from_either_variable_or_a_file() {
        let from_fa = load_str("", &[("FA_TELEGRAM_TOKEN", TOKEN)]).unwrap();
        assert_eq!(from_fa.telegram.unwrap().token.expose(), TOKEN);
        let from_alt = load_str("", &[("TELEGRAM_BOT_TOKEN", &format!(" {TOKEN}\n"))]).unwrap();
        assert_eq!(from_alt.telegram.unwrap().token.expose(), TOKEN);
        let both = load_str(
            "",
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("TELEGRAM_BOT_TOKEN", "1:other"),
            ],
        )
        .unwrap();
        assert_eq!(both.telegram.unwrap().token.expose(), TOKEN);

        let dir = TempDir::new();
        let token_file = dir.write("telegram_token", &format!("{TOKEN}\r\n\n"));
        let text = format!("[telegram]\ntoken_file = {}\n", toml_path(&token_file));
        let from_file = load_str(&text, &[]).unwrap();
        assert_eq!(from_file.telegram.unwrap().token.expose(), TOKEN);
        // The environment wins, and the file is then not read.
        let text = "[telegram]\ntoken_file = \"/nonexistent/fa-token\"\n";
        let env_wins = load_str(text, &[("FA_TELEGRAM_TOKEN", "9:fromenv")]).unwrap();
        assert_eq!(env_wins.telegram.unwrap().token.expose(), "9:fromenv");
    }

    #[test]
    fn relative_secret_files_are_taken_from_the_config_directory() {
        let dir = TempDir::new();
        fs::create_dir_all(dir.0.join("secrets")).unwrap();
        dir.write("secrets/token", TOKEN);
        let path = dir.write("bot.toml", "[telegram]\ntoken_file = \"secrets/token\"\n");
        let config = BotConfig::load(Some(&path), &env(&[])).unwrap();
        assert_eq!(config.telegram.unwrap().token.expose(), TOKEN);
    }

    #[test]
    fn webhook_secret_from_env_and_from_a_file() {
        let base = "[telegram.webhook]\npublic_url = \"https://bot.example.org/hook\"\n";
        let from_env = load_str(
            base,
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_WEBHOOK_SECRET", "abc_DEF-123"),
            ],
        )
        .unwrap();
        let webhook = from_env.telegram.unwrap().webhook.unwrap();
        assert_eq!(webhook.secret.unwrap().expose(), "abc_DEF-123");
        assert_eq!(webhook.max_connections, 40);
        assert_eq!(webhook.path, "/telegram/webhook");

        let dir = TempDir::new();
        let file = dir.write("webhook_secret", "from-file_1\n");
        let text = format!("{base}secret_file = {}\n", toml_path(&file));
        let from_file = load_str(&text, &[("FA_TELEGRAM_TOKEN", TOKEN)]).unwrap();
        let secret = from_file.telegram.unwrap().webhook.unwrap().secret.unwrap();
        assert_eq!(secret.expose(), "from-file_1");
    }

    #[test]
    fn webhook_secret_must_fit_the_bot_api_rule() {
        let base = "[telegram.webhook]\npublic_url = \"https://bot.example.org/hook\"\n";
        let e = error(
            base,
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_WEBHOOK_SECRET", "has space!"),
            ],
        );
        assert_eq!(e.key, "FA_WEBHOOK_SECRET");
        assert!(e.message.contains("A-Z, a-z, 0-9, _ and -"), "{e}");
        assert!(
            e.message.contains("core.telegram.org/bots/api#setwebhook"),
            "{e}"
        );
        assert!(!e.message.contains("has space"), "{e}");

        let long = "a".repeat(257);
        let e = error(
            base,
            &[("FA_TELEGRAM_TOKEN", TOKEN), ("FA_WEBHOOK_SECRET", &long)],
        );
        assert!(e.message.contains("257 characters"), "{e}");
        let ok = "a".repeat(256);
        load_str(
            base,
            &[("FA_TELEGRAM_TOKEN", TOKEN), ("FA_WEBHOOK_SECRET", &ok)],
        )
        .unwrap();
    }

    #[test]
    fn the_amazon_section_needs_its_secrets_and_takes_env_overrides() {
        assert!(load_str("", &[]).unwrap().amazon.is_none());
        let text = "[amazon]\nclient_id = \"amzn1.application-oa2-client.x\"\n";
        let e = error(text, &[]);
        assert!(e.to_string().contains("FA_AMAZON_CLIENT_SECRET"), "{e}");
        let amazon = load_str(text, &[("FA_AMAZON_CLIENT_SECRET", "s3cret")])
            .unwrap()
            .amazon
            .unwrap();
        assert_eq!(amazon.client_secret.expose(), "s3cret");
        assert!(amazon.queue_url.is_none());
        assert!(!format!("{amazon:?}").contains("s3cret"));

        let queue = "[amazon]\nclient_id = \"id\"\nqueue_url = \"https://sqs.eu-west-1.amazonaws.com/1/q\"\n";
        let e = error(queue, &[("FA_AMAZON_CLIENT_SECRET", "s")]);
        assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");
        let amazon = load_str(
            queue,
            &[
                ("FA_AMAZON_CLIENT_SECRET", "s"),
                ("AWS_ACCESS_KEY_ID", "AKIA"),
                ("AWS_SECRET_ACCESS_KEY", "k"),
                ("FA_AMAZON_SQS_ENDPOINT", "http://127.0.0.1:5000"),
                ("FA_AMAZON_CLIENT_ID", "from-env"),
            ],
        )
        .unwrap()
        .amazon
        .unwrap();
        assert_eq!(amazon.client_id, "from-env");
        assert_eq!(amazon.aws_access_key_id.as_deref(), Some("AKIA"));
        assert_eq!(
            amazon.sqs_endpoint.unwrap().as_str(),
            "http://127.0.0.1:5000/"
        );
        // A secret written inline is refused, naming where it belongs.
        let inline = "[amazon]\nclient_id = \"id\"\nclient_secret = \"oops\"\n";
        let e = error(inline, &[]);
        assert!(e.to_string().contains("client_secret_file"), "{e}");
    }

    #[test]
    fn model_and_transcriber_keys_from_env_and_from_files() {
        let config = load_str(
            "[transcriber]\nurl = \"http://localhost:8000/v1\"\n",
            &[
                ("FA_OPENAI_API_KEY", "sk-model-env"),
                ("FA_TRANSCRIBER_API_KEY", "sk-transcriber-env"),
            ],
        )
        .unwrap();
        assert_eq!(config.model.api_key.unwrap().expose(), "sk-model-env");
        let transcriber = config.transcriber.unwrap();
        assert_eq!(transcriber.api_key.unwrap().expose(), "sk-transcriber-env");
        assert_eq!(transcriber.model, "whisper-1");

        let dir = TempDir::new();
        let model_key = dir.write("model_key", "sk-model-file\n");
        let transcriber_key = dir.write("transcriber_key", "sk-transcriber-file");
        let text = format!(
            "[model]\napi_key_file = {}\n[transcriber]\nurl = \"http://localhost:8000/v1\"\napi_key_file = {}\n",
            toml_path(&model_key),
            toml_path(&transcriber_key)
        );
        let config = load_str(&text, &[]).unwrap();
        assert_eq!(config.model.api_key.unwrap().expose(), "sk-model-file");
        assert_eq!(
            config.transcriber.unwrap().api_key.unwrap().expose(),
            "sk-transcriber-file"
        );
    }

    #[test]
    fn database_url_from_env_file_or_inline_without_password() {
        let env_url = "postgres://fa:hunter2@db/fa";
        let config = load_str("", &[("FA_DATABASE_URL", env_url)]).unwrap();
        assert_eq!(config.database_url.unwrap().expose(), env_url);

        let dir = TempDir::new();
        let file = dir.write("db_url", "postgres://fa:fromfile@db/fa\n");
        let text = format!("[store]\ndatabase_url_file = {}\n", toml_path(&file));
        let config = load_str(&text, &[]).unwrap();
        assert_eq!(
            config.database_url.unwrap().expose(),
            "postgres://fa:fromfile@db/fa"
        );

        let config = load_str("[store]\ndatabase_url = \"postgres://fa@db/fa\"\n", &[]).unwrap();
        assert_eq!(config.database_url.unwrap().expose(), "postgres://fa@db/fa");

        let e = error(
            "[store]\ndatabase_url = \"postgres://fa@db/fa\"\ndatabase_url_file = \"/x\"\n",
            &[],
        );
        assert_eq!(e.key, "store.database_url");
        assert!(e.message.contains("only one"), "{e}");
    }

    #[test]
    fn secret_file_errors_name_the_key_and_the_path() {
        let dir = TempDir::new();
        let empty = dir.write("empty", " \n\n");
        let text = format!("[telegram]\ntoken_file = {}\n", toml_path(&empty));
        let e = error(&text, &[]);
        assert_eq!(e.key, "telegram.token_file");
        assert!(e.message.contains("empty"), "{e}");
        assert!(e.message.contains(&empty.display().to_string()), "{e}");

        let missing = dir.0.join("missing");
        let text = format!("[model]\napi_key_file = {}\n", toml_path(&missing));
        let e = error(&text, &[]);
        assert_eq!(e.key, "model.api_key_file");
        assert!(e.message.contains("cannot read"), "{e}");
        assert!(e.message.contains(&missing.display().to_string()), "{e}");
    }

    #[test]
    fn inline_secrets_are_rejected_naming_the_key_and_the_variable() {
        let cases = [
            (
                format!("[telegram]\ntoken = \"{TOKEN}\"\n"),
                "telegram.token",
                "FA_TELEGRAM_TOKEN",
                "telegram.token_file",
            ),
            (
                "[telegram.webhook]\nsecret = \"abc\"\n".to_owned(),
                "telegram.webhook.secret",
                "FA_WEBHOOK_SECRET",
                "telegram.webhook.secret_file",
            ),
            (
                "[model]\napi_key = \"sk-inline\"\n".to_owned(),
                "model.api_key",
                "FA_OPENAI_API_KEY",
                "model.api_key_file",
            ),
            (
                "[transcriber]\napi_key = \"sk-inline\"\n".to_owned(),
                "transcriber.api_key",
                "FA_TRANSCRIBER_API_KEY",
                "transcriber.api_key_file",
            ),
            (
                "[store]\ndatabase_url = \"postgres://fa:hunter2@db/fa\"\n".to_owned(),
                "store.database_url",
                "FA_DATABASE_URL",
                "store.database_url_file",
            ),
            (
                "[store]\ndatabase_url = \"postgres://db/fa?user=fa&password=hunter2\"\n"
                    .to_owned(),
                "store.database_url",
                "FA_DATABASE_URL",
                "store.database_url_file",
            ),
        ];
        for (text, key, var, file_key) in cases {
            // Even with the variable set, the secret in the file is refused.
            let e = error(&text, &[(var, "1:whatever")]);
            assert_eq!(e.key, key, "{e}");
            assert!(e.message.contains(var), "{e}");
            assert!(e.message.contains(file_key), "{e}");
            for leaked in [TOKEN, "hunter2", "sk-inline"] {
                assert!(!e.to_string().contains(leaked), "{e}");
            }
        }
    }

    #[test]
    fn unknown_keys_are_named_with_a_suggestion() {
        let e = error("[telegram.webhook]\nmax_conections = 5\n", &[]);
        assert_eq!(e.key, "telegram.webhook.max_conections");
        assert!(e.message.contains("unknown key"), "{e}");
        assert!(
            e.message
                .contains("did you mean telegram.webhook.max_connections?"),
            "{e}"
        );

        let e = error("[telgram]\nowner_id = 1\n", &[]);
        assert_eq!(e.key, "telgram");
        assert!(e.message.contains("unknown section"), "{e}");
        assert!(e.message.contains("did you mean telegram?"), "{e}");

        // The right key in the wrong table.
        let e = error("[telegram]\nmax_connections = 5\n", &[]);
        assert_eq!(e.key, "telegram.max_connections");
        assert!(
            e.message
                .contains("did you mean telegram.webhook.max_connections?"),
            "{e}"
        );
        let e = error("data_dir = \"/x\"\n", &[]);
        assert_eq!(e.key, "data_dir");
        assert!(e.message.contains("did you mean store.data_dir?"), "{e}");

        let e = error("[telegram]\npoll_timeout = 5\n", &[]);
        assert!(
            e.message
                .contains("did you mean telegram.poll_timeout_secs?"),
            "{e}"
        );

        // Nothing close: no suggestion, but the accepted keys.
        let e = error("[log]\ncolour = true\n", &[]);
        assert_eq!(e.key, "log.colour");
        assert!(!e.message.contains("did you mean"), "{e}");
        assert!(e.message.contains("format, filter"), "{e}");
    }

    #[test]
    fn wrong_types_are_named() {
        let e = error("[telegram.webhook]\nmax_connections = \"40\"\n", &[]);
        assert_eq!(e.key, "telegram.webhook.max_connections");
        assert_eq!(
            e.message,
            "expected an integer from 1 to 100, found the string \"40\""
        );
        let e = error("[model]\nenabled = \"yes\"\n", &[]);
        assert_eq!(e.key, "model.enabled");
        assert!(e.message.contains("expected true or false"), "{e}");
        let e = error("[http]\nlisten = 8080\n", &[]);
        assert_eq!(e.key, "http.listen");
        assert!(e.message.contains("found the integer 8080"), "{e}");
        let e = error("telegram = \"x\"\n", &[]);
        assert_eq!(e.key, "telegram");
        assert!(e.message.contains("expected a table"), "{e}");
        let e = error("[household]\nname = \"  \"\n", &[]);
        assert_eq!(e.key, "household.name");
        assert!(e.message.contains("non-empty"), "{e}");
    }

    #[test]
    fn out_of_range_values_are_named() {
        for value in [0, 101] {
            let e = error(
                &format!("[telegram.webhook]\nmax_connections = {value}\n"),
                &[],
            );
            assert_eq!(e.key, "telegram.webhook.max_connections");
            assert_eq!(
                e.message,
                format!("expected an integer from 1 to 100, found {value}")
            );
        }
        let e = error("[telegram]\npoll_timeout_secs = 51\n", &[]);
        assert_eq!(e.key, "telegram.poll_timeout_secs");
        assert!(e.message.contains("from 0 to 50"), "{e}");
        let e = error("[limits]\nmessages_per_minute = 601\n", &[]);
        assert_eq!(e.key, "limits.messages_per_minute");
        let e = error("[limits]\nburst = 0\n", &[]);
        assert_eq!(e.key, "limits.burst");
        let e = error("", &[("FA_OWNER_TELEGRAM_ID", "abc")]);
        assert_eq!(e.key, "FA_OWNER_TELEGRAM_ID");
        assert!(e.message.contains("integer"), "{e}");
        let e = error("[telegram]\nowner_id = -5\n", &[]);
        assert_eq!(e.key, "telegram.owner_id");
    }

    #[test]
    fn bad_timezones_are_named() {
        let e = error("[household]\ntimezone = \"Mars/Olympus\"\n", &[]);
        assert_eq!(e.key, "household.timezone");
        assert!(e.message.contains("IANA"), "{e}");
        assert!(e.message.contains("Mars/Olympus"), "{e}");
        let e = error("", &[("FA_TIMEZONE", "europe/berlin")]);
        assert_eq!(e.key, "FA_TIMEZONE");
        assert!(e.message.contains("did you mean \"Europe/Berlin\"?"), "{e}");
        let config = load_str("", &[("FA_TIMEZONE", "UTC")]).unwrap();
        assert_eq!(config.household.timezone, Some(chrono_tz::UTC));
    }

    #[test]
    fn webhook_needs_https_except_on_loopback() {
        let token = [("FA_TELEGRAM_TOKEN", TOKEN)];
        let e = error(
            "[telegram.webhook]\npublic_url = \"http://bot.example.org/hook\"\n",
            &token,
        );
        assert_eq!(e.key, "telegram.webhook.public_url");
        assert!(e.message.contains("https://"), "{e}");
        let e = error(
            "",
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_WEBHOOK_URL", "http://10.0.0.5/hook"),
            ],
        );
        assert_eq!(e.key, "FA_WEBHOOK_URL");

        for url in [
            "http://127.0.0.1:9999/hook",
            "http://localhost:9999/hook",
            "http://[::1]:9999/hook",
        ] {
            let config =
                load_str("", &[("FA_TELEGRAM_TOKEN", TOKEN), ("FA_WEBHOOK_URL", url)]).unwrap();
            let webhook = config.telegram.unwrap().webhook.unwrap();
            assert_eq!(webhook.public_url.as_str(), url);
        }

        // Telegram's port rule applies to its own API server only.
        let e = error(
            "",
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_WEBHOOK_URL", "https://bot.example.org:9443/hook"),
            ],
        );
        assert_eq!(e.key, "FA_WEBHOOK_URL");
        assert!(e.message.contains("443, 80, 88 and 8443"), "{e}");
        load_str(
            "[telegram]\napi_url = \"http://127.0.0.1:8081\"\n",
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_WEBHOOK_URL", "https://bot.example.org:9443/hook"),
            ],
        )
        .unwrap();

        let e = error("[telegram.webhook]\npath = \"hook\"\n", &[]);
        assert_eq!(e.key, "telegram.webhook.path");
        assert!(e.message.contains("starting with '/'"), "{e}");
    }

    #[test]
    fn openai_needs_a_model_name() {
        let e = error("", &[("FA_OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")]);
        assert_eq!(e.key, "model.name");
        assert!(e.message.contains("FA_OPENAI_MODEL"), "{e}");
        // FA_MODEL is Ollama's, not OpenAI's.
        let e = error(
            "[model]\nprovider = \"openai\"\n",
            &[("FA_MODEL", "qwen3:8b")],
        );
        assert_eq!(e.key, "model.name");

        let config = load_str(
            "",
            &[
                ("FA_OPENAI_BASE_URL", "http://127.0.0.1:8080/v1"),
                ("FA_OPENAI_MODEL", "local"),
            ],
        )
        .unwrap();
        assert_eq!(config.model.provider, ModelProvider::OpenAi);
        assert_eq!(config.model.name.as_deref(), Some("local"));
        assert_eq!(
            config.model.url.unwrap().as_str(),
            "http://127.0.0.1:8080/v1"
        );

        // Without the model nothing needs a name.
        let config = load_str("[model]\nprovider = \"openai\"\nenabled = false\n", &[]).unwrap();
        assert!(config.model.name.is_none());

        let e = error("", &[("FA_MODEL_PROVIDER", "anthropic")]);
        assert_eq!(e.key, "FA_MODEL_PROVIDER");
        assert!(e.message.contains("\"ollama\" or \"openai\""), "{e}");
    }

    #[test]
    fn ollama_host_may_lack_a_scheme() {
        let cases = [
            ("localhost:11434", "http://localhost:11434/"),
            ("gpu-box", "http://gpu-box:11434/"),
            ("0.0.0.0", "http://127.0.0.1:11434/"),
            (":8080", "http://127.0.0.1:8080/"),
            ("[::]:11434", "http://[::1]:11434/"),
            ("https://ollama.example.org", "https://ollama.example.org/"),
        ];
        for (host, expected) in cases {
            let config = load_str("", &[("OLLAMA_HOST", host)]).unwrap();
            assert_eq!(config.model.url.unwrap().as_str(), expected, "{host}");
        }
        let config = load_str("[model]\nurl = \"box:1234\"\n", &[]).unwrap();
        assert_eq!(config.model.url.unwrap().as_str(), "http://box:1234/");
        let e = error("", &[("OLLAMA_HOST", "box:port")]);
        assert_eq!(e.key, "OLLAMA_HOST");
        // OpenAI's base URL needs its scheme.
        let e = error(
            "",
            &[
                ("FA_OPENAI_BASE_URL", "localhost:8080/v1"),
                ("FA_OPENAI_MODEL", "m"),
            ],
        );
        assert_eq!(e.key, "FA_OPENAI_BASE_URL");
        assert!(e.message.contains("http://"), "{e}");
    }

    #[test]
    fn listen_off() {
        let config = load_str("[http]\nlisten = \"off\"\n", &[]).unwrap();
        assert_eq!(config.http.listen, None);
        let config = load_str("", &[("FA_HTTP_LISTEN", "OFF")]).unwrap();
        assert_eq!(config.http.listen, None);
        let e = error("", &[("FA_HTTP_LISTEN", "localhost:80")]);
        assert_eq!(e.key, "FA_HTTP_LISTEN");
        assert!(e.message.contains("\"off\""), "{e}");
        // The webhook needs the listener.
        let e = error(
            "[http]\nlisten = \"off\"\n",
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_WEBHOOK_URL", "https://bot.example.org/hook"),
            ],
        );
        assert_eq!(e.key, "http.listen");
        assert!(e.message.contains("webhook"), "{e}");
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let dir = TempDir::new();
        let transcriber_key = dir.write("transcriber_key", "sk-transcriber-XYZ\n");
        let text = format!(
            "[telegram.webhook]\npublic_url = \"https://bot.example.org/hook\"\n\
             [transcriber]\nurl = \"http://localhost:8000/v1\"\napi_key_file = {}\n",
            toml_path(&transcriber_key)
        );
        let secrets = [
            TOKEN,
            "webhook-SECRET-value",
            "sk-model-XYZ",
            "sk-transcriber-XYZ",
            "hunter2",
        ];
        let config = load_str(
            &text,
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_WEBHOOK_SECRET", "webhook-SECRET-value"),
                ("FA_OPENAI_API_KEY", "sk-model-XYZ"),
                ("FA_DATABASE_URL", "postgres://fa:hunter2@db/fa"),
            ],
        )
        .unwrap();
        let telegram = config.telegram.as_ref().unwrap();
        assert_eq!(telegram.token.expose(), TOKEN);
        assert!(telegram.webhook.as_ref().unwrap().secret.is_some());
        let shown = [
            format!("{config:?}"),
            format!("{config:#?}"),
            format!("{telegram:?}"),
            format!("{:?}", telegram.webhook),
            format!("{:?}", config.model),
            format!("{:?}", config.transcriber),
        ];
        for text in &shown {
            for secret in secrets {
                assert!(!text.contains(secret), "{secret} shown in {text}");
            }
        }
        // The secrets are there, shown the way `Secret` shows itself.
        assert!(shown[0].contains(&format!("{:?}", Secret::new(TOKEN))));
    }

    #[test]
    fn toml_syntax_errors_give_line_and_column() {
        let e = error("[telegram]\nowner_id = 1\napi_url = \n", &[]);
        assert_eq!(e.key, "config");
        assert!(e.message.contains("line 3"), "{e}");
        assert!(e.message.contains("column"), "{e}");

        let dir = TempDir::new();
        let path = dir.write("bad.toml", "# comment\n\n[log\nformat = \"json\"\n");
        let e = BotConfig::load(Some(&path), &env(&[])).unwrap_err();
        assert_eq!(e.key, path.display().to_string());
        assert!(e.message.contains("line 3"), "{e}");
        assert!(e.to_string().starts_with(&format!("{}: ", path.display())));
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let dir = TempDir::new();
        let path = dir.0.join("absent.toml");
        let e = BotConfig::load(Some(&path), &env(&[])).unwrap_err();
        assert_eq!(e.key, path.display().to_string());
        assert!(e.message.contains("cannot read the config file"), "{e}");
    }

    #[test]
    fn bad_tokens_are_refused_without_showing_them() {
        let e = error("", &[("FA_TELEGRAM_TOKEN", "\"123:abc\"")]);
        assert_eq!(e.key, "FA_TELEGRAM_TOKEN");
        assert!(!e.message.contains("123:abc"), "{e}");
    }

    #[test]
    fn error_display_is_key_then_message() {
        let e = ConfigError::new("telegram.owner_id", "expected an integer");
        assert_eq!(e.to_string(), "telegram.owner_id: expected an integer");
    }

    #[test]
    fn the_example_file_loads_and_holds_the_defaults() {
        let config = load_str(EXAMPLE, &[]).unwrap();
        assert_eq!(format!("{config:?}"), format!("{:?}", BotConfig::default()));
        // With a token only, it is the default Telegram setup; FA_OPENAI_BASE_URL still switches
        // the provider, since the example does not set one.
        let config = load_str(
            EXAMPLE,
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_OPENAI_BASE_URL", "http://127.0.0.1:8080/v1"),
                ("FA_OPENAI_MODEL", "local"),
            ],
        )
        .unwrap();
        assert!(config.telegram.unwrap().webhook.is_none());
        assert_eq!(config.model.provider, ModelProvider::OpenAi);
    }

    /// The settings of the example, as (table, key), commented out or not; uncommented lines only
    /// for the headers.
    fn example_settings() -> Vec<(String, String)> {
        let mut table = String::new();
        let mut settings = Vec::new();
        for line in EXAMPLE.lines() {
            let line = line.trim();
            if line.starts_with('[') && line.ends_with(']') {
                table = line.trim_matches(['[', ']']).to_owned();
                continue;
            }
            let setting = line.trim_start_matches('#').trim_start();
            if let Some((key, _)) = setting.split_once(" = ")
                && !key.is_empty()
                && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                settings.push((table.clone(), key.to_owned()));
            }
        }
        settings
    }

    #[test]
    fn the_example_file_shows_every_key_once() {
        let settings = example_settings();
        for schema in SCHEMAS.iter().skip(1) {
            for key in schema.keys {
                if SCHEMAS.iter().any(|s| s.path == dotted(schema.path, key)) {
                    continue; // A sub-table: it has its own header.
                }
                let count = settings
                    .iter()
                    .filter(|(table, k)| table == schema.path && k == key)
                    .count();
                assert_eq!(count, 1, "{}.{key} in the example", schema.path);
            }
        }
        for (table, key) in &settings {
            let known = SCHEMAS
                .iter()
                .any(|s| s.path == table && s.keys.contains(&key.as_str()));
            assert!(known, "the example shows an unknown key {table}.{key}");
        }
    }

    #[test]
    fn the_example_values_are_valid_when_uncommented() {
        // Every commented-out setting but the secret files, switched on.
        let text: String = EXAMPLE
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(setting)
                    if setting.split_once(" = ").is_some_and(|(key, _)| {
                        key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                            && !key.ends_with("_file")
                    }) =>
                {
                    format!("{setting}\n")
                }
                _ => format!("{line}\n"),
            })
            .collect();
        assert_ne!(text, EXAMPLE);
        let config = load_str(
            &text,
            &[
                ("FA_TELEGRAM_TOKEN", TOKEN),
                ("FA_AMAZON_CLIENT_SECRET", "app-secret"),
                ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
                ("FA_GOOGLE_CLIENT_SECRET", "google-secret"),
                ("FA_MICROSOFT_CLIENT_SECRET", "microsoft-secret"),
            ],
        )
        .unwrap();
        let amazon = config.amazon.clone().unwrap();
        assert_eq!(amazon.queue_region.as_deref(), Some("eu-west-1"));
        let telegram = config.telegram.unwrap();
        assert_eq!(telegram.owner_id, Some(123_456_789));
        assert!(telegram.webhook.is_some());
        assert!(config.database_url.is_some());
        assert!(config.transcriber.is_some());
        assert_eq!(config.household.timezone, Some(chrono_tz::Europe::Berlin));
    }
}
