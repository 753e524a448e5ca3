//! Every notification type from Amazon's own examples, both envelope spellings, unknown types
//! and malformed bodies.

use fa_amazon::notification::{
    EVENT_SOURCE, NotificationPayload as P, SpApiNotification, TYPED_NOTIFICATION_TYPES,
    render_notification,
};
use serde_json::Value;

use super::fixture;

#[test]
fn every_published_example_reads_into_its_typed_payload() {
    let cases = [
        ("order_change.json", "ORDER_CHANGE"),
        (
            "fba_outbound_shipment_status.json",
            "FBA_OUTBOUND_SHIPMENT_STATUS",
        ),
        ("fulfillment_order_status.json", "FULFILLMENT_ORDER_STATUS"),
        (
            "fulfillment_order_status.docs-2021.json",
            "FULFILLMENT_ORDER_STATUS",
        ),
        ("any_offer_changed.json", "ANY_OFFER_CHANGED"),
        ("any_offer_changed.docs-2021.json", "ANY_OFFER_CHANGED"),
        (
            "report_processing_finished.json",
            "REPORT_PROCESSING_FINISHED",
        ),
        (
            "report_processing_finished.vendor.json",
            "REPORT_PROCESSING_FINISHED",
        ),
        ("feed_processing_finished.json", "FEED_PROCESSING_FINISHED"),
        (
            "feed_processing_finished.vendor.json",
            "FEED_PROCESSING_FINISHED",
        ),
        (
            "listings_item_status_change.json",
            "LISTINGS_ITEM_STATUS_CHANGE",
        ),
        (
            "listings_item_issues_change.json",
            "LISTINGS_ITEM_ISSUES_CHANGE",
        ),
        (
            "listings_item_issues_change.2023-12-13.json",
            "LISTINGS_ITEM_ISSUES_CHANGE",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (file, kind) in cases {
        let n = SpApiNotification::parse(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(n.notification_type, kind, "{file}");
        assert!(!matches!(n.payload, P::Other(_)), "{file} was not typed");
        let routable = render_notification(&n);
        assert_eq!(routable.kind, kind);
        assert!(
            !routable.text.is_empty() && !routable.line.is_empty(),
            "{file}"
        );
        seen.insert(kind);
    }
    assert_eq!(seen.len(), TYPED_NOTIFICATION_TYPES.len());
}

#[test]
fn typed_fields_are_read_as_amazon_names_them() {
    let n = SpApiNotification::parse(&fixture("order_change.json")).unwrap();
    let P::OrderChange(change) = &n.payload else {
        panic!("{:?}", n.payload)
    };
    assert_eq!(change.amazon_order_id, "903-8868176-2219830");
    assert_eq!(change.summary.marketplace_id, "ATVPDKIKX0DER");
    assert_eq!(change.summary.order_items[0].seller_sku, "SellerSKUID1");
    assert_eq!(change.summary.order_items[0].quantity, 10);
    assert_eq!(
        n.metadata.notification_id,
        "d0e9e693-c3ad-4373-979f-ed4ec98dd746"
    );
    // A buyer request is keyed by the notification id, not by the order's status.
    assert_eq!(
        n.idempotency_key(),
        "notification:d0e9e693-c3ad-4373-979f-ed4ec98dd746"
    );
    let event = n.to_event();
    assert_eq!(
        (event.source.as_str(), event.kind.as_str()),
        (EVENT_SOURCE, "ORDER_CHANGE")
    );

    let offers = SpApiNotification::parse(&fixture("any_offer_changed.json")).unwrap();
    let routable = render_notification(&offers);
    assert_eq!(routable.marketplace.as_deref(), Some("ATVPDKIKX0DER"));
    assert!(
        routable.amount.is_some(),
        "the Buy Box price is the event's amount"
    );

    let report = SpApiNotification::parse(&fixture("report_processing_finished.json")).unwrap();
    let P::ReportProcessingFinished(r) = &report.payload else {
        panic!()
    };
    assert_eq!(r.report_id, "54517018502");
    assert_eq!(r.processing_status, "CANCELLED");
}

/// Rewrites every key of `value` with its first letter flipped in case.
fn flip_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let first = chars.next().map(|c| {
                        if c.is_uppercase() {
                            c.to_lowercase().collect::<String>()
                        } else {
                            c.to_uppercase().collect()
                        }
                    });
                    (first.unwrap_or_default() + chars.as_str(), v.clone())
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn both_envelope_spellings_are_accepted() {
    for file in [
        "fba_outbound_shipment_status.json",
        "report_processing_finished.json",
    ] {
        let original: Value = serde_json::from_str(&fixture(file)).unwrap();
        // Flip the envelope's keys and the metadata's; the payload stays as published.
        let mut flipped = flip_keys(&original);
        let metadata_key = if original.get("NotificationMetadata").is_some() {
            "notificationMetadata"
        } else {
            "NotificationMetadata"
        };
        flipped[metadata_key] = flip_keys(&flipped[metadata_key]);
        let a = SpApiNotification::from_value(original).unwrap();
        let b = SpApiNotification::from_value(flipped).unwrap();
        assert_eq!(a.notification_type, b.notification_type);
        assert_eq!(a.metadata, b.metadata);
        assert_eq!(a.payload, b.payload);
    }
}

#[test]
fn unknown_types_are_kept_whole_and_routable_by_name() {
    let mut body: Value =
        serde_json::from_str(&fixture("fba_outbound_shipment_status.json")).unwrap();
    body["NotificationType"] = "PRICING_HEALTH".into();
    body["Payload"] = serde_json::json!({"issueType": "BuyBoxIneligible", "asin": "B0TEST"});
    let n = SpApiNotification::from_value(body.clone()).unwrap();
    assert_eq!(n.payload, P::Other(body["Payload"].clone()));
    let routable = render_notification(&n);
    assert_eq!(routable.kind, "PRICING_HEALTH");
    assert_eq!(n.to_event().payload, body, "the body is stored as received");
}

#[test]
fn malformed_bodies_say_what_is_wrong() {
    let valid: Value = serde_json::from_str(&fixture("order_change.json")).unwrap();
    let mut no_metadata = valid.clone();
    no_metadata
        .as_object_mut()
        .unwrap()
        .remove("NotificationMetadata");
    let mut wrong_payload = valid.clone();
    wrong_payload["Payload"] = serde_json::json!({"SomethingElse": {}});
    let mut missing_field = valid.clone();
    missing_field["Payload"]["OrderChangeNotification"]
        .as_object_mut()
        .unwrap()
        .remove("AmazonOrderId");
    let cases = [
        ("not json".to_owned(), "not JSON"),
        (
            "{\"NotificationType\": \"ORDER_CHANGE\"".to_owned(),
            "not JSON",
        ),
        ("[]".to_owned(), "envelope"),
        (no_metadata.to_string(), "NotificationMetadata"),
        (wrong_payload.to_string(), "OrderChangeNotification"),
        (missing_field.to_string(), "AmazonOrderId"),
    ];
    for (body, expected) in cases {
        let err = SpApiNotification::parse(&body).unwrap_err();
        assert!(err.reason.contains(expected), "{body}: {}", err.reason);
    }
}
