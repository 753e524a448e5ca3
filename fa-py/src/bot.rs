//! `Bot`: the reference Telegram bot (or the console chat without a token), run from Python with
//! the same configuration as the `family-bot` binary.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fa_core::Clock;
use fa_telegram::config::BotConfig;
use pyo3::prelude::*;
use serde_json::json;

use crate::assistant::Assistant;
use crate::clock::{ManualClock, clock_or_system};
use crate::convert::Json;
use crate::errors::{bot_to_py, to_py};
use crate::model::Model;
use crate::scheduler::Scheduler;
use crate::store::Store;

/// A prepared bot: store, vault and household opened, ready to `run()`.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct Bot {
    bot: Mutex<Option<fa_telegram::bot::Bot>>,
    store: fa_core::DynStore,
    vault: Arc<fa_core::Vault>,
    clock: Arc<dyn Clock>,
    summary: serde_json::Value,
    stop: tokio::sync::watch::Sender<bool>,
}

fn taken() -> PyErr {
    to_py(fa_core::Error::WrongState {
        what: "bot",
        reason: "is already running or has run; prepare a new one".to_owned(),
    })
}

#[pymethods]
impl Bot {
    /// Reads the configuration (a TOML file and `FA_*` variables from `env`, else from the
    /// process environment), opens everything and sets up the household on first start.
    #[staticmethod]
    #[pyo3(signature = (config_path = None, env = None, model = None, data_dir = None, clock = None))]
    fn prepare<'py>(
        py: Python<'py>,
        config_path: Option<PathBuf>,
        env: Option<HashMap<String, String>>,
        model: Option<&Bound<'py, Model>>,
        data_dir: Option<PathBuf>,
        clock: Option<&Bound<'py, ManualClock>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let clock = clock_or_system(clock);
        let lookup = |name: &str| match &env {
            Some(env) => env.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        let mut config =
            BotConfig::load(config_path.as_deref(), &lookup).map_err(|e| bot_to_py(e.into()))?;
        if data_dir.is_some() {
            config.data_dir = data_dir;
        }
        let model = model.map(|m| m.get().model.clone());
        crate::bridge::future(py, async move {
            let bot = fa_telegram::bot::Bot::prepare(config, model)
                .await
                .map_err(bot_to_py)?
                .with_clock(clock.clone());
            let summary = json!({ "household": bot.household(), "owner": bot.owner() });
            let (stop, _) = tokio::sync::watch::channel(false);
            Ok(Bot {
                store: bot.store().clone(),
                vault: bot.vault().clone(),
                bot: Mutex::new(Some(bot)),
                clock,
                summary,
                stop,
            })
        })
    }

    /// The household and its owner, as dicts.
    fn summary(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(Json(self.summary.clone()).into_pyobject(py)?.unbind())
    }

    /// The bot's store, e.g. to add members before running.
    fn store(&self) -> Store {
        Store::from_parts(
            self.store.clone(),
            self.clock.clone(),
            Some(self.vault.clone()),
        )
    }

    /// Answers with the assistant's tools (its Python tools included).
    fn use_tools(&self, assistant: &Bound<'_, Assistant>) -> PyResult<()> {
        self.update(|bot| bot.with_tools(assistant.get().toolbox()))
    }

    /// Runs the scheduler's job kinds (its Python kinds included).
    fn use_job_kinds(&self, scheduler: &Bound<'_, Scheduler>) -> PyResult<()> {
        let (registry, _) = scheduler.get().hand_over("bot");
        self.update(|bot| bot.with_job_registry(registry))
    }

    /// Serves until `stop()` is called (or the awaiting task is cancelled).
    fn run<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let bot = self.bot.lock().unwrap_or_else(|e| e.into_inner()).take();
        let bot = bot.ok_or_else(taken)?;
        let mut stopped = self.stop.subscribe();
        crate::runtime::register_background(self.stop.clone());
        // The bot's turns run in tasks of their own: their coroutine callbacks go to this loop.
        if let Some(event_loop) = crate::bridge::current_loop(py) {
            crate::runtime::set_background_loop(event_loop);
        }
        crate::bridge::future(py, async move {
            bot.run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
            .map_err(bot_to_py)
        })
    }

    /// Asks a running bot to stop: it stops taking updates and lets turns under way finish.
    fn stop(&self) {
        self.stop.send_replace(true);
    }
}

impl Bot {
    fn update(
        &self,
        change: impl FnOnce(fa_telegram::bot::Bot) -> fa_telegram::bot::Bot,
    ) -> PyResult<()> {
        // The error (a Python exception) is made after the lock is released.
        let done = {
            let mut slot = self.bot.lock().unwrap_or_else(|e| e.into_inner());
            slot.take().map(|bot| *slot = Some(change(bot)))
        };
        done.ok_or_else(taken)
    }
}

/// Checks a Telegram Login widget answer (the query string, or its fields) with the bot's token:
/// the HMAC-SHA256 signature in constant time, and `auth_date` not older than `max_age` seconds
/// at `now`. Returns the verified user's fields.
#[pyfunction]
#[pyo3(signature = (fields, bot_token, now, max_age = 86400.0))]
pub(crate) fn verify_telegram_login(
    py: Python<'_>,
    fields: HashMap<String, String>,
    bot_token: &str,
    now: &str,
    max_age: f64,
) -> PyResult<Py<PyAny>> {
    let now = crate::convert::instant("now", now)?;
    let max_age = crate::convert::seconds("max_age", max_age)?;
    let login = fa_telegram::verify_login(fields, bot_token, now, max_age).map_err(|e| {
        crate::errors::raise("Unauthorized", format!("Telegram login refused: {e}"), None)
    })?;
    let user = json!({
        "id": login.id,
        "first_name": login.first_name,
        "last_name": login.last_name,
        "username": login.username,
        "photo_url": login.photo_url,
        "auth_date": login.auth_date,
    });
    Ok(Json(user).into_pyobject(py)?.unbind())
}
