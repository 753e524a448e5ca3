//! Reconciliation: orders the queue missed, found by polling getOrders (Amazon advises a backup
//! path beside notifications). A polled order is stored as an `ORDER_CHANGE` event under the
//! same key a queue notification of that status change gets (`order:<id>:<status>`), so the
//! store's idempotency keys keep exactly one of the two.

use fa_core::NewInboundEvent;
use fa_core::routing::RoutableEvent;
use serde_json::{Value, json};

use crate::notification::{EVENT_SOURCE, order_status_key};
use crate::orders::Order;

/// The payload key marking an event as found by the reconciliation poll.
const PAYLOAD_KEY: &str = "ReconciledOrder";

/// An order found by the reconciliation poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciledOrder(pub Order);

impl ReconciledOrder {
    /// The event to store for the order's current status.
    pub fn to_event(&self) -> NewInboundEvent {
        NewInboundEvent::new(
            EVENT_SOURCE,
            order_status_key(&self.0.amazon_order_id, &self.0.order_status),
            "ORDER_CHANGE",
            json!({ PAYLOAD_KEY: self.0 }),
        )
    }

    /// The order in a stored event's payload, if the poll stored it.
    pub fn from_payload(payload: &Value) -> Option<Self> {
        serde_json::from_value(payload.get(PAYLOAD_KEY)?.clone())
            .ok()
            .map(Self)
    }

    /// Its message.
    pub fn render(&self) -> RoutableEvent {
        let order = &self.0;
        let mut text = format!(
            "🛒 Order {} is now {}",
            order.amazon_order_id, order.order_status
        );
        let mut details = vec![format!("{} item(s)", order.item_count())];
        if let Some(total) = &order.order_total {
            details.insert(0, total.to_string());
        }
        if let Some(marketplace) = &order.marketplace_id {
            details.push(marketplace.clone());
        }
        text.push_str(&format!("\n{}", details.join(" · ")));
        let line = format!(
            "Order {} is now {}",
            order.amazon_order_id, order.order_status
        );
        let mut event = RoutableEvent::new("ORDER_CHANGE", text).line(line);
        if let Some(amount) = order.order_total.as_ref().and_then(|t| t.value()) {
            event = event.amount(amount);
        }
        if let Some(marketplace) = &order.marketplace_id {
            event = event.marketplace(marketplace.clone());
        }
        event
    }
}
