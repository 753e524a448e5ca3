//! [`Bot`]: the whole family assistant from one [`BotConfig`] — store, vault, household, model,
//! transcriber, Telegram (polling or webhook) or the console, the HTTP server, and graceful
//! shutdown. The reference binary `family-bot` is a thin `main` around it; Python and other
//! programs run the same thing with the same configuration.
//!
//! ```no_run
//! use fa_telegram::bot::{Bot, shutdown_signal};
//! use fa_telegram::config::BotConfig;
//!
//! # async fn run() -> Result<(), fa_telegram::bot::BotError> {
//! let config = BotConfig::from_env()?;
//! let bot = Bot::prepare(config, None).await?;
//! bot.run(shutdown_signal()).await
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fa_core::assistant::Toolbox;
use fa_core::engine::{
    App, AppBuilder, ChatCommand, ConsoleChannel, InboundJournal, RateLimit, new_code,
};
use fa_core::llm::DynModel;
use fa_core::scheduler::JobRegistry;
use fa_core::vault::{MASTER_KEY_ENV, MASTER_KEY_FILE_ENV};
use fa_core::{
    ChannelIdentity, Clock, DynStore, Household, MasterKey, Member, NewMember, Role, SystemClock,
    Vault,
};
use serde_json::{Value, json};

use crate::amazon::AmazonIntegration;
use crate::api::BotApi;
use crate::channel::{ALLOWED_UPDATES, TelegramChannel};
use crate::config::{BotConfig, LogConfig, LogFormat, ModelProvider};
use crate::sender::TelegramSender;
use crate::server::{Health, health_router, webhook_router};

/// Why the bot could not start: `Display` says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BotError {
    /// The configuration is wrong.
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// The store, the vault or the household could not be opened.
    #[error("{0}")]
    Core(#[from] fa_core::Error),
    /// Telegram refused the setup calls.
    #[error("{0}")]
    Telegram(#[from] crate::api::ApiError),
    /// Anything else, said plainly.
    #[error("{0}")]
    Other(String),
}

/// The commands shown in Telegram's menu (`setMyCommands`).
pub const COMMANDS: [(&str, &str); 12] = [
    ("start", "Start, or join with a code"),
    ("help", "What I can do"),
    (
        "remind",
        "Set a reminder: /remind me tomorrow at 9 to call grandma",
    ),
    ("reminders", "Your upcoming reminders"),
    ("habits", "Your habits"),
    ("habit", "Create or tick off a habit"),
    ("checkin", "Say how you feel: /checkin 4 slept well"),
    ("tz", "Show or set your time zone"),
    ("settings", "Your settings"),
    ("forget", "Erase what I remember about you"),
    ("export", "Your data as a file"),
    ("invite", "Invite someone to the household (owner)"),
];

/// Sets up logging to stderr: text or JSON lines (with the turn's correlation id in its span),
/// filtered by `RUST_LOG` or the configured filter. Message text and tokens are never logged.
pub fn init_logging(log: &LogConfig) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match log.format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A prepared bot: everything opened and checked, ready to [`run`](Self::run).
pub struct Bot {
    config: BotConfig,
    store: DynStore,
    household: Household,
    owner: Member,
    model: Option<DynModel>,
    vault: Arc<Vault>,
    clock: Arc<dyn Clock>,
    tools: Option<Toolbox>,
    registry: Option<JobRegistry>,
    commands: Vec<Arc<dyn ChatCommand>>,
    routes: Option<axum::Router>,
}

impl std::fmt::Debug for Bot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bot")
            .field("household", &self.household.name)
            .finish_non_exhaustive()
    }
}

/// Where data lives when not configured: `$XDG_DATA_HOME/fa` or `~/.local/share/fa`.
pub fn default_data_dir() -> Option<PathBuf> {
    let from_env = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from_env("XDG_DATA_HOME")
        .map(|d| d.join("fa"))
        .or_else(|| from_env("HOME").map(|h| h.join(".local/share/fa")))
}

