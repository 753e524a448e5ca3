//! An Amazon seller account from the app: `EventRouter` (route rules at work), `SellerAccounts`
//! (connect with the refresh token, reconcile, sales), `SqsConsumer` (SP-API notifications from
//! an SQS queue) and `parse_notification`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use fa_amazon::account::{AmazonApp, SellerAccount, SellerSettings};
use fa_amazon::sqs::{SqsConfig, SqsNotificationSource, SqsOptions};
use fa_amazon::{AmazonEventRenderer, Region, SpApiNotification};
use fa_core::connector::ConnectorErrorKind;
use fa_core::ffi::{Json, UtcTime};
use fa_core::{HouseholdId, Integration, MemberScope, RouteCommit, Secret};

use crate::error::{FaError, Result};
use crate::runtime::run;
use crate::secret::SecretText;
use crate::store::Store;

/// An error of fa-amazon on its way to `FaError` (by its kind).
struct AmazonError(fa_amazon::Error);

impl From<AmazonError> for FaError {
    fn from(AmazonError(error): AmazonError) -> Self {
        if let fa_amazon::Error::Store(core) = error {
            return core.into();
        }
        let reason = error.to_string();
        match &error {
            fa_amazon::Error::InvalidInput { .. } | fa_amazon::Error::Malformed { .. } => {
                FaError::InvalidInput { reason }
            }
            other => match other.kind() {
                ConnectorErrorKind::RateLimited { retry_after } => FaError::RateLimited {
                    reason,
                    retry_after,
                },
                ConnectorErrorKind::Unauthorized => FaError::Auth { reason },
                ConnectorErrorKind::NotFound => FaError::NotFound { reason },
                ConnectorErrorKind::Transient => FaError::Network { reason },
                _ => FaError::Other { reason },
            },
        }
    }
}

/// Routes a household's inbound events to members by the store's route rules: immediate
/// messages into the notification outbox, quiet hours held, digests collected.
#[derive(uniffi::Object)]
pub struct EventRouter {
    router: Arc<fa_core::routing::EventRouter>,
}

#[uniffi::export]
impl EventRouter {
    /// A router on `store`, timed by the store's clock, rendering Amazon notifications (other
    /// events by their kind and payload).
    #[uniffi::constructor]
    pub fn new(store: Arc<Store>) -> Arc<Self> {
        let router = fa_core::routing::EventRouter::new(store.store.clone())
            .with_clock(store.clock.clone())
            .with_renderer(Arc::new(AmazonEventRenderer));
        Arc::new(Self {
            router: Arc::new(router),
        })
    }

    /// Routes every unprocessed event of the household, each once; returns what it wrote.
    pub async fn route_pending(&self, household: HouseholdId) -> Result<RouteCommit> {
        let router = self.router.clone();
        run(async move { router.route_pending(household).await }).await
    }

    /// Queues the digests that are due, one message per member and channel; returns how many.
    pub async fn flush_digests(&self, household: HouseholdId) -> Result<u32> {
        let router = self.router.clone();
        run(async move { router.flush_digests(household).await }).await
    }
}

/// The app's SP-API registration: its Login with Amazon credentials, and other endpoints for
/// the sandbox or tests.
#[derive(Clone, uniffi::Record)]
pub struct AmazonAppSettings {
    /// The LWA client id.
    pub client_id: String,
    /// The LWA client secret.
    pub client_secret: Arc<SecretText>,
    /// Another SP-API endpoint (the sandbox, a mock in tests).
    #[uniffi(default = None)]
    pub sp_api_url: Option<String>,
    /// Another Login with Amazon token endpoint.
    #[uniffi(default = None)]
    pub lwa_url: Option<String>,
}

impl std::fmt::Debug for AmazonAppSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmazonAppSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish_non_exhaustive()
    }
}

