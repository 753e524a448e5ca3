//! An Amazon seller account from Python: `EventRouter` (route rules at work), `SellerAccounts`
//! (connect with the refresh token, reconcile, sales), `SqsConsumer` (SP-API notifications from
//! an SQS queue) and `parse_notification`.

use std::collections::BTreeMap;
use std::sync::Arc;

use fa_amazon::account::{AmazonApp, SellerAccount, SellerSettings};
use fa_amazon::sqs::{SqsConfig, SqsNotificationSource, SqsOptions};
use fa_amazon::{AmazonEventRenderer, Region, SpApiNotification};
use fa_core::connector::ConnectorErrorKind;
use fa_core::{HouseholdId, Secret};
use pyo3::prelude::*;
use serde::Serialize;

use crate::convert::{Json, id, instant, scope, seconds};
use crate::errors::{invalid, raise, to_py};
use crate::store::Store;

/// The exception for an error of fa-amazon, by its kind.
pub(crate) fn amazon_to_py(error: fa_amazon::Error) -> PyErr {
    if let fa_amazon::Error::Store(core) = error {
        return to_py(core);
    }
    let (name, retry_after) = match &error {
        fa_amazon::Error::InvalidInput { .. } | fa_amazon::Error::Malformed { .. } => {
            ("InvalidInput", None)
        }
        other => match other.kind() {
            ConnectorErrorKind::RateLimited { retry_after } => ("RateLimited", retry_after),
            ConnectorErrorKind::Unauthorized => ("Unauthorized", None),
            ConnectorErrorKind::NotFound => ("NotFound", None),
            ConnectorErrorKind::Transient => ("Unavailable", None),
            _ => ("InternalError", None),
        },
    };
    raise(name, error.to_string(), retry_after)
}

/// Runs `work` on fa's runtime; its fa-amazon error becomes the exception for its kind.
fn spawn_amazon<'py, T, F>(py: Python<'py>, work: F) -> PyResult<Bound<'py, PyAny>>
where
    T: Serialize + Send + 'static,
    F: std::future::Future<Output = fa_amazon::Result<T>> + Send + 'static,
{
    crate::bridge::future(
        py,
        async move { work.await.map(Json).map_err(amazon_to_py) },
    )
}

/// Routes a household's inbound events to members by the store's route rules: immediate
/// messages into the notification outbox, quiet hours held, digests collected.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct EventRouter {
    pub(crate) router: Arc<fa_core::routing::EventRouter>,
}

#[pymethods]
impl EventRouter {
    /// A router on `store`, timed by the store's clock, rendering Amazon notifications (other
    /// events by their kind and payload).
    #[new]
    fn new(store: &Bound<'_, Store>) -> Self {
        let store = store.get();
        let router = fa_core::routing::EventRouter::new(store.store.clone())
            .with_clock(store.clock.clone())
            .with_renderer(Arc::new(AmazonEventRenderer));
        Self {
            router: Arc::new(router),
        }
    }

    /// Routes every unprocessed event of the household; returns what it wrote.
    fn route_pending<'py>(&self, py: Python<'py>, household: &str) -> PyResult<Bound<'py, PyAny>> {
        let (router, household) = (self.router.clone(), id::<HouseholdId>(household)?);
        crate::convert::spawn(py, async move { router.route_pending(household).await })
    }

    /// Sends the digests that are due as one message per member and channel; returns how
    /// many messages it queued.
    fn flush_digests<'py>(&self, py: Python<'py>, household: &str) -> PyResult<Bound<'py, PyAny>> {
        let (router, household) = (self.router.clone(), id::<HouseholdId>(household)?);
        crate::convert::spawn(py, async move { router.flush_digests(household).await })
    }
}