impl Bot {
    /// Opens the store (SQLite in the data directory, or PostgreSQL when a URL is configured)
    /// and the vault, sets up the household on first start, and connects the model (`model`
    /// replaces the configured one, e.g. with a scripted model in tests and benchmarks). Prints
    /// what it found on stdout.
    pub async fn prepare(config: BotConfig, model: Option<DynModel>) -> Result<Self, BotError> {
        println!("fa family-bot {}", env!("CARGO_PKG_VERSION"));
        let data_dir = config
            .data_dir
            .clone()
            .or_else(default_data_dir)
            .ok_or_else(|| {
                BotError::Other(
                    "cannot tell where to keep data: set FA_DATA_DIR or HOME, or store.data_dir"
                        .to_owned(),
                )
            })?;
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            BotError::Other(format!(
                "cannot create the data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        println!("data:      {}", data_dir.display());
        let (vault, key_note) = open_vault(&data_dir, config.master_key_file.as_deref())?;
        let store = open_store(&config, &data_dir).await?;
        let status = store.status().await?;
        println!(
            "store:     {} {} (schema v{})",
            status.backend, status.location, status.schema_version
        );
        println!(
            "vault:     master key {} {key_note}",
            vault.current_key_id()
        );
        let (household, owner) = household(&store, &config).await?;
        let members = store.members(household.id).await?;
        println!(
            "household: {:?} with {} member(s)",
            household.name,
            members.len()
        );
        for member in &members {
            println!(
                "  - {} ({}, {}, {})",
                member.display_name, member.role, member.timezone, member.locale
            );
        }
        let model = match model {
            Some(model) => Some(model),
            None => connect_model(&config).await,
        };
        Ok(Self {
            config,
            store,
            household,
            owner,
            model,
            vault: Arc::new(vault),
            clock: Arc::new(SystemClock),
            tools: None,
            registry: None,
            commands: Vec::new(),
            routes: None,
        })
    }

    /// The store, e.g. to add members before running.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// The vault that seals the household's credentials (the master key from the environment or
    /// the data directory's key file).
    pub fn vault(&self) -> &Arc<Vault> {
        &self.vault
    }

    /// The household.
    pub fn household(&self) -> &Household {
        &self.household
    }

    /// The household's owner.
    pub fn owner(&self) -> &Member {
        &self.owner
    }

    /// Reads time from `clock` instead of the system's: the scheduler, rate limits and retries
    /// follow it (tests drive a [`ManualClock`](fa_core::ManualClock)). Rows are still stamped
    /// by the store's own clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Answers with these tools instead of the built-in ones (add to
    /// [`builtin_toolbox`](fa_core::assistant::tools::builtin_toolbox) to keep them).
    pub fn with_tools(mut self, tools: Toolbox) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Answers these chat commands too (an adapter's `/amazon`, say); Telegram's command menu
    /// lists them.
    pub fn with_commands(mut self, commands: Vec<Arc<dyn ChatCommand>>) -> Self {
        self.commands.extend(commands);
        self
    }

    /// Runs jobs with these kinds instead of the built-in ones (start from
    /// [`JobRegistry::with_builtins`] to keep them).
    pub fn with_job_registry(mut self, registry: JobRegistry) -> Self {
        self.registry = Some(registry);
        self
    }

    fn app(&self) -> Result<AppBuilder, BotError> {
        let limits = &self.config.limits;
        let mut app = App::builder(self.store.clone())
            .clock(self.clock.clone())
            .rate_limit(RateLimit::new(limits.messages_per_minute, limits.burst));
        if let Some(model) = &self.model {
            app = app.model(model.clone());
        }
        if let Some(tools) = &self.tools {
            app = app.tools(tools.clone());
        }
        if let Some(registry) = &self.registry {
            app = app.job_registry(registry.clone());
        }
        for command in &self.commands {
            app = app.command(command.clone());
        }
        if let Some(transcriber) = transcriber(&self.config)? {
            app = app.transcriber(transcriber);
        }
        Ok(app)
    }

    /// Serves until `shutdown` completes (see [`shutdown_signal`]): on Telegram when a token is
    /// configured, else as a chat on this terminal (Ctrl-D or `/quit` ends it). Then stops
    /// taking updates, lets turns under way finish, and returns.
    ///
    /// With an `[amazon]` section (feature `amazon`), the seller account's tools, job kinds and
    /// `/amazon` command are added, and the SQS consumer and the event router run beside the
    /// bot until it stops.
    pub async fn run(
        mut self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), BotError> {
        let amazon = self.equip_amazon()?;
        self.equip_calendar()?;
        let (stop, _) = tokio::sync::watch::channel(false);
        let stop = Arc::new(stop);
        let background = amazon.map(|amazon| {
            let mut stopped = stop.subscribe();
            tokio::spawn(async move {
                amazon
                    .run(async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await
            })
        });
        let signal = {
            let stop = stop.clone();
            async move {
                shutdown.await;
                stop.send_replace(true);
            }
        };
        let served = match self.config.telegram.clone() {
            Some(telegram) => self.run_telegram(telegram, signal).await,
            None => self.run_console(signal).await,
        };
        // The console also ends on Ctrl-D, without the signal: stop the loops beside it.
        stop.send_replace(true);
        if let Some(background) = background {
            let _ = background.await;
        }
        served
    }

    /// The `[amazon]` integration, its tools, job kinds and command added to the bot's.
    fn equip_amazon(&mut self) -> Result<Option<Arc<AmazonIntegration>>, BotError> {
        let Some(config) = &self.config.amazon else {
            return Ok(None);
        };
        let amazon = crate::amazon::integration(
            config,
            self.store.clone(),
            self.vault.clone(),
            self.household.id,
            self.clock.clone(),
        )?;
        amazon
            .add_tools(
                self.tools
                    .get_or_insert_with(fa_core::assistant::tools::builtin_toolbox),
            )
            .map_err(|e| BotError::Other(format!("amazon tools: {e}")))?;
        amazon.register_jobs(self.registry.get_or_insert_with(JobRegistry::with_builtins));
        self.commands.push(amazon.command());
        Ok(Some(Arc::new(amazon)))
    }

    /// The `[calendar]` integration: its tools, job kinds and command added to the bot's, its
    /// OAuth routes to the HTTP server's.
    fn equip_calendar(&mut self) -> Result<(), BotError> {
        let Some(config) = &self.config.calendar else {
            return Ok(());
        };
        let calendar = crate::calendar::integration(
            config,
            self.store.clone(),
            self.vault.clone(),
            self.clock.clone(),
        )?;
        calendar
            .add_tools(
                self.tools
                    .get_or_insert_with(fa_core::assistant::tools::builtin_toolbox),
            )
            .map_err(|e| BotError::Other(format!("calendar tools: {e}")))?;
        calendar.register_jobs(self.registry.get_or_insert_with(JobRegistry::with_builtins));
        self.commands.push(calendar.command());
        self.routes = Some(crate::calendar::routes(&calendar));
        Ok(())
    }

    async fn run_console(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), BotError> {
        println!("telegram:  no token set (FA_TELEGRAM_TOKEN); chatting on this terminal instead");
        let identities = self.store.identities(self.owner.scope()).await?;
        let sender = match identities.iter().find(|i| i.channel == "console") {
            Some(identity) => identity.external_id.clone(),
            None => {
                let identity = ChannelIdentity::new("console", self.owner.display_name.clone());
                self.store
                    .link_identity(self.owner.scope(), &identity)
                    .await?;
                identity.external_id
            }
        };
        let app = self
            .app()?
            .channel(Arc::new(ConsoleChannel::stdio(sender)))
            .build()?;
        println!(
            "chat:      you are {}; type a message, /help for commands, Ctrl-D to quit",
            self.owner.display_name
        );
        app.run(shutdown).await;
        Ok(())
    }

    async fn run_telegram(
        self,
        telegram: crate::config::TelegramConfig,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), BotError> {
        let api = BotApi::new(telegram.api_url.as_str(), &telegram.token)?;
        let me: Value = api.call("getMe", &json!({})).await?;
        let username = me
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        println!("telegram:  @{username}");
        let throttle = telegram.throttle.then(crate::sender::Throttle::default);
        let sender =
            Arc::new(TelegramSender::new(api.clone(), self.clock.clone()).with_throttle(throttle));
        let journal = InboundJournal::new(
            self.store.clone(),
            self.household.id,
            crate::channel::CHANNEL_NAME,
        );
        let channel = TelegramChannel::journaled(sender, journal);
        let mut app = self.app()?.channel(channel.clone());
        let identity = self.owner_identity(&telegram).await?;
        if identity.is_none() {
            let code = new_code()?;
            println!(
                "setup:     to become the owner on Telegram, send this to @{username} once:\n           /start {}",
                code.expose()
            );
            app = app.owner_setup_code(self.owner.scope(), code);
        }
        let app = app.build()?;
        let commands: Vec<Value> = COMMANDS
            .iter()
            .map(|(command, description)| json!({ "command": command, "description": description }))
            .chain(
                self.commands
                    .iter()
                    .map(|c| json!({ "command": c.name(), "description": c.description() })),
            )
            .collect();
        if let Err(error) = api
            .call::<Value>("setMyCommands", &json!({ "commands": commands }))
            .await
        {
            tracing::warn!(%error, "could not register the command menu");
        }

        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let mut router = health_router(Health {
            app: app.clone(),
            model: self.model.clone(),
            telegram: Some(channel.clone()),
        });
        if let Some(routes) = self.routes.clone() {
            router = router.merge(routes);
        }
        // What a stopped process left unanswered: on SQLite (one process per file) all of it;
        // on a shared PostgreSQL, what no running instance has touched for a while.
        let single_process = matches!(self.store.status().await, Ok(s) if s.backend == "sqlite");
        let cutoff = self.clock.now()
            - if single_process {
                chrono::Duration::zero()
            } else {
                chrono::Duration::from_std(crate::channel::INBOX_STALE).unwrap_or_default()
            };
        let inbox = {
            let (channel, stop) = (channel.clone(), stop_rx.clone());
            tokio::spawn(async move {
                if let Err(error) = channel.replay(cutoff).await {
                    tracing::error!(%error, "could not read the inbox for updates left unanswered");
                }
                channel.keep_inbox(stopped(stop)).await;
            })
        };
        let mut poller = None;
        match &telegram.webhook {
            Some(webhook) => {
                let secret = match &webhook.secret {
                    Some(secret) => secret.clone(),
                    None => new_code()?,
                };
                api.call::<Value>(
                    "setWebhook",
                    &json!({
                        "url": webhook.public_url.as_str(),
                        "secret_token": secret.expose(),
                        "allowed_updates": ALLOWED_UPDATES,
                        "max_connections": webhook.max_connections,
                    }),
                )
                .await?;
                println!("webhook:   {} (route {})", webhook.public_url, webhook.path);
                router = router.merge(webhook_router(channel.clone(), &webhook.path, secret));
            }
            None => {
                println!(
                    "polling:   getUpdates, long-polling {} s",
                    telegram.poll_timeout.as_secs()
                );
                let (channel, timeout, stop) =
                    (channel.clone(), telegram.poll_timeout, stop_rx.clone());
                poller = Some(tokio::spawn(async move {
                    channel.poll(timeout, stopped(stop)).await
                }));
            }
        }
        let server = match self.config.http.listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                    BotError::Other(format!(
                        "cannot listen on {addr} (http.listen / FA_HTTP_LISTEN): {e}"
                    ))
                })?;
                println!("http:      http://{addr} (/healthz, /readyz, /metrics)");
                let stop = stop_rx.clone();
                Some(tokio::spawn(async move {
                    let served = axum::serve(listener, router)
                        .with_graceful_shutdown(stopped(stop))
                        .await;
                    if let Err(error) = served {
                        tracing::error!(%error, "the HTTP server stopped");
                    }
                }))
            }
            None => None,
        };
        println!("ready:     serving the household {:?}", self.household.name);
        let shutdown = async move {
            shutdown.await;
            tracing::info!("shutting down: no new updates; finishing turns under way");
            let _ = stop_tx.send(true);
        };
        app.run(shutdown).await;
        let _ = inbox.await;
        if let Some(poller) = poller {
            let _ = poller.await;
        }
        if let Some(server) = server {
            let _ = server.await;
        }
        Ok(())
    }

