//! What a family member reads for each notification: short, in plain words, ids kept so a
//! seller can find the order in Seller Central.

use fa_core::InboundEvent;
use fa_core::routing::{EventRenderer, RoutableEvent};

use super::{EVENT_SOURCE, NotificationPayload, SpApiNotification};

/// Reads fa-amazon's stored events (queue notifications and reconciled orders) for the
/// [`EventRouter`](fa_core::routing::EventRouter).
#[derive(Debug, Clone, Copy, Default)]
pub struct AmazonEventRenderer;

impl EventRenderer for AmazonEventRenderer {
    fn source(&self) -> &str {
        EVENT_SOURCE
    }

    fn render(&self, event: &InboundEvent) -> RoutableEvent {
        if let Some(order) = crate::reconcile::ReconciledOrder::from_payload(&event.payload) {
            return order.render();
        }
        if let Some(feedback) = event.payload.get("SellerFeedback") {
            return render_feedback(&event.kind, feedback);
        }
        if let Some(topics) = event.payload.get("ReviewTopicsChanged") {
            return render_topics(&event.kind, topics);
        }
        match SpApiNotification::payload_of(&event.payload) {
            Ok((kind, event_time, payload)) => render_payload(kind, &event_time, &payload),
            Err(_) => RoutableEvent::generic(event),
        }
    }
}

/// The message for one notification.
pub fn render_notification(notification: &SpApiNotification) -> RoutableEvent {
    render_payload(
        notification.notification_type.clone(),
        &notification.event_time,
        &notification.payload,
    )
}

fn render_payload(kind: String, event_time: &str, payload: &NotificationPayload) -> RoutableEvent {
    use NotificationPayload as P;
    match payload {
        P::OrderChange(change) => {
            let summary = &change.summary;
            let items: u32 = summary.order_items.iter().map(|i| i.quantity).sum();
            let what = match change.order_change_type.as_str() {
                "OrderStatusChange" => format!("is now {}", summary.order_status),
                "BuyerRequestedChange" => format!(
                    "buyer request: {}",
                    change.order_change_trigger.change_reason
                ),
                other => format!("changed ({other})"),
            };
            let mut text = format!("🛒 Order {} {what}", change.amazon_order_id);
            text.push_str(&format!(
                "\n{items} item(s), {} · {}",
                summary.fulfillment_type, summary.marketplace_id
            ));
            if let Some(ship_by) = &summary.latest_ship_date {
                text.push_str(&format!("\nShip by {ship_by}"));
            }
            RoutableEvent::new(kind, text)
                .marketplace(summary.marketplace_id.clone())
                .line(format!("Order {} {what}", change.amazon_order_id))
        }
        P::FbaOutboundShipmentStatus(shipment) => RoutableEvent::new(
            kind,
            format!(
                "📦 Amazon shipment {} for order {}: {}",
                shipment.amazon_shipment_id, shipment.amazon_order_id, shipment.shipment_status
            ),
        ),
        P::FulfillmentOrderStatus(status) => {
            let mut text = format!(
                "📦 Fulfillment order {}: {} ({})",
                status.seller_fulfillment_order_id,
                status.fulfillment_order_status,
                status.event_type
            );
            if let Some(shipment) = &status.fulfillment_shipment {
                for package in &shipment.fulfillment_shipment_packages {
                    text.push_str(&format!(
                        "\nPackage {}: {} {}",
                        package.package_number, package.carrier_code, package.tracking_number
                    ));
                }
            }
            RoutableEvent::new(kind, text)
        }
        P::AnyOfferChanged(offer) => {
            let trigger = &offer.offer_change_trigger;
            let buy_box = offer
                .summary
                .buy_box_prices
                .iter()
                .find_map(|p| p.landed_price.as_ref().or(p.listing_price.as_ref()));
            let mut event = RoutableEvent::new(
                kind,
                match buy_box {
                    Some(price) => format!(
                        "🏷️ Offers changed on {} ({}): Buy Box {price}",
                        trigger.asin, trigger.marketplace_id
                    ),
                    None => format!(
                        "🏷️ Offers changed on {} ({})",
                        trigger.asin, trigger.marketplace_id
                    ),
                },
            )
            .marketplace(trigger.marketplace_id.clone());
            if let Some(price) = buy_box {
                event = event.amount(price.amount);
            }
            event
        }
        P::ReportProcessingFinished(report) => RoutableEvent::new(
            kind,
            format!(
                "📄 Report {} ({}): {}",
                report.report_id, report.report_type, report.processing_status
            ),
        ),
        P::FeedProcessingFinished(feed) => RoutableEvent::new(
            kind,
            format!(
                "📤 Feed {} ({}): {}",
                feed.feed_id, feed.feed_type, feed.processing_status
            ),
        ),
        P::ListingsItemStatusChange(listing) => {
            let status = if listing.status.is_empty() {
                "neither buyable nor discoverable".to_owned()
            } else {
                listing.status.join(", ")
            };
            with_marketplace(
                RoutableEvent::new(kind, format!("🏷️ Listing {}: {status}", listing.sku)),
                listing.marketplace_id.as_deref(),
            )
        }
        P::ListingsItemIssuesChange(listing) => {
            let mut text = format!(
                "⚠️ Listing {} issues: {}",
                listing.sku,
                listing.severities.join(", ")
            );
            if !listing.enforcement_actions.is_empty() {
                text.push_str(&format!(" — {}", listing.enforcement_actions.join(", ")));
            }
            with_marketplace(
                RoutableEvent::new(kind, text),
                listing.marketplace_id.as_deref(),
            )
        }
        P::Other(_) => RoutableEvent::new(
            kind.clone(),
            format!("Amazon notification {kind} at {event_time}"),
        ),
    }
}

fn with_marketplace(event: RoutableEvent, marketplace: Option<&str>) -> RoutableEvent {
    match marketplace {
        Some(marketplace) => event.marketplace(marketplace),
        None => event,
    }
}

fn text(value: &serde_json::Value, key: &str) -> String {
    value
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or("?")
        .to_owned()
}

fn render_feedback(kind: &str, feedback: &serde_json::Value) -> RoutableEvent {
    let rating = feedback.get("rating").and_then(|r| r.as_u64()).unwrap_or(0);
    let order = text(feedback, "order_id");
    let comments = text(feedback, "comments");
    RoutableEvent::new(
        kind,
        format!("⭐ {rating}-star seller feedback on order {order}: “{comments}”"),
    )
    .line(format!("{rating}-star feedback on order {order}"))
}

fn render_topics(kind: &str, topics: &serde_json::Value) -> RoutableEvent {
    let asin = text(topics, "asin");
    let complaints: Vec<&str> = topics
        .get("newComplaints")
        .and_then(|c| c.as_array())
        .map(|c| c.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default();
    let mut event = RoutableEvent::new(
        kind,
        format!(
            "📝 Reviews of {asin} mention more: {}",
            complaints.join(", ")
        ),
    );
    if let Some(marketplace) = topics.get("marketplaceId").and_then(|m| m.as_str()) {
        event = event.marketplace(marketplace);
    }
    event
}
