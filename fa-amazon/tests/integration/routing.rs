//! Routing Amazon events on a real SQLite store and a manual clock: rules by type and amount,
//! quiet hours held until they end, digests instead of one message per event, and a
//! reconciled order deduplicated against the queue's notification.

use std::sync::Arc;

use fa_amazon::AmazonEventRenderer;
use fa_amazon::SpApiNotification;
use fa_amazon::orders::Order;
use fa_amazon::reconcile::ReconciledOrder;
use fa_core::routing::EventRouter;
use fa_core::{DeliveryMode, ManualClock, NewMember, QuietHours, Role, RouteSpec};
use serde_json::Value;

use super::{fixture, store_with_owner};

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

/// The published ORDER_CHANGE example as a status change of `order` to `status`.
fn status_change(order: &str, status: &str, notification_id: &str) -> SpApiNotification {
    let mut body: Value = serde_json::from_str(&fixture("order_change.json")).unwrap();
    let change = &mut body["Payload"]["OrderChangeNotification"];
    change["AmazonOrderId"] = order.into();
    change["OrderChangeType"] = "OrderStatusChange".into();
    change["Summary"]["OrderStatus"] = status.into();
    body["NotificationMetadata"]["NotificationId"] = notification_id.into();
    SpApiNotification::from_value(body).unwrap()
}

#[tokio::test]
async fn quiet_hours_digests_and_thresholds_on_the_members_clocks() {
    let dir = tempfile::tempdir().unwrap();
    // 23:00 in Berlin.
    let clock = Arc::new(ManualClock::new(at("2026-06-01T21:00:00Z")));
    let (store, home, owner) = store_with_owner(&dir, clock.clone()).await;
    let partner = store
        .add_member(
            home.id,
            NewMember::new("Ben", Role::Adult).with_timezone("Europe/Berlin"),
        )
        .await
        .unwrap();
    let teen = store
        .add_member(
            home.id,
            NewMember::new("Cleo", Role::Child).with_timezone("Europe/Berlin"),
        )
        .await
        .unwrap();
    store
        .add_route_rule(
            owner.scope(),
            RouteSpec::all()
                .kinds(["ORDER_CHANGE"])
                .quiet_hours(QuietHours::new((22, 0), (7, 0))),
        )
        .await
        .unwrap();
    store
        .add_route_rule(
            partner.scope(),
            RouteSpec::all().delivery(DeliveryMode::DailyDigest { minute: 18 * 60 }),
        )
        .await
        .unwrap();
    store
        .add_route_rule(
            teen.scope(),
            RouteSpec::all().kinds(["ORDER_CHANGE"]).min_amount(100.0),
        )
        .await
        .unwrap();

    let shipment = SpApiNotification::parse(&fixture("fba_outbound_shipment_status.json")).unwrap();
    let queued = status_change("111-0000001-0000001", "Shipped", "n-1");
    for event in [queued.to_event(), shipment.to_event()] {
        assert!(store.record_event(home.id, event).await.unwrap().is_new());
    }
    // The reconciliation poll finds the same order in the same status: nothing new.
    let polled = Order {
        order_status: "Shipped".into(),
        amazon_order_id: "111-0000001-0000001".into(),
        ..serde_json::from_value(serde_json::json!({
            "AmazonOrderId": "x", "PurchaseDate": "2026-06-01T10:00:00Z",
            "LastUpdateDate": "2026-06-01T20:00:00Z", "OrderStatus": "x",
            "OrderTotal": {"CurrencyCode": "EUR", "Amount": "150.00"}
        }))
        .unwrap()
    };
    assert!(
        !store
            .record_event(home.id, ReconciledOrder(polled.clone()).to_event())
            .await
            .unwrap()
            .is_new()
    );
    // A status the queue never reported is new, and carries its total (150 EUR ≥ 100).
    let missed = Order {
        order_status: "Unshipped".into(),
        ..polled
    };
    assert!(
        store
            .record_event(home.id, ReconciledOrder(missed).to_event())
            .await
            .unwrap()
            .is_new()
    );

    let router = EventRouter::new(store.clone())
        .with_clock(clock.clone())
        .with_renderer(Arc::new(AmazonEventRenderer));
    let report = router.route_pending(home.id).await.unwrap();
    // Owner: 2 orders (held); partner: 3 digest lines; teen: the 150 EUR order only (the
    // queue's notification has no amount and passes the threshold too, by the rule's terms).
    assert_eq!(report.events, 3);
    assert_eq!(report.digest_items, 3);
    assert_eq!(report.notifications, 2 + 2);
    assert_eq!(router.route_pending(home.id).await.unwrap().events, 0);

    let due = |at_: &str| {
        let store = store.clone();
        let at_ = at(at_);
        async move { store.due_notifications(home.id, at_, 100).await.unwrap() }
    };
    // Now (23:00): only the teen's messages; the owner's wait for 07:00.
    let now = due("2026-06-01T21:00:00Z").await;
    assert!(now.iter().all(|n| n.member_id == teen.id), "{now:#?}");
    assert_eq!(now.len(), 2);
    let morning = due("2026-06-02T05:00:00Z").await;
    assert_eq!(
        morning.iter().filter(|n| n.member_id == owner.id).count(),
        2
    );
    assert!(
        morning
            .iter()
            .any(|n| n.body.contains("111-0000001-0000001") && n.body.contains("Shipped"))
    );

    // The partner's digest goes out at 18:00 Berlin the next day, once.
    clock.set(at("2026-06-02T15:59:00Z"));
    assert_eq!(router.flush_digests(home.id).await.unwrap(), 0);
    clock.set(at("2026-06-02T16:00:00Z"));
    assert_eq!(router.flush_digests(home.id).await.unwrap(), 1);
    assert_eq!(router.flush_digests(home.id).await.unwrap(), 0);
    let digest: Vec<_> = due("2026-06-02T16:00:00Z")
        .await
        .into_iter()
        .filter(|n| n.member_id == partner.id)
        .collect();
    assert_eq!(digest.len(), 1);
    assert!(
        digest[0].body.starts_with("3 updates:"),
        "{}",
        digest[0].body
    );
    assert!(digest[0].body.contains("DrLqQwqvb"), "{}", digest[0].body);
}