/// A seller account as the package shows it.
#[derive(Serialize)]
struct AccountView {
    integration: fa_core::Integration,
    region: Region,
    marketplaces: Vec<String>,
    review_asins: Vec<String>,
    reconciled_until: Option<chrono::DateTime<chrono::Utc>>,
    feedback_checked_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl AccountView {
    fn of(account: &SellerAccount) -> Self {
        let settings = account.settings();
        Self {
            integration: account.integration().clone(),
            region: settings.region,
            marketplaces: settings.marketplaces.clone(),
            review_asins: settings.review_asins.clone(),
            reconciled_until: settings.state.reconciled_until,
            feedback_checked_at: settings.state.feedback_checked_at,
        }
    }
}

/// What `reconcile()` returns.
#[derive(Serialize)]
struct Reconciled {
    polled: u32,
    missed: u32,
}

/// What `sales_since()` returns.
#[derive(Serialize)]
struct Sales {
    orders: u32,
    cancelled: u32,
    items: u32,
    totals: BTreeMap<String, f64>,
    by_status: BTreeMap<String, u32>,
    text: String,
}

/// The seller accounts of a store's households, called as one SP-API application.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct SellerAccounts {
    accounts: Arc<fa_amazon::account::SellerAccounts>,
}

#[pymethods]
impl SellerAccounts {
    /// Accounts on `store` (its vault seals the refresh tokens), called as the app with these
    /// Login with Amazon credentials; `sp_api_url` and `lwa_url` point elsewhere (the sandbox,
    /// tests).
    #[new]
    #[pyo3(signature = (store, client_id, client_secret, sp_api_url = None, lwa_url = None))]
    fn new(
        store: &Bound<'_, Store>,
        client_id: String,
        client_secret: String,
        sp_api_url: Option<String>,
        lwa_url: Option<String>,
    ) -> PyResult<Self> {
        let store = store.get();
        let mut app = AmazonApp::new(client_id, Secret::new(client_secret));
        app.endpoint = sp_api_url.map(|u| u.trim_end_matches('/').to_owned());
        app.lwa_url = lwa_url;
        let accounts =
            fa_amazon::account::SellerAccounts::new(store.store.clone(), store.vault()?, app)
                .with_clock(store.clock.clone());
        Ok(Self {
            accounts: Arc::new(accounts),
        })
    }

    /// Connects the member's seller account: Login with Amazon checks the refresh token first
    /// (nothing is stored if it is refused), then it is stored sealed.
    #[pyo3(signature = (household, member, refresh_token, region, marketplaces, label = "Amazon".to_owned(), review_asins = Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn connect<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        refresh_token: String,
        region: &str,
        marketplaces: Vec<String>,
        label: String,
        review_asins: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scope = scope(household, member)?;
        let region: Region = region.parse().map_err(amazon_to_py)?;
        let settings = SellerSettings::new(region, marketplaces).review_asins(review_asins);
        let accounts = self.accounts.clone();
        spawn_amazon(py, async move {
            let account = accounts
                .connect(scope, &label, settings, Secret::new(refresh_token))
                .await?;
            Ok(AccountView::of(&account))
        })
    }

    /// The household's active account, or None.
    fn account<'py>(&self, py: Python<'py>, household: &str) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, household) = (self.accounts.clone(), id::<HouseholdId>(household)?);
        spawn_amazon(py, async move {
            Ok(accounts
                .for_household(household)
                .await?
                .as_ref()
                .map(AccountView::of))
        })
    }

    /// Polls getOrders over the last `window` seconds and stores the status changes the queue
    /// missed (each once, under the notification's own key).
    #[pyo3(signature = (household, window = 6.0 * 3600.0))]
    fn reconcile<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        window: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, household) = (self.accounts.clone(), id::<HouseholdId>(household)?);
        let window = seconds("window", window)?;
        spawn_amazon(py, async move {
            let mut account = accounts.connected(household).await?;
            let report = account.reconcile(window).await?;
            Ok(Reconciled {
                polled: report.polled,
                missed: report.missed,
            })
        })
    }

    /// Orders since `since` (RFC 3339), with totals by currency.
    fn sales_since<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        since: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, household) = (self.accounts.clone(), id::<HouseholdId>(household)?);
        let since = instant("since", since)?;
        spawn_amazon(py, async move {
            let account = accounts.connected(household).await?;
            let sales = account.sales_since(since).await?;
            Ok(Sales {
                text: sales.describe(),
                orders: sales.orders,
                cancelled: sales.cancelled,
                items: sales.items,
                totals: sales.totals,
                by_status: sales.by_status,
            })
        })
    }
}

/// What `poll_once()` returns.
#[derive(Serialize)]
struct Batch {
    received: u32,
    stored: u32,
    duplicates: u32,
    malformed: u32,
    deleted: u32,
}

