//! Routing: event batches, unreadable events, rules, routed deliveries and digests.

use chrono::Duration;
use serde_json::json;

use super::Fixture;
use crate::*;

fn order_event(key: &str) -> NewInboundEvent {
    NewInboundEvent::new(
        "amazon_sqs",
        key,
        "ORDER_CHANGE",
        json!({"OrderChangeNotification": {"AmazonOrderId": key}}),
    )
}

pub async fn event_batches_are_stored_once_per_key(f: Fixture) {
    let (home, _) = f.household("Home").await;
    let earlier = f
        .store
        .record_event(home.id, order_event("n-1"))
        .await
        .unwrap();
    let batch = vec![order_event("n-1"), order_event("n-2"), order_event("n-2")];
    let recorded = f.store.record_events(home.id, batch).await.unwrap();
    let new: Vec<bool> = recorded.iter().map(Recorded::is_new).collect();
    assert_eq!(new, [false, true, false]);
    assert_eq!(recorded[0].event(), earlier.event());
    assert_eq!(recorded[1].event(), recorded[2].event());
    assert_eq!(
        f.store.unprocessed_events(home.id, 10).await.unwrap().len(),
        2
    );

    // One bad event refuses the batch: nothing of it is stored.
    let bad = vec![
        order_event("n-3"),
        NewInboundEvent::new("amazon_sqs", "", "X", json!(null)),
    ];
    let err = f.store.record_events(home.id, bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        f.store.unprocessed_events(home.id, 10).await.unwrap().len(),
        2
    );
    assert!(
        f.store
            .record_events(home.id, Vec::new())
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn failed_events_are_kept_raw_and_counted(f: Fixture) {
    let (home, _) = f.household("Home").await;
    let (other, _) = f.household("Other").await;
    let raw = "{\"NotificationType\": \"ORDER_CHANGE\", \"Payload\": ";
    let first = f
        .store
        .record_failed_event(
            home.id,
            NewFailedEvent::new("amazon_sqs", "msg-1", raw, "EOF while parsing"),
        )
        .await
        .unwrap();
    assert_eq!((first.attempts, first.raw.as_str()), (1, raw));
    f.clock.advance(Duration::seconds(40));
    let again = f
        .store
        .record_failed_event(
            home.id,
            NewFailedEvent::new("amazon_sqs", "msg-1", "changed", "other reason"),
        )
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.attempts, 2);
    assert_eq!(again.raw, raw, "the first copy is kept");
    assert_eq!(again.last_seen, super::start() + Duration::seconds(40));
    assert_eq!(again.first_seen, super::start());

    let listed = f.store.failed_events(home.id, 10).await.unwrap();
    assert_eq!(listed, vec![again]);
    assert!(
        f.store
            .failed_events(other.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let err = f
        .store
        .record_failed_event(home.id, NewFailedEvent::new("amazon_sqs", "", raw, "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

pub async fn route_rules_are_added_listed_and_deleted_in_scope(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let (other, stranger) = f.household("Other").await;
    let spec = RouteSpec::all()
        .kinds(["ORDER_CHANGE", "FBA_OUTBOUND_SHIPMENT_STATUS"])
        .min_amount(25.5)
        .marketplaces(["A1PA6795UKMFR9"])
        .quiet_hours(QuietHours::new((22, 0), (7, 0)))
        .delivery(DeliveryMode::DailyDigest { minute: 18 * 60 });
    let rule = f
        .store
        .add_route_rule(owner.scope(), spec.clone())
        .await
        .unwrap();
    assert_eq!(rule.spec, spec);
    assert_eq!(
        f.store.route_rules(home.id).await.unwrap(),
        vec![rule.clone()]
    );
    assert!(f.store.route_rules(other.id).await.unwrap().is_empty());

    // A scope pairing this household with another household's member is refused.
    let forged = MemberScope::new(home.id, stranger.id);
    let err = f
        .store
        .add_route_rule(forged, RouteSpec::all())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        !f.store
            .delete_route_rule(stranger.scope(), rule.id)
            .await
            .unwrap()
    );
    let err = f
        .store
        .add_route_rule(owner.scope(), RouteSpec::all().min_amount(f64::NAN))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    assert!(
        f.store
            .delete_route_rule(owner.scope(), rule.id)
            .await
            .unwrap()
    );
    assert!(f.store.route_rules(home.id).await.unwrap().is_empty());
}

pub async fn routed_events_are_delivered_once(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Partner", Role::Adult).await;
    let (_, stranger) = f.household("Other").await;
    let event = f
        .store
        .record_event(home.id, order_event("n-1"))
        .await
        .unwrap()
        .event()
        .clone();
    let due = super::start() + Duration::hours(1);
    let routed = RoutedEvent {
        event_id: event.id,
        deliveries: vec![
            RoutedDelivery {
                member_id: owner.id,
                action: RouteAction::Notify(NewNotification::new(
                    "telegram",
                    format!("event:{}", event.id),
                    "New order n-1",
                )),
            },
            RoutedDelivery {
                member_id: partner.id,
                action: RouteAction::Digest {
                    channel: "telegram".into(),
                    line: "order n-1".into(),
                    due_at: due,
                },
            },
        ],
    };

    // A delivery to another household's member fails the whole commit; nothing is written.
    let mut bad = routed.clone();
    bad.deliveries.push(RoutedDelivery {
        member_id: stranger.id,
        action: RouteAction::Notify(NewNotification::new("telegram", "k", "x")),
    });
    let err = f.store.commit_routes(home.id, vec![bad]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        f.store.unprocessed_events(home.id, 10).await.unwrap().len(),
        1
    );
    assert!(
        f.store
            .due_notifications(home.id, super::start(), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let commit = f
        .store
        .commit_routes(home.id, vec![routed.clone()])
        .await
        .unwrap();
    assert_eq!(
        commit,
        RouteCommit {
            events: 1,
            already_processed: 0,
            notifications: 1,
            digest_items: 1
        }
    );
    assert!(
        f.store
            .unprocessed_events(home.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = f.store.commit_routes(home.id, vec![routed]).await.unwrap();
    assert_eq!(
        (again.events, again.already_processed, again.notifications),
        (0, 1, 0)
    );
    let due_now = f
        .store
        .due_notifications(home.id, super::start(), 10)
        .await
        .unwrap();
    assert_eq!(due_now.len(), 1);
    assert_eq!(due_now[0].member_id, owner.id);

    // The digest line waits for its hour.
    assert!(
        f.store
            .due_digest_items(home.id, due - Duration::seconds(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let items = f.store.due_digest_items(home.id, due, 10).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0].member_id, items[0].event_id),
        (partner.id, event.id)
    );
    assert_eq!(items[0].line, "order n-1");
}

pub async fn digests_flush_once(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let (other, _) = f.household("Other").await;
    let due = super::start() + Duration::hours(2);
    let mut routed = Vec::new();
    for key in ["n-1", "n-2", "n-3"] {
        let event = f
            .store
            .record_event(home.id, order_event(key))
            .await
            .unwrap();
        routed.push(RoutedEvent {
            event_id: event.event().id,
            deliveries: vec![RoutedDelivery {
                member_id: owner.id,
                action: RouteAction::Digest {
                    channel: "telegram".into(),
                    line: format!("order {key}"),
                    due_at: due,
                },
            }],
        });
    }
    assert_eq!(
        f.store
            .commit_routes(home.id, routed)
            .await
            .unwrap()
            .digest_items,
        3
    );
    assert!(
        f.store
            .due_digest_items(other.id, due, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let items = f.store.due_digest_items(home.id, due, 10).await.unwrap();
    let ids: Vec<_> = items.iter().map(|i| i.id).collect();
    let digest = NewNotification::new("telegram", format!("digest:{}", ids[0]), "3 updates");
    let sent = f
        .store
        .flush_digest(owner.scope(), ids.clone(), digest.clone())
        .await
        .unwrap();
    assert!(
        f.store
            .due_digest_items(home.id, due, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A retry after a crash finds the same message and changes nothing.
    let retry = f
        .store
        .flush_digest(owner.scope(), ids, digest)
        .await
        .unwrap();
    assert_eq!(retry.id, sent.id);
    let due_now = f.store.due_notifications(home.id, due, 10).await.unwrap();
    assert_eq!(due_now.len(), 1);
    assert_eq!(due_now[0].body, "3 updates");
}

pub async fn recent_events_are_newest_first_by_kind(f: Fixture) {
    let (home, _) = f.household("Home").await;
    let (other, _) = f.household("Other").await;
    for (i, kind) in [
        "ORDER_CHANGE",
        "FBA_OUTBOUND_SHIPMENT_STATUS",
        "ORDER_CHANGE",
    ]
    .iter()
    .enumerate()
    {
        f.clock.advance(Duration::seconds(10));
        let event = NewInboundEvent::new("amazon", format!("k-{i}"), *kind, json!({"i": i}));
        f.store.record_event(home.id, event).await.unwrap();
    }
    f.store
        .record_event(
            home.id,
            NewInboundEvent::new("webhook", "k-x", "ORDER_CHANGE", json!({})),
        )
        .await
        .unwrap();
    let orders = f
        .store
        .recent_events(home.id, "amazon", &["ORDER_CHANGE".to_owned()], 10)
        .await
        .unwrap();
    let keys: Vec<_> = orders.iter().map(|e| e.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["k-2", "k-0"]);
    let both = f
        .store
        .recent_events(
            home.id,
            "amazon",
            &[
                "ORDER_CHANGE".to_owned(),
                "FBA_OUTBOUND_SHIPMENT_STATUS".to_owned(),
            ],
            2,
        )
        .await
        .unwrap();
    let keys: Vec<_> = both.iter().map(|e| e.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["k-2", "k-1"]);
    assert!(
        f.store
            .recent_events(other.id, "amazon", &["ORDER_CHANGE".to_owned()], 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn integration_settings_are_replaced_in_scope(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Partner", Role::Adult).await;
    let integration = f
        .store
        .create_integration(
            owner.scope(),
            NewIntegration::new("amazon_sp_api", "Shop").with_settings(json!({"region": "eu"})),
        )
        .await
        .unwrap();
    f.clock.advance(Duration::seconds(5));
    let settings = json!({"region": "eu", "last_reconciled_at": "2026-03-01T12:00:05Z"});
    assert!(
        f.store
            .update_integration_settings(owner.scope(), integration.id, settings.clone())
            .await
            .unwrap()
    );
    let read = f
        .store
        .integration(owner.scope(), integration.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.settings, settings);
    assert_eq!(read.updated_at, super::start() + Duration::seconds(5));
    // Another member's scope changes nothing.
    assert!(
        !f.store
            .update_integration_settings(partner.scope(), integration.id, json!({}))
            .await
            .unwrap()
    );
    let err = f
        .store
        .update_integration_settings(owner.scope(), integration.id, json!("x".repeat(70_000)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

pub async fn events_are_recorded_and_routed_together(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let (_, stranger) = f.household("Other").await;
    let plan = |key: &str, member: MemberId| {
        let id = InboundEventId::new();
        PlannedEvent {
            id,
            event: order_event(key),
            deliveries: vec![RoutedDelivery {
                member_id: member,
                action: RouteAction::Notify(NewNotification::new(
                    "telegram",
                    format!("event:{id}"),
                    format!("order {key}"),
                )),
            }],
        }
    };
    // A delivery to another household's member fails the batch: nothing is stored.
    let err = f
        .store
        .record_and_route(
            home.id,
            vec![plan("n-1", owner.id), plan("n-2", stranger.id)],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        f.store
            .record_event(home.id, order_event("n-1"))
            .await
            .unwrap()
            .is_new(),
        "the failed batch left nothing behind"
    );

    let (recorded, commit) = f
        .store
        .record_and_route(
            home.id,
            vec![
                plan("n-1", owner.id),
                plan("n-2", owner.id),
                plan("n-2", owner.id),
            ],
        )
        .await
        .unwrap();
    let new: Vec<bool> = recorded.iter().map(Recorded::is_new).collect();
    assert_eq!(new, [false, true, false]);
    assert_eq!(
        (
            commit.events,
            commit.already_processed,
            commit.notifications
        ),
        (1, 2, 1)
    );
    // Stored already routed; the event stored plainly before is still waiting for the router.
    let n2 = recorded[1].event();
    assert_eq!(n2.processed_at, Some(n2.received_at));
    let pending = f.store.unprocessed_events(home.id, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].idempotency_key, "n-1");
    let outbox = f
        .store
        .due_notifications(home.id, super::start(), 10)
        .await
        .unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].body, "order n-2");
}
