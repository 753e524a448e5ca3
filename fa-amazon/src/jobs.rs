//! Scheduler job kinds for a household's seller account: the reconciliation poll, the daily
//! seller feedback check, the weekly review topics check and the daily sales digest. Each
//! finds the household's account itself ([`SellerAccounts::for_household`]), so a job can be
//! scheduled for any member (the digest goes to the job's member).
//!
//! ```no_run
//! # use std::sync::Arc;
//! # fn wire(accounts: Arc<fa_amazon::account::SellerAccounts>) {
//! let mut registry = fa_core::scheduler::JobRegistry::with_builtins();
//! fa_amazon::jobs::register(&mut registry, accounts);
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{NaiveTime, TimeZone as _};
use fa_core::MisfirePolicy;
use fa_core::scheduler::{JobContext, JobError, JobKind, JobOutput, JobRegistry};
use serde::{Deserialize, Serialize};

use crate::account::{SellerAccount, SellerAccounts};

/// Registers every fa-amazon job kind.
pub fn register(registry: &mut JobRegistry, accounts: Arc<SellerAccounts>) {
    registry.register(ReconcileOrders(accounts.clone()));
    registry.register(SellerFeedbackCheck(accounts.clone()));
    registry.register(ReviewTopicsCheck(accounts.clone()));
    registry.register(SalesDigest(accounts));
}

async fn account(accounts: &SellerAccounts, ctx: &JobContext) -> Result<SellerAccount, JobError> {
    accounts
        .for_household(ctx.job.household_id)
        .await?
        .ok_or_else(|| JobError("no seller account is connected in this household".into()))
}

/// Payload of [`ReconcileOrders`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcilePayload {
    /// How far back to look at most, in minutes (default 180).
    #[serde(default)]
    pub window_minutes: Option<u32>,
}

/// `amazon_reconcile_orders`: stores order status changes the queue missed (run it every 15
/// to 60 minutes).
pub struct ReconcileOrders(pub Arc<SellerAccounts>);

#[async_trait]
impl JobKind for ReconcileOrders {
    const NAME: &'static str = "amazon_reconcile_orders";
    type Payload = ReconcilePayload;

    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::FireOnce
    }

    async fn run(
        &self,
        ctx: &JobContext,
        payload: ReconcilePayload,
    ) -> Result<JobOutput, JobError> {
        let minutes = u64::from(payload.window_minutes.unwrap_or(180));
        let mut account = account(&self.0, ctx).await?;
        account.reconcile(Duration::from_secs(minutes * 60)).await?;
        Ok(JobOutput::Nothing)
    }
}

/// Payload of [`SellerFeedbackCheck`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackPayload {
    /// Seconds between report status checks (default 60).
    #[serde(default)]
    pub poll_seconds: Option<u32>,
}

/// `amazon_seller_feedback`: stores new negative seller feedback (run it daily).
pub struct SellerFeedbackCheck(pub Arc<SellerAccounts>);

#[async_trait]
impl JobKind for SellerFeedbackCheck {
    const NAME: &'static str = "amazon_seller_feedback";
    type Payload = FeedbackPayload;

    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::FireOnce
    }

    async fn run(&self, ctx: &JobContext, payload: FeedbackPayload) -> Result<JobOutput, JobError> {
        let poll = Duration::from_secs(u64::from(payload.poll_seconds.unwrap_or(60)));
        let mut account = account(&self.0, ctx).await?;
        account.check_feedback(poll).await?;
        Ok(JobOutput::Nothing)
    }
}

/// `amazon_review_topics`: stores new or growing complaints in the watched items' review
/// topics (run it weekly).
pub struct ReviewTopicsCheck(pub Arc<SellerAccounts>);

#[async_trait]
impl JobKind for ReviewTopicsCheck {
    const NAME: &'static str = "amazon_review_topics";
    type Payload = serde_json::Value;

    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::FireOnce
    }

    async fn run(&self, ctx: &JobContext, _: serde_json::Value) -> Result<JobOutput, JobError> {
        let mut account = account(&self.0, ctx).await?;
        account.check_review_topics().await?;
        Ok(JobOutput::Nothing)
    }
}

/// `amazon_sales_digest`: the day's orders and totals, sent to the job's member (run it
/// daily, in the evening).
pub struct SalesDigest(pub Arc<SellerAccounts>);

#[async_trait]
impl JobKind for SalesDigest {
    const NAME: &'static str = "amazon_sales_digest";
    type Payload = serde_json::Value;

    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::FireOnce
    }

    async fn run(&self, ctx: &JobContext, _: serde_json::Value) -> Result<JobOutput, JobError> {
        let account = account(&self.0, ctx).await?;
        let local = ctx.occurrence.due_at.with_timezone(&ctx.job.timezone);
        let midnight = ctx
            .job
            .timezone
            .from_local_datetime(&local.date_naive().and_time(NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or(ctx.occurrence.due_at - chrono::Duration::hours(24));
        let summary = account.sales_since(midnight).await?;
        Ok(JobOutput::Message(format!(
            "🛒 Sales today ({}): {}",
            local.format("%a %d %b"),
            summary.describe()
        )))
    }
}