/// What `stats()` and `run()` return.
#[derive(Serialize)]
struct Stats {
    received: u64,
    stored: u64,
    duplicates: u64,
    malformed: u64,
    failed_rounds: u64,
}

impl From<fa_amazon::sqs::SqsStats> for Stats {
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

/// Reads SP-API notifications from an SQS queue into one household: each stored once,
/// deleted only once stored, unreadable ones kept as failed events and left to the queue's
/// dead-letter policy.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct SqsConsumer {
    source: Arc<SqsNotificationSource>,
    stop: tokio::sync::watch::Sender<bool>,
}

#[pymethods]
impl SqsConsumer {
    #[new]
    #[pyo3(signature = (store, household, queue_url, region, access_key_id, secret_access_key, endpoint_url = None, router = None, wait_time = 20.0, visibility_timeout = 60.0, heartbeat = 20.0, malformed_visibility = 30.0, batch_size = 10))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        store: &Bound<'_, Store>,
        household: &str,
        queue_url: String,
        region: String,
        access_key_id: String,
        secret_access_key: String,
        endpoint_url: Option<String>,
        router: Option<&Bound<'_, EventRouter>>,
        wait_time: f64,
        visibility_timeout: f64,
        heartbeat: f64,
        malformed_visibility: f64,
        batch_size: i32,
    ) -> PyResult<Self> {
        if !(1..=10).contains(&batch_size) {
            return Err(invalid(
                "batch_size",
                format!("{batch_size}: SQS hands out 1 to 10 messages at a time"),
            ));
        }
        let household = id::<HouseholdId>(household)?;
        let mut config = SqsConfig::new(
            queue_url,
            region,
            access_key_id,
            Secret::new(secret_access_key),
        );
        if let Some(endpoint) = endpoint_url {
            config = config.endpoint_url(endpoint.trim_end_matches('/'));
        }
        let options = SqsOptions::default()
            .batch_size(batch_size)
            .wait_time(seconds("wait_time", wait_time)?)
            .visibility_timeout(seconds("visibility_timeout", visibility_timeout)?)
            .heartbeat(seconds("heartbeat", heartbeat)?)
            .malformed_visibility(seconds("malformed_visibility", malformed_visibility)?);
        let mut source = SqsNotificationSource::new(&config, store.get().store.clone(), household)
            .with_options(options);
        if let Some(router) = router {
            source = source.with_router(router.get().router.clone());
        }
        let (stop, _) = tokio::sync::watch::channel(false);
        Ok(Self {
            source: Arc::new(source),
            stop,
        })
    }

    /// One receive-and-handle round (a long poll of up to `wait_time`); returns its counts.
    fn poll_once<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let source = self.source.clone();
        spawn_amazon(py, async move {
            let report = source.poll_once().await?;
            Ok(Batch {
                received: report.received,
                stored: report.stored,
                duplicates: report.duplicates,
                malformed: report.malformed,
                deleted: report.deleted,
            })
        })
    }

    /// Totals since the consumer was made.
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(Json(Stats::from(self.source.stats()))
            .into_pyobject(py)?
            .unbind())
    }

    /// Reads until `stop()`: failed rounds are retried with backoff, never raised. Finishes the
    /// batch in hand and returns the totals.
    fn run<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let source = self.source.clone();
        self.stop.send_replace(false);
        let mut stopped = self.stop.subscribe();
        crate::runtime::register_background(self.stop.clone());
        crate::bridge::future(py, async move {
            let stats = source
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
            Ok(Json(Stats::from(stats)))
        })
    }

    /// Asks a running consumer to stop after the batch in hand.
    fn stop(&self) {
        self.stop.send_replace(true);
    }
}

/// Reads one SP-API notification (an SQS message body): its kind, idempotency key and payload,
/// as the consumer would store it. Unreadable input raises `InvalidInput` saying why.
#[pyfunction]
pub(crate) fn parse_notification(py: Python<'_>, body: &str) -> PyResult<Py<PyAny>> {
    let notification =
        SpApiNotification::parse(body).map_err(|e| invalid("body", e.to_string()))?;
    let event = notification.into_event();
    let parsed = serde_json::json!({
        "source": event.source,
        "idempotency_key": event.idempotency_key,
        "kind": event.kind,
        "payload": event.payload,
    });
    Ok(Json(parsed).into_pyobject(py)?.unbind())
}
