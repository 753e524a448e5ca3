//! Assistant tools over the household's seller account. All read-only, and only for owners and
//! adults: children and guests do not see the business.
//!
//! - `amazon_sales`: orders and totals today or this week (on the member's clock);
//! - `amazon_order_status`: one order's status, total and items;
//! - `amazon_recent_shipments`: the latest shipment notifications;
//! - `amazon_listing_issues`: listings whose latest issues notification reports problems.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Datelike, NaiveTime, TimeZone as _};
use fa_core::Role;
use fa_core::assistant::{Tool, ToolContext, ToolError};
use fa_core::routing::EventRenderer as _;
use serde_json::{Value, json};

use crate::Error;
use crate::account::{SellerAccount, SellerAccounts};
use crate::notification::{AmazonEventRenderer, NotificationPayload, SpApiNotification};

/// The four tools, sharing `accounts`.
pub fn tools(accounts: Arc<SellerAccounts>) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(SalesTool(accounts.clone())),
        Arc::new(OrderStatusTool(accounts.clone())),
        Arc::new(RecentShipmentsTool(accounts.clone())),
        Arc::new(ListingIssuesTool(accounts)),
    ]
}

fn owners_and_adults(role: Role) -> bool {
    matches!(role, Role::Owner | Role::Adult)
}

async fn account(accounts: &SellerAccounts, ctx: &ToolContext) -> Result<SellerAccount, ToolError> {
    accounts
        .for_household(ctx.member().household_id)
        .await
        .map_err(tool_error)?
        .ok_or_else(|| {
            ToolError::failed("no Amazon seller account is connected yet (/amazon connect)")
        })
}

fn tool_error(error: Error) -> ToolError {
    use fa_core::connector::ConnectorErrorKind as K;
    match error.kind() {
        K::NotFound => ToolError::failed("Amazon has no such order"),
        K::RateLimited { .. } => {
            ToolError::failed("Amazon asks to slow down; try again in a minute")
        }
        K::Unauthorized => ToolError::failed(
            "Amazon refused fa's access to the seller account; the owner must reconnect it",
        ),
        K::Transient => ToolError::failed("Amazon cannot be reached right now; try again later"),
        _ => {
            tracing::error!(%error, "Amazon tool failed");
            ToolError::Internal
        }
    }
}

/// `amazon_sales`.
pub struct SalesTool(pub Arc<SellerAccounts>);

#[async_trait]
impl Tool for SalesTool {
    fn name(&self) -> &str {
        "amazon_sales"
    }

    fn description(&self) -> &str {
        "Amazon shop: number of orders, items and sales totals today or this week."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {"period": {"type": "string", "enum": ["today", "week"]}},
            "required": ["period"]
        })
    }

    fn allowed_for(&self, role: Role) -> bool {
        owners_and_adults(role)
    }

    async fn call(&self, ctx: &ToolContext, arguments: Value) -> Result<String, ToolError> {
        let period = arguments
            .get("period")
            .and_then(Value::as_str)
            .unwrap_or("today");
        let local = ctx.local_now();
        let start_day = match period {
            "today" => local.date_naive(),
            "week" => {
                local.date_naive()
                    - chrono::Duration::days(i64::from(local.weekday().num_days_from_monday()))
            }
            other => {
                return Err(ToolError::invalid(format!(
                    "period {other:?} is not today or week"
                )));
            }
        };
        let since = ctx
            .timezone()
            .from_local_datetime(&start_day.and_time(NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|| ctx.now() - chrono::Duration::days(1));
        let account = account(&self.0, ctx).await?;
        let summary = account.sales_since(since).await.map_err(tool_error)?;
        let label = if period == "today" {
            "Today"
        } else {
            "This week"
        };
        Ok(format!("{label}: {}", summary.describe()))
    }
}

/// `amazon_order_status`.
pub struct OrderStatusTool(pub Arc<SellerAccounts>);

#[async_trait]
impl Tool for OrderStatusTool {
    fn name(&self) -> &str {
        "amazon_order_status"
    }