/// Where a seller account sells.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SellerAccountSettings {
    /// `na`, `eu` or `fe`.
    pub region: String,
    /// Marketplace ids, e.g. `A1PA6795UKMFR9` (Germany).
    pub marketplaces: Vec<String>,
    /// What the household calls it.
    #[uniffi(default = "Amazon")]
    pub label: String,
    /// Items whose review topics are watched weekly.
    #[uniffi(default = [])]
    pub review_asins: Vec<String>,
}

/// A connected seller account (the refresh token stays sealed in the vault).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SellerAccountInfo {
    /// The integration that holds it.
    pub integration: Integration,
    /// `na`, `eu` or `fe`.
    pub region: String,
    /// Marketplace ids.
    pub marketplaces: Vec<String>,
    /// Items whose review topics are watched.
    pub review_asins: Vec<String>,
    /// Until when orders were reconciled.
    pub reconciled_until: Option<UtcTime>,
    /// When seller feedback was last checked.
    pub feedback_checked_at: Option<UtcTime>,
}

impl SellerAccountInfo {
    fn of(account: &SellerAccount) -> Self {
        let settings = account.settings();
        Self {
            integration: account.integration().clone(),
            region: format!("{:?}", settings.region).to_ascii_lowercase(),
            marketplaces: settings.marketplaces.clone(),
            review_asins: settings.review_asins.clone(),
            reconciled_until: settings.state.reconciled_until,
            feedback_checked_at: settings.state.feedback_checked_at,
        }
    }
}

/// What a reconciliation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ReconcileCounts {
    /// Orders getOrders returned.
    pub polled: u32,
    /// Status changes the queue had missed, now stored.
    pub missed: u32,
}

/// Orders over a period.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SalesCounts {
    /// Orders (cancelled ones excluded).
    pub orders: u32,
    /// Cancelled orders.
    pub cancelled: u32,
    /// Items in the orders.
    pub items: u32,
    /// Totals by currency.
    pub totals: HashMap<String, f64>,
    /// The summary in words, as the assistant says it.
    pub text: String,
}

/// The seller accounts of a store's households, called as one SP-API application.
#[derive(uniffi::Object)]
pub struct SellerAccounts {
    accounts: Arc<fa_amazon::account::SellerAccounts>,
}

impl SellerAccounts {
    async fn call<T, F>(
        &self,
        work: impl FnOnce(Arc<fa_amazon::account::SellerAccounts>) -> F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = fa_amazon::Result<T>> + Send + 'static,
    {
        let work = work(self.accounts.clone());
        run(async move { work.await.map_err(AmazonError) }).await
    }
}

#[uniffi::export]
impl SellerAccounts {
    /// Accounts on `store` (its vault seals the refresh tokens), called as `app`.
    #[uniffi::constructor]
    pub fn new(store: Arc<Store>, app: AmazonAppSettings) -> Result<Arc<Self>> {
        let mut amazon = AmazonApp::new(app.client_id, app.client_secret.secret());
        amazon.endpoint = app.sp_api_url.map(|u| u.trim_end_matches('/').to_owned());
        amazon.lwa_url = app.lwa_url;
        let accounts =
            fa_amazon::account::SellerAccounts::new(store.store.clone(), store.vault()?, amazon)
                .with_clock(store.clock.clone());
        Ok(Arc::new(Self {
            accounts: Arc::new(accounts),
        }))
    }

    /// Connects the member's seller account: Login with Amazon checks the refresh token first
    /// (a refused one is `Auth` and nothing is stored), then it is stored sealed.
    pub async fn connect(
        &self,
        scope: MemberScope,
        refresh_token: String,
        settings: SellerAccountSettings,
    ) -> Result<SellerAccountInfo> {
        let region: Region = settings.region.parse().map_err(AmazonError)?;
        let seller =
            SellerSettings::new(region, settings.marketplaces).review_asins(settings.review_asins);
        let label = settings.label;
        self.call(|accounts| async move {
            let account = accounts
                .connect(scope, &label, seller, Secret::new(refresh_token))
                .await?;
            Ok(SellerAccountInfo::of(&account))
        })
        .await
    }