    /// The owner's Telegram id: linked from `telegram.owner_id` when configured, else as
    /// already linked; `None` means a setup code is needed.
    async fn owner_identity(
        &self,
        telegram: &crate::config::TelegramConfig,
    ) -> Result<Option<String>, BotError> {
        let linked = self.store.identities(self.owner.scope()).await?;
        if let Some(identity) = linked.iter().find(|i| i.channel == "telegram") {
            return Ok(Some(identity.external_id.clone()));
        }
        let Some(id) = telegram.owner_id else {
            return Ok(None);
        };
        let identity = ChannelIdentity::new("telegram", id.to_string());
        if let Some(other) = self.store.member_by_identity(&identity).await? {
            return Err(BotError::Other(format!(
                "telegram.owner_id {id} already belongs to member {:?}; remove it from FA_OWNER_TELEGRAM_ID or from that member",
                other.display_name
            )));
        }
        self.store
            .link_identity(self.owner.scope(), &identity)
            .await?;
        println!("setup:     Telegram user {id} is the owner (telegram.owner_id)");
        Ok(Some(identity.external_id))
    }
}

async fn open_store(config: &BotConfig, data_dir: &Path) -> Result<DynStore, BotError> {
    match &config.database_url {
        #[cfg(feature = "postgres")]
        Some(url) => Ok(Arc::new(fa_core::PostgresStore::connect(url.expose()).await?)),
        #[cfg(not(feature = "postgres"))]
        Some(_) => Err(BotError::Other(
            "a PostgreSQL URL is configured, but this build has no PostgreSQL support; build with the `postgres` feature".to_owned(),
        )),
        #[cfg(feature = "sqlite")]
        None => Ok(Arc::new(fa_core::SqliteStore::open(data_dir.join("fa.db")).await?)),
        #[cfg(not(feature = "sqlite"))]
        None => {
            let _ = data_dir;
            Err(BotError::Other(
                "no database URL is configured and this build has no SQLite; set FA_DATABASE_URL".to_owned(),
            ))
        }
    }
}

