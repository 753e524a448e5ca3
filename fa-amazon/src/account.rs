//! A household's seller account: the integration (settings and state in the store, the refresh
//! token sealed by the Vault), and what fa does with it on a schedule — reconcile orders the
//! queue missed, watch seller feedback and review topics — and for the assistant's tools.
//!
//! When Login with Amazon refuses the refresh token (`invalid_grant`), the integration is
//! marked `needs_reauth` and its owner gets one message saying what to do.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fa_core::{
    Clock, DynStore, HouseholdId, InboundEvent, Integration, IntegrationId, IntegrationStatus,
    MemberScope, NewIntegration, NewNotification, Role, Secret, SystemClock, Vault,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::notification::EVENT_SOURCE;
use crate::orders::Order;
use crate::reconcile::ReconciledOrder;
use crate::sp_api::{
    FeedbackEntry, LwaCredentials, OrderQuery, Region, SELLER_FEEDBACK_REPORT, SpApiClient,
    SpApiConfig, parse_seller_feedback,
};
use crate::{Error, Result};

/// The integration kind of a seller account.
pub const SELLER_INTEGRATION: &str = "amazon_sp_api";

/// The operator's SP-API application: one for every household the bot serves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AmazonApp {
    /// The app's LWA client id.
    pub client_id: String,
    /// The app's LWA client secret.
    pub client_secret: Secret,
    /// Another Login with Amazon endpoint (tests).
    pub lwa_url: Option<String>,
    /// Another SP-API endpoint for every account (the sandbox, or tests).
    pub endpoint: Option<String>,
}

impl AmazonApp {
    /// The app with these LWA credentials.
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            lwa_url: None,
            endpoint: None,
        }
    }

    /// Talks to these endpoints instead of Amazon's (the sandbox, or a mock in tests).
    pub fn endpoints(mut self, sp_api: impl Into<String>, lwa: impl Into<String>) -> Self {
        self.endpoint = Some(sp_api.into());
        self.lwa_url = Some(lwa.into());
        self
    }
}

/// What fa keeps about a seller account besides the refresh token (the integration's
/// settings): where it sells, what to watch, and how far the checks have got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SellerSettings {
    /// The SP-API region.
    pub region: Region,
    /// The marketplaces sold in, e.g. `A1PA6795UKMFR9` (Germany).
    pub marketplaces: Vec<String>,
    /// Items whose review topics are watched weekly.
    #[serde(default)]
    pub review_asins: Vec<String>,
    /// How far the checks have got.
    #[serde(default)]
    pub state: SellerState,
}

impl SellerSettings {
    /// An account in `region` selling in `marketplaces`.
    pub fn new<I, S>(region: Region, marketplaces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            region,
            marketplaces: marketplaces.into_iter().map(Into::into).collect(),
            review_asins: Vec::new(),
            state: SellerState::default(),
        }
    }

    /// Watches the review topics of these items.
    pub fn review_asins<I, S>(mut self, asins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.review_asins = asins.into_iter().map(Into::into).collect();
        self
    }
}

/// How far the scheduled checks have got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SellerState {
    /// Until when orders were reconciled.
    pub reconciled_until: Option<DateTime<Utc>>,
    /// When seller feedback was last checked.
    pub feedback_checked_at: Option<DateTime<Utc>>,
    /// Last week's mentions of each negative review topic, by item.
    #[serde(default)]
    pub review_topics: BTreeMap<String, BTreeMap<String, u64>>,
}

/// What a reconciliation found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcileReport {
    /// Orders getOrders returned.
    pub polled: u32,
    /// Status changes the queue had not delivered, now stored.
    pub missed: u32,
}

/// Orders over a period, for the assistant and the daily digest.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SalesSummary {
    /// Orders (cancelled ones excluded).
    pub orders: u32,
    /// Cancelled orders.
    pub cancelled: u32,
    /// Items in the orders.
    pub items: u32,
    /// Totals by currency.
    pub totals: BTreeMap<String, f64>,
    /// Orders by status.
    pub by_status: BTreeMap<String, u32>,
}

impl SalesSummary {
    /// Sums up `orders`.
    pub fn of(orders: &[Order]) -> Self {
        let mut summary = SalesSummary::default();
        for order in orders {
            *summary
                .by_status
                .entry(order.order_status.clone())
                .or_default() += 1;
            if order.order_status == "Canceled" {
                summary.cancelled += 1;
                continue;
            }
            summary.orders += 1;
            summary.items += order.item_count();
            if let Some(total) = &order.order_total
                && let (Some(currency), Some(amount)) = (&total.currency_code, total.value())
            {
                *summary.totals.entry(currency.clone()).or_default() += amount;
            }
        }
        summary
    }