    /// The household's active account (connected by an owner or adult), if any.
    pub async fn account(&self, household: HouseholdId) -> Result<Option<SellerAccountInfo>> {
        self.call(|accounts| async move {
            Ok(accounts
                .for_household(household)
                .await?
                .as_ref()
                .map(SellerAccountInfo::of))
        })
        .await
    }

    /// Polls getOrders over the last `window` and stores the status changes the queue missed,
    /// under the queue's own keys (so each is routed once).
    pub async fn reconcile(
        &self,
        household: HouseholdId,
        window: Duration,
    ) -> Result<ReconcileCounts> {
        self.call(|accounts| async move {
            let mut account = accounts.connected(household).await?;
            let report = account.reconcile(window).await?;
            Ok(ReconcileCounts {
                polled: report.polled,
                missed: report.missed,
            })
        })
        .await
    }

    /// Orders since `since`, with totals by currency.
    pub async fn sales_since(&self, household: HouseholdId, since: UtcTime) -> Result<SalesCounts> {
        self.call(|accounts| async move {
            let account = accounts.connected(household).await?;
            let sales = account.sales_since(since).await?;
            Ok(SalesCounts {
                text: sales.describe(),
                orders: sales.orders,
                cancelled: sales.cancelled,
                items: sales.items,
                totals: sales.totals.into_iter().collect(),
            })
        })
        .await
    }
}

/// The SQS queue the seller's notifications arrive on, and how to read it.
#[derive(Clone, uniffi::Record)]
pub struct SqsQueueSettings {
    /// The queue's URL.
    pub queue_url: String,
    /// Its AWS region, e.g. `eu-west-1`.
    pub region: String,
    /// The IAM access key id that reads it.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: Arc<SecretText>,
    /// Another SQS server (a local moto in tests).
    #[uniffi(default = None)]
    pub endpoint_url: Option<String>,
    /// How long one receive waits for messages (at most 20 s).
    #[uniffi(default = None)]
    pub wait_time: Option<Duration>,
    /// How long received messages stay hidden from other consumers.
    #[uniffi(default = None)]
    pub visibility_timeout: Option<Duration>,
    /// How often the visibility of a batch in hand is extended.
    #[uniffi(default = None)]
    pub heartbeat: Option<Duration>,
    /// When an unreadable message shows again (it reaches the dead-letter queue after the
    /// queue's maxReceiveCount).
    #[uniffi(default = None)]
    pub malformed_visibility: Option<Duration>,
}

impl std::fmt::Debug for SqsQueueSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqsQueueSettings")
            .field("queue_url", &self.queue_url)
            .field("region", &self.region)
            .field("secret_access_key", &"***")
            .finish_non_exhaustive()
    }
}

/// What one receive-and-handle round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SqsBatch {
    /// Messages received.
    pub received: u32,
    /// Notifications stored for the first time.
    pub stored: u32,
    /// Notifications already stored.
    pub duplicates: u32,
    /// Messages that could not be read.
    pub malformed: u32,
    /// Messages deleted from the queue.
    pub deleted: u32,
}

/// A consumer's totals since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SqsTotals {
    /// Messages received.
    pub received: u64,
    /// Notifications stored for the first time.
    pub stored: u64,
    /// Duplicates recognised.
    pub duplicates: u64,
    /// Messages that could not be read.
    pub malformed: u64,
    /// Rounds that failed and were retried.
    pub failed_rounds: u64,
}

impl From<fa_amazon::sqs::SqsStats> for SqsTotals {
    fn from(s: fa_amazon::sqs::SqsStats) -> Self {
        Self {
            received: s.received,
            stored: s.stored,
            duplicates: s.duplicates,
            malformed: s.malformed,
            failed_rounds: s.failed_rounds,
        }
    }
}

