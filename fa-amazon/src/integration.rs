//! [`AmazonIntegration`]: everything a household's assistant needs for a seller account, in
//! one value — the accounts, the tools, the job kinds, the `/amazon` command, and (when a queue
//! is configured) the SQS consumer with the event router beside it.
//!
//! The reference bot, the Python package and the UniFFI bindings all wire Amazon through it.
//!
//! ```no_run
//! # async fn demo(store: fa_core::DynStore, vault: std::sync::Arc<fa_core::Vault>,
//! #               household: fa_core::HouseholdId) -> fa_amazon::Result<()> {
//! use fa_amazon::account::AmazonApp;
//! use fa_amazon::integration::AmazonIntegration;
//! use fa_amazon::sqs::SqsConfig;
//! use fa_core::Secret;
//!
//! let app = AmazonApp::new("amzn1.application-oa2-client.xyz", Secret::new("secret"));
//! let queue = SqsConfig::new(
//!     "https://sqs.eu-west-1.amazonaws.com/123456789012/sp-api",
//!     "eu-west-1",
//!     "AKIA…",
//!     Secret::new("…"),
//! );
//! let amazon = AmazonIntegration::new(store, vault, household, app).with_queue(&queue);
//! let mut tools = fa_core::assistant::tools::builtin_toolbox();
//! amazon.add_tools(&mut tools)?;
//! let mut jobs = fa_core::scheduler::JobRegistry::with_builtins();
//! amazon.register_jobs(&mut jobs);
//! // … build the app with `tools`, `jobs` and `amazon.command()`, then, beside it:
//! amazon.run(std::future::pending()).await;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fa_core::assistant::Toolbox;
use fa_core::engine::ChatCommand;
use fa_core::routing::EventRouter;
use fa_core::scheduler::JobRegistry;
use fa_core::{Clock, DynStore, HouseholdId, SystemClock, Vault};

use crate::account::{AmazonApp, SellerAccounts};
use crate::commands::AmazonCommand;
use crate::sqs::{SqsConfig, SqsNotificationSource, SqsOptions, SqsStats};
use crate::{AmazonEventRenderer, Error, Result};

/// How often the router looks for events stored by other paths (the reconciliation job, a
/// second instance); the SQS consumer wakes it at once for its own.
const ROUTER_POLL: Duration = Duration::from_secs(30);

/// A household's seller-account wiring. Cheap to share: the parts are behind `Arc`s.
pub struct AmazonIntegration {
    household: HouseholdId,
    parts: (DynStore, Arc<Vault>, AmazonApp),
    accounts: Arc<SellerAccounts>,
    router: Arc<EventRouter>,
    source: Option<Arc<SqsNotificationSource>>,
}

impl std::fmt::Debug for AmazonIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmazonIntegration")
            .field("household", &self.household)
            .field("accounts", &self.accounts)
            .field("queue", &self.source)
            .finish_non_exhaustive()
    }
}

fn assemble(
    (store, vault, app): &(DynStore, Arc<Vault>, AmazonApp),
    clock: Arc<dyn Clock>,
) -> (Arc<SellerAccounts>, Arc<EventRouter>) {
    let accounts =
        SellerAccounts::new(store.clone(), vault.clone(), app.clone()).with_clock(clock.clone());
    let router = EventRouter::new(store.clone())
        .with_clock(clock)
        .with_renderer(Arc::new(AmazonEventRenderer))
        .with_poll_interval(ROUTER_POLL);
    (Arc::new(accounts), Arc::new(router))
}

impl AmazonIntegration {
    /// The seller accounts of `household` on `store` (tokens sealed by `vault`), called as
    /// `app`, with a router that renders Amazon events. No queue is read until
    /// [`with_queue`](Self::with_queue).
    pub fn new(store: DynStore, vault: Arc<Vault>, household: HouseholdId, app: AmazonApp) -> Self {
        let parts = (store, vault, app);
        let (accounts, router) = assemble(&parts, Arc::new(SystemClock));
        Self {
            household,
            parts,
            accounts,
            router,
            source: None,
        }
    }

    /// Uses `clock` for token life, rate limits, the checks' windows and quiet hours (tests
    /// drive a [`ManualClock`](fa_core::ManualClock)). Call it before
    /// [`with_queue`](Self::with_queue), which hands the consumer this clock's router.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        (self.accounts, self.router) = assemble(&self.parts, clock);
        self
    }

    /// Reads SP-API notifications from `queue` into the household, storing and routing each
    /// in one transaction.
    pub fn with_queue(self, queue: &SqsConfig) -> Self {
        self.with_queue_options(queue, SqsOptions::default())
    }

    /// [`with_queue`](Self::with_queue), with the consumer's polling options.
    pub fn with_queue_options(mut self, queue: &SqsConfig, options: SqsOptions) -> Self {
        let source = SqsNotificationSource::new(queue, self.parts.0.clone(), self.household)
            .with_options(options)
            .with_router(self.router.clone());
        self.source = Some(Arc::new(source));
        self
    }

    /// The household served.
    pub fn household(&self) -> HouseholdId {
        self.household
    }

    /// The seller accounts (connect, open, the household's account).
    pub fn accounts(&self) -> &Arc<SellerAccounts> {
        &self.accounts
    }

    /// The event router (route rules are in the store).
    pub fn router(&self) -> &Arc<EventRouter> {
        &self.router
    }

    /// The SQS consumer, when a queue is configured.
    pub fn queue(&self) -> Option<&Arc<SqsNotificationSource>> {
        self.source.as_ref()
    }

    /// Adds the read-only seller tools (sales, order status, shipments, listing issues) to
    /// `tools`.
    pub fn add_tools(&self, tools: &mut Toolbox) -> Result<()> {
        for tool in crate::tools::tools(self.accounts.clone()) {
            tools.add_shared(tool).map_err(Error::Store)?;
        }
        Ok(())
    }

    /// Registers the job kinds: reconciliation, seller feedback, review topics, sales digest.
    pub fn register_jobs(&self, jobs: &mut JobRegistry) {
        crate::jobs::register(jobs, self.accounts.clone());
    }

    /// The `/amazon` chat command (connect, route, unroute, status).
    pub fn command(&self) -> Arc<dyn ChatCommand> {
        Arc::new(AmazonCommand(self.accounts.clone()))
    }

    /// Runs the router and, when configured, the consumer until `shutdown` completes; the
    /// consumer finishes the batch in hand. Returns the consumer's totals.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) -> Option<SqsStats> {
        let (stop, _) = tokio::sync::watch::channel(false);
        let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let routing = self.router.run(until(stop.subscribe()));
        let consuming = async {
            match &self.source {
                Some(source) => Some(source.run(until(stop.subscribe())).await),
                None => None,
            }
        };
        let signal = async {
            shutdown.await;
            stop.send_replace(true);
        };
        let ((), (), stats) = tokio::join!(signal, routing, consuming);
        stats
    }
}