    /// In words: "3 orders, 5 items, 120.50 EUR (1 cancelled)".
    pub fn describe(&self) -> String {
        let mut text = format!("{} order(s), {} item(s)", self.orders, self.items);
        for (currency, amount) in &self.totals {
            text.push_str(&format!(", {amount:.2} {currency}"));
        }
        if self.cancelled > 0 {
            text.push_str(&format!(" ({} cancelled)", self.cancelled));
        }
        text
    }
}

/// Opens and connects households' seller accounts. Holds the operator's app credentials and
/// the Vault; share it as `Arc`.
pub struct SellerAccounts {
    store: DynStore,
    vault: Arc<Vault>,
    app: AmazonApp,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SellerAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SellerAccounts")
            .field("client_id", &self.app.client_id)
            .finish_non_exhaustive()
    }
}

impl SellerAccounts {
    /// Accounts on `store`, credentials sealed by `vault`, calls made as `app`.
    pub fn new(store: DynStore, vault: Arc<Vault>, app: AmazonApp) -> Self {
        Self {
            store,
            vault,
            app,
            clock: Arc::new(SystemClock),
        }
    }

    /// Uses `clock` for token life, rate limits and the checks' windows.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// Connects the member's seller account: checks the refresh token with Login with Amazon
    /// first (nothing is stored if it is refused), then creates the integration and stores the
    /// token sealed.
    pub async fn connect(
        &self,
        scope: MemberScope,
        label: &str,
        settings: SellerSettings,
        refresh_token: Secret,
    ) -> Result<SellerAccount> {
        if settings.marketplaces.is_empty() {
            return Err(Error::invalid(
                "marketplaces",
                "name at least one marketplace id, e.g. ATVPDKIKX0DER (US) or A1PA6795UKMFR9 (DE)",
            ));
        }
        let client = self.client(&settings, refresh_token.clone())?;
        client.check_credentials().await?;
        let integration = self
            .store
            .create_integration(
                scope,
                NewIntegration::new(SELLER_INTEGRATION, label).with_settings(json!(settings)),
            )
            .await?;
        self.vault
            .store_credential(self.store.as_ref(), scope, integration.id, &refresh_token)
            .await?;
        Ok(self.account(scope, integration, settings, client))
    }

    /// Opens a connected account.
    pub async fn open(&self, scope: MemberScope, id: IntegrationId) -> Result<SellerAccount> {
        let integration = self
            .store
            .integration(scope, id)
            .await?
            .filter(|i| i.kind == SELLER_INTEGRATION)
            .ok_or(fa_core::Error::NotFound {
                what: "seller account",
            })?;
        let settings: SellerSettings = serde_json::from_value(integration.settings.clone())
            .map_err(|e| Error::invalid("seller account settings", e.to_string()))?;
        let token = self
            .vault
            .load_credential(self.store.as_ref(), scope, id)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "seller account",
                    "it has no refresh token; connect the account again",
                )
            })?;
        let client = self.client(&settings, token)?;
        Ok(self.account(scope, integration, settings, client))
    }

    /// The household's active seller account, if an owner or adult connected one.
    pub async fn for_household(&self, household: HouseholdId) -> Result<Option<SellerAccount>> {
        for member in self.store.members(household).await? {
            if !matches!(member.role, Role::Owner | Role::Adult) {
                continue;
            }
            for integration in self.store.integrations(member.scope()).await? {
                if integration.kind == SELLER_INTEGRATION
                    && integration.status == IntegrationStatus::Active
                {
                    return self.open(member.scope(), integration.id).await.map(Some);
                }
            }
        }
        Ok(None)
    }

    /// The household's active seller account; `NotFound` (saying how to connect one) if there
    /// is none.
    pub async fn connected(&self, household: HouseholdId) -> Result<SellerAccount> {
        self.for_household(household)
            .await?
            .ok_or(Error::Store(fa_core::Error::NotFound {
                what: "seller account in this household (connect one first: /amazon connect)",
            }))
    }

    fn client(&self, settings: &SellerSettings, refresh_token: Secret) -> Result<SpApiClient> {
        let credentials = LwaCredentials::new(
            self.app.client_id.clone(),
            self.app.client_secret.clone(),
            refresh_token,
        );
        let mut config = match &self.app.endpoint {
            Some(endpoint) => SpApiConfig::with_endpoint(endpoint.clone(), credentials),
            None => SpApiConfig::new(settings.region, credentials),
        };
        if let Some(lwa) = &self.app.lwa_url {
            config = config.lwa_url(lwa.clone());
        }
        SpApiClient::with_clock(config, self.clock.clone())
    }

    fn account(
        &self,
        scope: MemberScope,
        integration: Integration,
        settings: SellerSettings,
        client: SpApiClient,
    ) -> SellerAccount {
        SellerAccount {
            store: self.store.clone(),
            clock: self.clock.clone(),
            scope,
            integration,
            settings,
            client,
        }
    }
}

