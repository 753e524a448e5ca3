//! [`CalendarIntegration`]: everything a household's assistant needs for calendars, in one
//! value — the connections, the tools, the job kinds and the `/calendar` command. The bot's
//! HTTP server adds the OAuth routes over [`CalendarIntegration::accounts`].
//!
//! ```no_run
//! # fn demo(store: fa_core::DynStore, vault: std::sync::Arc<fa_core::Vault>) -> fa_calendar::Result<()> {
//! use fa_calendar::accounts::{CalendarApps, OAuthApp};
//! use fa_calendar::integration::CalendarIntegration;
//! use fa_core::Secret;
//!
//! let apps = CalendarApps::new()
//!     .public_url("https://fa.example.org")
//!     .google(OAuthApp::new("1234.apps.googleusercontent.com", Secret::new("…")));
//! let calendars = CalendarIntegration::new(store, vault, apps);
//! let mut tools = fa_core::assistant::tools::builtin_toolbox();
//! calendars.add_tools(&mut tools)?;
//! let mut jobs = fa_core::scheduler::JobRegistry::with_builtins();
//! calendars.register_jobs(&mut jobs);
//! // … build the app with `tools`, `jobs` and `calendars.command()`.
//! # Ok(()) }
//! ```

use std::sync::Arc;

use fa_core::assistant::Toolbox;
use fa_core::engine::ChatCommand;
use fa_core::scheduler::JobRegistry;
use fa_core::{Clock, DynStore, Vault};

use crate::accounts::{CalendarAccounts, CalendarApps};
use crate::commands::CalendarCommand;
use crate::{Error, Result};

/// A household's calendar wiring. Cheap to share: the parts are behind `Arc`s.
#[derive(Debug, Clone)]
pub struct CalendarIntegration {
    parts: (DynStore, Arc<Vault>, CalendarApps),
    accounts: Arc<CalendarAccounts>,
}

impl CalendarIntegration {
    /// Calendars on `store` (secrets sealed by `vault`), signed in with `apps`.
    pub fn new(store: DynStore, vault: Arc<Vault>, apps: CalendarApps) -> Self {
        let accounts = Arc::new(CalendarAccounts::new(
            store.clone(),
            vault.clone(),
            apps.clone(),
        ));
        Self {
            parts: (store, vault, apps),
            accounts,
        }
    }

    /// Uses `clock` for token life, sign-in expiry and the cache's age (tests drive a
    /// [`ManualClock`](fa_core::ManualClock)).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        let (store, vault, apps) = self.parts.clone();
        self.accounts = Arc::new(CalendarAccounts::new(store, vault, apps).with_clock(clock));
        self
    }

    /// The connections (connect, sign in, open, sync, busy time).
    pub fn accounts(&self) -> &Arc<CalendarAccounts> {
        &self.accounts
    }

    /// Adds the calendar tools (events, free time, create, move, cancel) to `tools`.
    pub fn add_tools(&self, tools: &mut Toolbox) -> Result<()> {
        for tool in crate::tools::tools(self.accounts.clone()) {
            tools.add_shared(tool).map_err(Error::Store)?;
        }
        Ok(())
    }

    /// Registers the job kinds: busy-time sync and token refresh.
    pub fn register_jobs(&self, jobs: &mut JobRegistry) {
        crate::jobs::register(jobs, self.accounts.clone());
    }

    /// The `/calendar` chat command.
    pub fn command(&self) -> Arc<dyn ChatCommand> {
        Arc::new(CalendarCommand(self.accounts.clone()))
    }
}
