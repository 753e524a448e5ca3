//! The SQS consumer against moto (a real SQS implementation) on loopback: a burst with
//! duplicates and malformed messages, redrive to the dead-letter queue, and routing once.
//! Runs when `FA_TEST_SQS_URL` is set (scripts/test starts moto and sets it); with
//! `FA_TEST_REQUIRE_SQS` set, a missing URL fails instead of skipping.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use fa_amazon::AmazonEventRenderer;
use fa_amazon::account::AmazonApp;
use fa_amazon::integration::AmazonIntegration;
use fa_amazon::sqs::{SqsNotificationSource, SqsOptions};
use fa_amazon::testing::TestQueue;
use fa_core::routing::EventRouter;
use fa_core::{ManualClock, RouteSpec};

use super::{fixture, store_with_owner};

/// A fresh queue whose messages go to its dead-letter queue after `max_receive` receives;
/// `None` (the test skips) when no SQS server is configured.
async fn queue(max_receive: u32) -> Option<TestQueue> {
    let Some(endpoint) = fa_amazon::testing::sqs_endpoint().unwrap() else {
        eprintln!("skipped: FA_TEST_SQS_URL is not set");
        return None;
    };
    Some(TestQueue::create(&endpoint, max_receive).await.unwrap())
}

/// 440 distinct notifications of every typed kind, each (for 50 of them) sent twice, and 10
/// malformed bodies: 500 messages. Returns the messages, the number of distinct notifications
/// and the malformed bodies.
fn burst() -> (Vec<String>, usize, BTreeSet<String>) {
    let distinct = fa_amazon::testing::distinct_notifications("burst", 440);
    let mut bodies = distinct.clone();
    bodies.extend(distinct.iter().step_by(8).take(50).cloned());
    let kinds = [
        "not json at all".to_owned(),
        "{\"NotificationType\": \"ORDER_CHANGE\"".to_owned(),
        "{}".to_owned(),
        "[1, 2, 3]".to_owned(),
        "{\"NotificationType\": \"ORDER_CHANGE\", \"Payload\": {}}".to_owned(),
    ];
    let malformed: BTreeSet<String> = (0..10)
        .map(|i| format!("{} #{i}", kinds[i % kinds.len()]))
        .collect();
    bodies.extend(malformed.iter().cloned());
    // Interleave so malformed and duplicate messages share batches with good ones.
    let mut shuffled = Vec::with_capacity(bodies.len());
    let (mut front, mut back) = (0, bodies.len());
    while front < back {
        shuffled.push(bodies[front].clone());
        front += 1;
        if front < back {
            back -= 1;
            shuffled.push(bodies[back].clone());
        }
    }
    (shuffled, 440, malformed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_stored_and_routed_once_and_malformed_messages_reach_the_dead_letter_queue() {
    let Some(queues) = queue(2).await else {
        return;
    };
    let (bodies, distinct, malformed) = burst();
    assert_eq!(bodies.len(), 500);
    queues.send(&bodies).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-06-01T10:00:00Z".parse().unwrap()));
    let (store, home, owner) = store_with_owner(&dir, clock.clone()).await;
    store
        .add_route_rule(owner.scope(), RouteSpec::all())
        .await
        .unwrap();
    let router = EventRouter::new(store.clone())
        .with_clock(clock)
        .with_renderer(Arc::new(AmazonEventRenderer));
    // A short visibility keeps the test quick: a batch in hand is kept invisible by the
    // heartbeat, and a message marked in flight but never handed over (moto does this now and
    // then under concurrent long polls) comes back within seconds instead of a minute.
    let options = SqsOptions::default()
        .wait_time(Duration::from_secs(1))
        .visibility_timeout(Duration::from_secs(3))
        .heartbeat(Duration::from_secs(1))
        .malformed_visibility(Duration::ZERO);
    // Two consumers on one queue, as two instances would run.
    let a =
        SqsNotificationSource::new(&queues.config, store.clone(), home.id).with_options(options);
    let b =
        SqsNotificationSource::new(&queues.config, store.clone(), home.id).with_options(options);

    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 400, "the queue never drained");
        let (ra, rb) = tokio::join!(a.poll_once(), b.poll_once());
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        if ra.received + rb.received == 0 && queues.depth().await.unwrap() == 0 {
            break;
        }
    }
    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!(sa.stored + sb.stored, distinct as u64, "{sa:?} {sb:?}");
    // 50 sent twice, plus any redelivery (SQS is at-least-once: a batch can outlive its
    // visibility on a busy machine); none of them is stored or routed again.
    assert!(sa.duplicates + sb.duplicates >= 50, "{sa:?} {sb:?}");
    // Each malformed message is received maxReceiveCount (2) times, then moto moves it; the
    // dead-letter queue holds exactly the malformed bodies. (Moto's receive takes no lock, so
    // two concurrent receives can now and then both hand over a message: hence "at least".)
    let received_malformed = sa.malformed + sb.malformed;
    assert!(
        received_malformed >= 2 * malformed.len() as u64,
        "{sa:?} {sb:?}"
    );
    assert_eq!(queues.dead_letter_bodies().await.unwrap(), malformed);

    // One failed event per malformed body, counting every receive of it.
    let failed = store.failed_events(home.id, 100).await.unwrap();
    assert_eq!(failed.len(), malformed.len());
    assert!(
        failed
            .iter()
            .all(|f| f.attempts >= 2 && !f.reason.is_empty()),
        "{failed:#?}"
    );
    assert_eq!(
        failed.iter().map(|f| u64::from(f.attempts)).sum::<u64>(),
        received_malformed
    );
    assert!(failed.iter().any(|f| f.raw.starts_with("not json at all")));

    let report = router.route_pending(home.id).await.unwrap();
    assert_eq!(
        (report.events, report.notifications),
        (distinct as u32, distinct as u32)
    );
    assert_eq!(router.route_pending(home.id).await.unwrap().events, 0);
    let outbox = store
        .due_notifications(home.id, "2026-06-01T10:00:00Z".parse().unwrap(), 10_000)
        .await
        .unwrap();
    let keys: HashSet<_> = outbox.iter().map(|n| n.idempotency_key.clone()).collect();
    assert_eq!((outbox.len(), keys.len()), (distinct, distinct));
    assert!(
        store
            .unprocessed_events(home.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_fails_leaves_the_messages_on_the_queue() {
    let Some(queues) = queue(5).await else {
        return;
    };
    queues
        .send(&[fixture("fba_outbound_shipment_status.json")])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-06-01T10:00:00Z".parse().unwrap()));
    let (store, _home, _) = store_with_owner(&dir, clock).await;
    // A household that does not exist: storing fails (not found), so nothing may be deleted.
    let source =
        SqsNotificationSource::new(&queues.config, store.clone(), fa_core::HouseholdId::new())
            .with_options(SqsOptions::default().wait_time(Duration::from_secs(1)));
    let err = source.poll_once().await.unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
    assert_eq!(queues.depth().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_integration_consumes_routes_and_stops_when_asked() {
    let Some(queues) = queue(5).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-06-01T10:00:00Z".parse().unwrap()));
    let (store, home, owner) = store_with_owner(&dir, clock.clone()).await;
    store
        .add_route_rule(owner.scope(), RouteSpec::all())
        .await
        .unwrap();
    let vault = Arc::new(fa_core::Vault::new(fa_core::MasterKey::generate().unwrap()));
    let app = AmazonApp::new("client", fa_core::Secret::new("secret"));
    let amazon = AmazonIntegration::new(store.clone(), vault, home.id, app)
        .with_clock(clock)
        .with_queue_options(
            &queues.config,
            SqsOptions::default().wait_time(Duration::from_secs(1)),
        );

    // What it adds to an app: four read-only tools, four job kinds, `/amazon`.
    let mut tools = fa_core::assistant::Toolbox::default();
    amazon.add_tools(&mut tools).unwrap();
    assert_eq!(tools.len(), 4);
    let mut jobs = fa_core::scheduler::JobRegistry::new();
    amazon.register_jobs(&mut jobs);
    assert_eq!(jobs.names().len(), 4, "{:?}", jobs.names());
    assert_eq!(amazon.command().name(), "amazon");

    queues
        .send(&[fixture("fba_outbound_shipment_status.json")])
        .await
        .unwrap();
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let amazon = Arc::new(amazon);
    let running = tokio::spawn({
        let amazon = amazon.clone();
        async move {
            amazon
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        }
    });
    // Waits on the real queue (not on time): the consumer stores, the router routes.
    let due = "2026-06-01T10:00:00Z".parse().unwrap();
    let mut outbox = Vec::new();
    for _ in 0..300 {
        outbox = store.due_notifications(home.id, due, 10).await.unwrap();
        if !outbox.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outbox.len(), 1, "nothing was routed within 30 s");
    assert_eq!(outbox[0].member_id, owner.id);
    stop.send_replace(true);
    let stats = running.await.unwrap().expect("a queue was configured");
    assert_eq!((stats.received, stats.stored), (1, 1), "{stats:?}");
    assert_eq!(queues.depth().await.unwrap(), 0);
}