/// One connected seller account.
pub struct SellerAccount {
    store: DynStore,
    clock: Arc<dyn Clock>,
    scope: MemberScope,
    integration: Integration,
    settings: SellerSettings,
    client: SpApiClient,
}

impl std::fmt::Debug for SellerAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SellerAccount")
            .field("integration", &self.integration.id)
            .field("region", &self.settings.region)
            .field("marketplaces", &self.settings.marketplaces)
            .finish_non_exhaustive()
    }
}

impl SellerAccount {
    /// The integration.
    pub fn integration(&self) -> &Integration {
        &self.integration
    }

    /// The member who connected it.
    pub fn scope(&self) -> MemberScope {
        self.scope
    }

    /// Its settings and state.
    pub fn settings(&self) -> &SellerSettings {
        &self.settings
    }

    /// The SP-API client.
    pub fn client(&self) -> &SpApiClient {
        &self.client
    }

    /// Stores, as `ORDER_CHANGE` events, order status changes getOrders shows since the last
    /// reconciliation (at most `window` back) that the queue did not deliver. Both paths key a
    /// status change as `order:<id>:<status>`, so what the queue delivered is not stored again.
    pub async fn reconcile(&mut self, window: Duration) -> Result<ReconcileReport> {
        let now = self.clock.now();
        let earliest = now - chrono::Duration::from_std(window).unwrap_or_default();
        // Overlap the last run by five minutes: Amazon's LastUpdateDate can trail the change.
        let since = self
            .settings
            .state
            .reconciled_until
            .map(|until| (until - chrono::Duration::minutes(5)).max(earliest))
            .unwrap_or(earliest);
        let orders = self
            .guard(
                self.client
                    .get_orders(
                        &self.settings.marketplaces,
                        &OrderQuery::LastUpdatedAfter(since),
                    )
                    .await,
            )
            .await?;
        let events = orders
            .iter()
            .map(|order| ReconciledOrder(order.clone()).to_event())
            .collect();
        let recorded = self
            .store
            .record_events(self.scope.household, events)
            .await?;
        let missed = recorded.iter().filter(|r| r.is_new()).count();
        self.settings.state.reconciled_until = Some(now);
        self.save_settings().await?;
        if missed > 0 {
            tracing::info!(
                missed,
                polled = orders.len(),
                "reconciliation found orders the queue missed"
            );
        }
        Ok(ReconcileReport {
            polled: count(orders.len()),
            missed: count(missed),
        })
    }

    /// Fetches the seller feedback report since the last check and stores each negative (1–2
    /// star) entry not seen before as a `SELLER_FEEDBACK` event. SP-API has no notification per
    /// review or feedback; this daily check is how fa learns of them. `poll_every` is how long
    /// to wait between report status checks (up to 30 of them).
    pub async fn check_feedback(&mut self, poll_every: Duration) -> Result<u32> {
        let now = self.clock.now();
        let since = self
            .settings
            .state
            .feedback_checked_at
            .unwrap_or(now - chrono::Duration::days(30));
        let report_id = self
            .guard(
                self.client
                    .create_report(
                        SELLER_FEEDBACK_REPORT,
                        &self.settings.marketplaces,
                        Some(since),
                    )
                    .await,
            )
            .await?;
        let mut report = None;
        for _ in 0..30 {
            let current = self.guard(self.client.get_report(&report_id).await).await?;
            match current.processing_status.as_str() {
                "DONE" => {
                    report = Some(current);
                    break;
                }
                "CANCELLED" => {
                    // Amazon cancels a report with no data in it.
                    self.settings.state.feedback_checked_at = Some(now);
                    self.save_settings().await?;
                    return Ok(0);
                }
                "FATAL" => {
                    return Err(Error::Api {
                        operation: "getReport",
                        status: 200,
                        code: "FATAL".into(),
                        message: "Amazon could not produce the seller feedback report".into(),
                    });
                }
                _ => {
                    let deadline = self.clock.now()
                        + chrono::Duration::from_std(poll_every).unwrap_or_default();
                    fa_core::sleep_until(self.clock.as_ref(), deadline).await;
                }
            }
        }
        let Some(document_id) = report.and_then(|r| r.report_document_id) else {
            return Err(Error::Network {
                operation: "getReport",
                reason: "the seller feedback report was not ready in time; the next check retries"
                    .into(),
            });
        };
        let document = self
            .guard(self.client.get_report_document(&document_id).await)
            .await?;
        let bytes = self.client.download_report_document(&document).await?;
        let (entries, skipped) = parse_seller_feedback(&bytes);
        if skipped > 0 {
            tracing::warn!(
                skipped,
                "rows of the seller feedback report could not be read"
            );
        }
        let events = entries
            .iter()
            .filter(|entry| entry.is_negative())
            .map(feedback_event)
            .collect();
        let recorded = self
            .store
            .record_events(self.scope.household, events)
            .await?;
        self.settings.state.feedback_checked_at = Some(now);
        self.save_settings().await?;
        Ok(count(recorded.iter().filter(|r| r.is_new()).count()))
    }