/// The key named by the environment or the configuration, or the data directory's key file
/// (created on first start).
fn open_vault(
    data_dir: &Path,
    configured_file: Option<&Path>,
) -> Result<(Vault, String), BotError> {
    let from_env = [MASTER_KEY_ENV, MASTER_KEY_FILE_ENV]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if from_env {
        return Ok((Vault::from_env()?, "(from the environment)".to_owned()));
    }
    let path = configured_file.map_or_else(|| data_dir.join("master.key"), Path::to_path_buf);
    if path.exists() || configured_file.is_some() {
        let key = MasterKey::from_file(&path)?;
        return Ok((Vault::new(key), format!("(from {})", path.display())));
    }
    let key = MasterKey::create_file(&path)?;
    Ok((
        Vault::new(key),
        format!(
            "(new: written to {}; back it up — without it stored credentials cannot be read)",
            path.display()
        ),
    ))
}

/// The household and its owner, created on first start.
async fn household(store: &DynStore, config: &BotConfig) -> Result<(Household, Member), BotError> {
    let household = match store.household_ids().await?.first() {
        Some(id) => store.household(*id).await?.ok_or_else(|| {
            BotError::Other("the household disappeared while starting".to_owned())
        })?,
        None => store.create_household(&config.household.name).await?,
    };
    let members = store.members(household.id).await?;
    if let Some(owner) = members.into_iter().find(|m| m.role == Role::Owner) {
        return Ok((household, owner));
    }
    let name = config
        .household
        .owner_name
        .clone()
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "Owner".to_owned());
    let timezone = config
        .household
        .timezone
        .map(|tz| tz.name().to_owned())
        .unwrap_or_else(local_timezone);
    let owner = store
        .add_member(
            household.id,
            NewMember::new(name, Role::Owner)
                .with_timezone(timezone)
                .with_locale(config.household.locale.clone()),
        )
        .await?;
    println!(
        "setup:     created household {:?} with owner {}",
        household.name, owner.display_name
    );
    Ok((household, owner))
}

