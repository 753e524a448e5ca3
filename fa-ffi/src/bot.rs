//! `Bot`: the reference Telegram bot (or its console chat without a token), run from the app
//! with the same configuration as the `family-bot` binary; and Telegram Login checks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fa_core::ffi::UtcTime;
use fa_core::{Clock, Household, Member};
use fa_telegram::config::BotConfig;

use crate::assistant::Assistant;
use crate::clock::{ManualClock, clock_or_system};
use crate::error::{FaError, Result, bot_error};
use crate::model::Model;
use crate::runtime::run;
use crate::scheduler::Scheduler;
use crate::store::Store;

/// A prepared bot: store, vault and household opened, ready to `run()`.
#[derive(uniffi::Object)]
pub struct Bot {
    bot: Mutex<Option<fa_telegram::bot::Bot>>,
    store: Arc<Store>,
    household: Household,
    owner: Member,
    stop: tokio::sync::watch::Sender<bool>,
}

fn taken() -> FaError {
    FaError::Conflict {
        reason: "the bot is already running or has run; prepare a new one".to_owned(),
    }
}

#[uniffi::export]
impl Bot {
    /// Reads the configuration (the TOML file at `config_path`, and `FA_*` variables from `env`,
    /// else from the process environment), opens everything and sets up the household on first
    /// start. Without a Telegram token it serves the console chat.
    #[uniffi::constructor(default(config_path = None, env = None, model = None, data_dir = None, clock = None))]
    pub async fn prepare(
        config_path: Option<String>,
        env: Option<HashMap<String, String>>,
        model: Option<Arc<Model>>,
        data_dir: Option<String>,
        clock: Option<Arc<ManualClock>>,
    ) -> Result<Arc<Self>> {
        let clock: Arc<dyn Clock> = clock_or_system(clock);
        let lookup = |name: &str| match &env {
            Some(env) => env.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        let mut config = BotConfig::load(config_path.as_deref().map(std::path::Path::new), &lookup)
            .map_err(|e| bot_error(e.into()))?;
        if let Some(dir) = data_dir {
            config.data_dir = Some(dir.into());
        }
        let model = model.map(|m| m.model.clone());
        let started = clock.clone();
        let bot = run(async move {
            fa_telegram::bot::Bot::prepare(config, model)
                .await
                .map(|bot| bot.with_clock(started))
                .map_err(bot_error)
        })
        .await?;
        let (stop, _) = tokio::sync::watch::channel(false);
        Ok(Arc::new(Self {
            store: Store::from_parts(bot.store().clone(), clock, Some(bot.vault().clone())),
            household: bot.household().clone(),
            owner: bot.owner().clone(),
            bot: Mutex::new(Some(bot)),
            stop,
        }))
    }

    /// The bot's store, e.g. to add members before running.
    pub fn store(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// The household it serves.
    pub fn household(&self) -> Household {
        self.household.clone()
    }

    /// The household's owner.
    pub fn owner(&self) -> Member {
        self.owner.clone()
    }

    /// Answers with the assistant's tools (the app's included).
    pub fn use_tools(&self, assistant: Arc<Assistant>) -> Result<()> {
        let tools = assistant.toolbox();
        self.update(|bot| bot.with_tools(tools))
    }

    /// Runs the scheduler's job kinds (the app's included); they are fixed from here on.
    pub fn use_job_kinds(&self, scheduler: Arc<Scheduler>) -> Result<()> {
        let (registry, _) = scheduler.hand_over("bot");
        self.update(|bot| bot.with_job_registry(registry))
    }

    /// Serves until `stop()` is called (or this call is cancelled).
    pub async fn run(&self) -> Result<()> {
        let bot = self
            .bot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(taken)?;
        let mut stopped = self.stop.subscribe();
        run(async move {
            bot.run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
            .map_err(bot_error)
        })
        .await
    }

    /// Asks a running bot to stop: it stops taking updates and lets turns under way finish.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}

impl Bot {
    fn update(
        &self,
        change: impl FnOnce(fa_telegram::bot::Bot) -> fa_telegram::bot::Bot,
    ) -> Result<()> {
        let mut slot = self.bot.lock().unwrap_or_else(|e| e.into_inner());
        let bot = slot.take().ok_or_else(taken)?;
        *slot = Some(change(bot));
        Ok(())
    }
}

/// A Telegram user, as the Login widget vouched for them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TelegramUser {
    /// Their Telegram user id.
    pub id: i64,
    /// First name.
    pub first_name: String,
    /// Last name, if set.
    pub last_name: Option<String>,
    /// Username, if set.
    pub username: Option<String>,
    /// Profile photo URL, if shared.
    pub photo_url: Option<String>,
    /// When they signed in.
    pub auth_date: UtcTime,
}

/// Checks a Telegram Login widget answer (its fields) with the bot's token: the HMAC-SHA256
/// signature in constant time, and `auth_date` not older than `max_age` at `now`. `Auth` if it
/// is refused.
#[uniffi::export]
pub fn verify_telegram_login(
    fields: HashMap<String, String>,
    bot_token: String,
    now: UtcTime,
    max_age: Duration,
) -> Result<TelegramUser> {
    let login =
        fa_telegram::verify_login(fields, &bot_token, now, max_age).map_err(|e| FaError::Auth {
            reason: format!("Telegram login refused: {e}"),
        })?;
    Ok(TelegramUser {
        id: login.id,
        first_name: login.first_name,
        last_name: login.last_name,
        username: login.username,
        photo_url: login.photo_url,
        auth_date: login.auth_date,
    })
}