/// Reads SP-API notifications from an SQS queue into one household: each stored once (and,
/// with a router, routed in the same transaction), deleted only once stored; unreadable ones
/// kept as failed events and left to the queue's dead-letter policy.
#[derive(uniffi::Object)]
pub struct SqsConsumer {
    source: Arc<SqsNotificationSource>,
    stop: tokio::sync::watch::Sender<bool>,
}

#[uniffi::export]
impl SqsConsumer {
    /// A consumer of `queue` for `household`; with `router`, each new notification is routed in
    /// the transaction that stores it.
    #[uniffi::constructor(default(router = None))]
    pub fn new(
        store: Arc<Store>,
        household: HouseholdId,
        queue: SqsQueueSettings,
        router: Option<Arc<EventRouter>>,
    ) -> Arc<Self> {
        let mut config = SqsConfig::new(
            queue.queue_url,
            queue.region,
            queue.access_key_id,
            queue.secret_access_key.secret(),
        );
        if let Some(endpoint) = queue.endpoint_url {
            config = config.endpoint_url(endpoint.trim_end_matches('/'));
        }
        let mut options = SqsOptions::default();
        if let Some(wait) = queue.wait_time {
            options = options.wait_time(wait);
        }
        if let Some(timeout) = queue.visibility_timeout {
            options = options.visibility_timeout(timeout);
        }
        if let Some(every) = queue.heartbeat {
            options = options.heartbeat(every);
        }
        if let Some(after) = queue.malformed_visibility {
            options = options.malformed_visibility(after);
        }
        let mut source = SqsNotificationSource::new(&config, store.store.clone(), household)
            .with_options(options);
        if let Some(router) = router {
            source = source.with_router(router.router.clone());
        }
        let (stop, _) = tokio::sync::watch::channel(false);
        Arc::new(Self {
            source: Arc::new(source),
            stop,
        })
    }

    /// One receive (a long poll) and the handling of what it received.
    pub async fn poll_once(&self) -> Result<SqsBatch> {
        let source = self.source.clone();
        run(async move {
            let report = source.poll_once().await.map_err(AmazonError)?;
            Ok::<_, FaError>(SqsBatch {
                received: report.received,
                stored: report.stored,
                duplicates: report.duplicates,
                malformed: report.malformed,
                deleted: report.deleted,
            })
        })
        .await
    }

    /// Totals since the consumer was made.
    pub fn stats(&self) -> SqsTotals {
        self.source.stats().into()
    }

    /// Reads until `stop()` (failed rounds are retried with backoff, never thrown), finishes
    /// the batch in hand and returns the totals.
    pub async fn run(&self) -> Result<SqsTotals> {
        let source = self.source.clone();
        self.stop.send_replace(false);
        let mut stopped = self.stop.subscribe();
        run(async move {
            let stats = source
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
            Ok::<_, FaError>(stats.into())
        })
        .await
    }

    /// Asks a running consumer to stop after the batch in hand.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}

/// An SP-API notification as the consumer stores it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ParsedNotification {
    /// `amazon`.
    pub source: String,
    /// `order:<id>:<status>` for order status changes, else `notification:<id>`.
    pub idempotency_key: String,
    /// The notification type, e.g. `ORDER_CHANGE`.
    pub kind: String,
    /// The payload.
    pub payload: Json,
}

/// Reads one SP-API notification (an SQS message body, either envelope spelling). Unreadable
/// input is `InvalidInput` saying why.
#[uniffi::export]
pub fn parse_notification(body: String) -> Result<ParsedNotification> {
    let notification = SpApiNotification::parse(&body).map_err(|e| FaError::InvalidInput {
        reason: format!("body: {e}"),
    })?;
    let event = notification.into_event();
    Ok(ParsedNotification {
        source: event.source,
        idempotency_key: event.idempotency_key,
        kind: event.kind,
        payload: event.payload,
    })
}