fn local_timezone() -> String {
    [
        std::env::var("TZ").ok(),
        std::fs::read_to_string("/etc/timezone").ok(),
    ]
    .into_iter()
    .flatten()
    .map(|tz| tz.trim().trim_start_matches(':').to_owned())
    .find(|tz| fa_core::parse_timezone(tz).is_ok())
    .unwrap_or_else(|| "UTC".to_owned())
}

/// The configured model, probed: a server that is down now is still used (the bot answers
/// offline until it is back); a model that does not exist or cannot call tools is not.
async fn connect_model(config: &BotConfig) -> Option<DynModel> {
    let model = &config.model;
    if !model.enabled {
        println!("model:     none (model.enabled = false); commands work, /help lists them");
        return None;
    }
    let built: Result<DynModel, String> = match model.provider {
        #[cfg(feature = "ollama")]
        ModelProvider::Ollama => {
            let mut options = fa_core::llm::OllamaOptions::new(
                model.name.clone().unwrap_or_else(|| "qwen3:8b".to_owned()),
            );
            if let Some(url) = &model.url {
                options = options.base_url(url.as_str().trim_end_matches('/'));
            }
            fa_core::llm::OllamaModel::new(options)
                .map(|m| Arc::new(m) as DynModel)
                .map_err(|e| e.to_string())
        }
        #[cfg(feature = "openai")]
        ModelProvider::OpenAi => {
            let name = model.name.clone().unwrap_or_default();
            let base = model
                .url
                .as_ref()
                .map(|u| u.as_str().trim_end_matches('/').to_owned())
                .unwrap_or_default();
            let mut options = fa_core::llm::OpenAiOptions::new(base, name);
            if let Some(key) = &model.api_key {
                options = options.api_key(key.expose());
            }
            fa_core::llm::OpenAiCompatibleModel::new(options)
                .map(|m| Arc::new(m) as DynModel)
                .map_err(|e| e.to_string())
        }
        #[allow(unreachable_patterns)]
        _ => Err(
            "this build does not include that model provider; enable its cargo feature".to_owned(),
        ),
    };
    let model = match built {
        Ok(model) => model,
        Err(why) => {
            println!("model:     none — {why}\n           commands still work; /help lists them");
            return None;
        }
    };
    match model.probe().await {
        Ok(_) => {
            println!(
                "model:     {} ({} tokens of context)",
                model.name(),
                model.context_window()
            );
            Some(model)
        }
        Err(error) if error.is_offline() => {
            println!(
                "model:     offline for now — {error}\n           commands work; other messages are kept for /retry once {} answers",
                model.name()
            );
            Some(model)
        }
        Err(error) => {
            println!("model:     none — {error}\n           commands still work; /help lists them");
            None
        }
    }
}

fn transcriber(
    config: &BotConfig,
) -> Result<Option<Arc<dyn fa_core::transcription::Transcriber>>, BotError> {
    let Some(t) = &config.transcriber else {
        return Ok(None);
    };
    #[cfg(feature = "openai")]
    {
        let mut options =
            fa_core::transcription::TranscriberOptions::new(t.url.as_str().trim_end_matches('/'))
                .model(t.model.clone());
        if let Some(key) = &t.api_key {
            options = options.api_key(key.expose());
        }
        let transcriber = fa_core::transcription::OpenAiTranscriber::new(options)
            .map_err(|e| BotError::Other(format!("transcriber: {e}")))?;
        Ok(Some(Arc::new(transcriber)))
    }
    #[cfg(not(feature = "openai"))]
    {
        let _ = t;
        Err(BotError::Other(
            "a transcriber is configured, but this build has no `openai` feature".to_owned(),
        ))
    }
}