    /// Compares each watched item's negative review topics with last week's and stores a
    /// `REVIEW_TOPICS_CHANGED` event for each item with new or growing complaints. The first
    /// check of an item only records its baseline.
    pub async fn check_review_topics(&mut self) -> Result<u32> {
        let Some(marketplace) = self.settings.marketplaces.first().cloned() else {
            return Ok(0);
        };
        let today = self.clock.now().date_naive();
        let mut events = Vec::new();
        for asin in self.settings.review_asins.clone() {
            let Some(topics) = self
                .guard(
                    self.client
                        .get_item_review_topics(&asin, &marketplace)
                        .await,
                )
                .await?
            else {
                continue;
            };
            let snapshot = topics.negative_mentions();
            if let Some(previous) = self.settings.state.review_topics.get(&asin) {
                let complaints = topics.new_complaints(previous);
                if !complaints.is_empty() {
                    events.push(fa_core::NewInboundEvent::new(
                        EVENT_SOURCE,
                        format!("review-topics:{asin}:{today}"),
                        "REVIEW_TOPICS_CHANGED",
                        json!({"ReviewTopicsChanged": {
                            "asin": asin,
                            "itemName": topics.item_name,
                            "marketplaceId": topics.marketplace_id,
                            "newComplaints": complaints,
                        }}),
                    ));
                }
            }
            self.settings.state.review_topics.insert(asin, snapshot);
        }
        let recorded = self
            .store
            .record_events(self.scope.household, events)
            .await?;
        self.save_settings().await?;
        Ok(count(recorded.iter().filter(|r| r.is_new()).count()))
    }

    /// Orders since `since`, summed up.
    pub async fn sales_since(&self, since: DateTime<Utc>) -> Result<SalesSummary> {
        let orders = self
            .guard(
                self.client
                    .get_orders(
                        &self.settings.marketplaces,
                        &OrderQuery::CreatedAfter(since),
                    )
                    .await,
            )
            .await?;
        Ok(SalesSummary::of(&orders))
    }

    /// One order.
    pub async fn order(&self, order_id: &str) -> Result<Order> {
        self.guard(self.client.get_order(order_id).await).await
    }

    /// The household's most recent stored events of these kinds.
    pub async fn recent(&self, kinds: &[&str], limit: u32) -> Result<Vec<InboundEvent>> {
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        Ok(self
            .store
            .recent_events(self.scope.household, EVENT_SOURCE, &kinds, limit)
            .await?)
    }

    async fn save_settings(&self) -> Result<()> {
        self.store
            .update_integration_settings(self.scope, self.integration.id, json!(self.settings))
            .await?;
        Ok(())
    }

    /// On `invalid_grant`: marks the integration `needs_reauth` and tells its owner, once a day.
    async fn guard<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(Error::InvalidGrant { .. }) = &result {
            self.store
                .set_integration_status(
                    self.scope,
                    self.integration.id,
                    IntegrationStatus::NeedsReauth,
                )
                .await?;
            let today = self.clock.now().date_naive();
            let message = format!(
                "Amazon no longer accepts fa's access to the seller account \"{}\". In Seller \
                 Central, authorise the app again, then send the new refresh token with \
                 /amazon connect. Until then no orders are checked.",
                self.integration.label
            );
            self.store
                .enqueue_notification(
                    self.scope,
                    NewNotification::new(
                        fa_core::scheduler::DEFAULT_CHANNEL,
                        format!("amazon-reauth:{}:{today}", self.integration.id),
                        message,
                    ),
                )
                .await?;
        }
        result
    }
}

fn feedback_event(entry: &FeedbackEntry) -> fa_core::NewInboundEvent {
    fa_core::NewInboundEvent::new(
        EVENT_SOURCE,
        format!("feedback:{}:{}", entry.order_id, entry.date),
        "SELLER_FEEDBACK",
        json!({"SellerFeedback": entry}),
    )
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
