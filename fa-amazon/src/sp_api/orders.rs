//! Orders v0: getOrders (paged by `NextToken`), getOrder, getOrderItems.
//!
//! Amazon's model (`ordersV0.json`) marks these operations deprecated in favour of Orders
//! 2026-01-01 (`searchOrders`); they still answer, and fa moves when v0 is switched off.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::Deserialize;

use super::SpApiClient;
use crate::Result;
use crate::orders::{Order, OrderItem};

/// Which orders getOrders returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderQuery {
    /// Orders created after the instant.
    CreatedAfter(DateTime<Utc>),
    /// Orders changed after the instant (what reconciliation uses).
    LastUpdatedAfter(DateTime<Utc>),
}

/// One page of getOrders.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrdersPage {
    /// The orders.
    #[serde(default)]
    pub orders: Vec<Order>,
    /// Pass to the next call for the next page.
    pub next_token: Option<String>,
}

#[derive(Deserialize)]
struct Payload<T> {
    payload: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ItemsPage {
    #[serde(default)]
    order_items: Vec<OrderItem>,
    next_token: Option<String>,
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl SpApiClient {
    /// One page of orders in `marketplaces` (`next_token` from the previous page, if any).
    pub async fn get_orders_page(
        &self,
        marketplaces: &[String],
        query: &OrderQuery,
        next_token: Option<&str>,
    ) -> Result<OrdersPage> {
        let marketplaces = marketplaces.join(",");
        let answer: Payload<OrdersPage> = self
            .call("getOrders", Method::GET, "/orders/v0/orders", |request| {
                let mut params = vec![("MarketplaceIds", marketplaces.clone())];
                match query {
                    OrderQuery::CreatedAfter(at) => params.push(("CreatedAfter", iso(*at))),
                    OrderQuery::LastUpdatedAfter(at) => params.push(("LastUpdatedAfter", iso(*at))),
                }
                if let Some(token) = next_token {
                    params.push(("NextToken", token.to_owned()));
                }
                request.query(&params)
            })
            .await?;
        Ok(answer.payload)
    }

    /// Every order matching `query`, following `NextToken` to the last page (each page waits
    /// for getOrders' rate limit).
    pub async fn get_orders(
        &self,
        marketplaces: &[String],
        query: &OrderQuery,
    ) -> Result<Vec<Order>> {
        let mut orders = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .get_orders_page(marketplaces, query, token.as_deref())
                .await?;
            orders.extend(page.orders);
            match page.next_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(orders),
            }
        }
    }

    /// One order.
    pub async fn get_order(&self, order_id: &str) -> Result<Order> {
        let path = format!("/orders/v0/orders/{}", encode(order_id));
        let answer: Payload<Order> = self.call("getOrder", Method::GET, &path, |r| r).await?;
        Ok(answer.payload)
    }

    /// An order's items, every page.
    pub async fn get_order_items(&self, order_id: &str) -> Result<Vec<OrderItem>> {
        let path = format!("/orders/v0/orders/{}/orderItems", encode(order_id));
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let answer: Payload<ItemsPage> = self
                .call(
                    "getOrderItems",
                    Method::GET,
                    &path,
                    |request| match &token {
                        Some(token) => request.query(&[("NextToken", token)]),
                        None => request,
                    },
                )
                .await?;
            items.extend(answer.payload.order_items);
            match answer.payload.next_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(items),
            }
        }
    }
}

/// Percent-encodes a path segment (order ids are `\d{3}-\d{7}-\d{7}`, but never trust input).
pub(crate) fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