    fn description(&self) -> &str {
        "Amazon shop: the status, total and items of one order, by its order id (e.g. 902-3159896-1390916)."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {"order_id": {"type": "string", "pattern": "^[0-9]{3}-[0-9]{7}-[0-9]{7}$"}},
            "required": ["order_id"]
        })
    }

    fn allowed_for(&self, role: Role) -> bool {
        owners_and_adults(role)
    }

    async fn call(&self, ctx: &ToolContext, arguments: Value) -> Result<String, ToolError> {
        let order_id = arguments
            .get("order_id")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|id| id.len() == 19 && id.chars().all(|c| c.is_ascii_digit() || c == '-'))
            .ok_or_else(|| ToolError::invalid("order_id must look like 902-3159896-1390916"))?;
        let account = account(&self.0, ctx).await?;
        let order = account.order(order_id).await.map_err(tool_error)?;
        let items = account
            .client()
            .get_order_items(order_id)
            .await
            .map_err(tool_error)?;
        let mut text = format!("Order {} is {}", order.amazon_order_id, order.order_status);
        if let Some(total) = &order.order_total {
            text.push_str(&format!(", total {total}"));
        }
        text.push_str(&format!(", bought {}.", order.purchase_date));
        for item in items {
            text.push_str(&format!(
                "\n- {} × {} ({})",
                item.quantity_ordered,
                item.title.as_deref().unwrap_or(&item.asin),
                item.seller_sku.as_deref().unwrap_or("no SKU")
            ));
        }
        Ok(text)
    }
}

fn limit(arguments: &Value) -> u32 {
    arguments
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(5, |n| n.clamp(1, 20) as u32)
}

/// `amazon_recent_shipments`.
pub struct RecentShipmentsTool(pub Arc<SellerAccounts>);

#[async_trait]
impl Tool for RecentShipmentsTool {
    fn name(&self) -> &str {
        "amazon_recent_shipments"
    }

    fn description(&self) -> &str {
        "Amazon shop: the latest shipment updates (Amazon-fulfilled and multi-channel)."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 20}}
        })
    }

    fn allowed_for(&self, role: Role) -> bool {
        owners_and_adults(role)
    }

    async fn call(&self, ctx: &ToolContext, arguments: Value) -> Result<String, ToolError> {
        let account = account(&self.0, ctx).await?;
        let events = account
            .recent(
                &["FBA_OUTBOUND_SHIPMENT_STATUS", "FULFILLMENT_ORDER_STATUS"],
                limit(&arguments),
            )
            .await
            .map_err(tool_error)?;
        if events.is_empty() {
            return Ok("No shipment updates have arrived yet.".into());
        }
        let lines: Vec<String> = events
            .iter()
            .map(|event| {
                let when = event
                    .received_at
                    .with_timezone(&ctx.timezone())
                    .format("%a %d %b %H:%M");
                format!("- {when}: {}", AmazonEventRenderer.render(event).line)
            })
            .collect();
        Ok(lines.join("\n"))
    }
}

/// `amazon_listing_issues`.
pub struct ListingIssuesTool(pub Arc<SellerAccounts>);

#[async_trait]
impl Tool for ListingIssuesTool {
    fn name(&self) -> &str {
        "amazon_listing_issues"
    }

    fn description(&self) -> &str {
        "Amazon shop: listings with open issues (errors, warnings, suppressed listings)."
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }

    fn allowed_for(&self, role: Role) -> bool {
        owners_and_adults(role)
    }

    async fn call(&self, ctx: &ToolContext, _arguments: Value) -> Result<String, ToolError> {
        let account = account(&self.0, ctx).await?;
        let events = account
            .recent(&["LISTINGS_ITEM_ISSUES_CHANGE"], 500)
            .await
            .map_err(tool_error)?;
        // Newest first: the first notification of each SKU is its current state.
        let mut latest: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for event in &events {
            let Ok(notification) = SpApiNotification::from_value(event.payload.clone()) else {
                continue;
            };
            if let NotificationPayload::ListingsItemIssuesChange(issues) = notification.payload
                && seen.insert(issues.sku.clone())
                && issues.severities.iter().any(|s| s != "NONE")
            {
                let mut what = issues.severities.clone();
                what.extend(issues.enforcement_actions.clone());
                latest.insert(issues.sku, what);
            }
        }
        if latest.is_empty() {
            return Ok("No listing has open issues.".into());
        }
        Ok(latest
            .iter()
            .map(|(sku, what)| format!("- {sku}: {}", what.join(", ")))
            .collect::<Vec<_>>()
            .join("\n"))
    }
}
