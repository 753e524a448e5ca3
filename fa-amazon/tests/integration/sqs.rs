//! The SQS consumer against moto (a real SQS implementation) on loopback: a burst with
//! duplicates and malformed messages, redrive to the dead-letter queue, and routing once.
//! Runs when `FA_TEST_SQS_URL` is set (scripts/test starts moto and sets it); with
//! `FA_TEST_REQUIRE_SQS` set, a missing URL fails instead of skipping.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use fa_amazon::AmazonEventRenderer;
use fa_amazon::sqs::{SqsConfig, SqsNotificationSource, SqsOptions};
use fa_core::routing::EventRouter;
use fa_core::{ManualClock, RouteSpec, Secret};
use serde_json::Value;

use super::{fixture, store_with_owner};

/// The moto endpoint, or `None` to skip.
fn endpoint() -> Option<String> {
    match std::env::var("FA_TEST_SQS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("FA_TEST_REQUIRE_SQS").is_some() => {
            panic!("FA_TEST_REQUIRE_SQS is set but FA_TEST_SQS_URL is not")
        }
        _ => None,
    }
}

struct Queues {
    client: aws_sdk_sqs::Client,
    config: SqsConfig,
    dlq_url: String,
}

/// A fresh queue with a dead-letter queue after `max_receive` receives.
async fn queues(endpoint: &str, max_receive: u32) -> Queues {
    let name = format!("fa-{}", uuid_like());
    let probe = SqsConfig::new("", "us-east-1", "test", Secret::new("test")).endpoint_url(endpoint);
    let client = probe.client();
    let dlq_url = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let dlq_arn = attribute(&client, &dlq_url, QueueAttributeName::QueueArn).await;
    let redrive =
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receive}"}}"#);
    let queue_url = client
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let config =
        SqsConfig::new(queue_url, "us-east-1", "test", Secret::new("test")).endpoint_url(endpoint);
    Queues {
        client,
        config,
        dlq_url,
    }
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

async fn attribute(client: &aws_sdk_sqs::Client, url: &str, name: QueueAttributeName) -> String {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&name))
        .cloned()
        .unwrap_or_default()
}

async fn count(client: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let visible = attribute(client, url, QueueAttributeName::ApproximateNumberOfMessages).await;
    let hidden = attribute(
        client,
        url,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    )
    .await;
    visible.parse::<u64>().unwrap_or(0) + hidden.parse::<u64>().unwrap_or(0)
}

async fn send_all(queues: &Queues, bodies: &[String]) {
    for (chunk_index, chunk) in bodies.chunks(10).enumerate() {
        let mut request = queues
            .client
            .send_message_batch()
            .queue_url(&queues.config.queue_url);
        for (i, body) in chunk.iter().enumerate() {
            request = request.entries(
                SendMessageBatchRequestEntry::builder()
                    .id(format!("m{chunk_index}-{i}"))
                    .message_body(body)
                    .build()
                    .unwrap(),
            );
        }
        let out = request.send().await.unwrap();
        assert!(out.failed().is_empty(), "{:?}", out.failed());
    }
}

/// 440 distinct notifications of every typed kind, each (for 50 of them) sent twice, and 10
/// malformed bodies: 500 messages.
fn burst() -> (Vec<String>, usize, usize) {
    let templates = [
        "order_change.json",
        "fba_outbound_shipment_status.json",
        "fulfillment_order_status.json",
        "any_offer_changed.json",
        "report_processing_finished.json",
        "feed_processing_finished.json",
        "listings_item_status_change.json",
        "listings_item_issues_change.json",
    ];
    let templates: Vec<Value> = templates
        .iter()
        .map(|f| serde_json::from_str(&fixture(f)).unwrap())
        .collect();
    let mut distinct = Vec::new();
    for i in 0..440 {
        let mut body = templates[i % templates.len()].clone();
        let metadata = if body.get("NotificationMetadata").is_some() {
            &mut body["NotificationMetadata"]["NotificationId"]
        } else {
            &mut body["notificationMetadata"]["notificationId"]
        };
        *metadata = format!("burst-{i}").into();
        distinct.push(body.to_string());
    }
    let mut bodies = distinct.clone();
    bodies.extend(distinct.iter().step_by(8).take(50).cloned());
    let malformed = [
        "not json at all".to_owned(),
        "{\"NotificationType\": \"ORDER_CHANGE\"".to_owned(),
        "{}".to_owned(),
        "[1, 2, 3]".to_owned(),
        "{\"NotificationType\": \"ORDER_CHANGE\", \"Payload\": {}}".to_owned(),
    ];
    for i in 0..10 {
        bodies.push(format!("{} #{i}", malformed[i % malformed.len()]));
    }
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
    (shuffled, 440, 10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_stored_and_routed_once_and_malformed_messages_reach_the_dead_letter_queue() {
    let Some(endpoint) = endpoint() else {
        eprintln!("skipped: FA_TEST_SQS_URL is not set");
        return;
    };
    let queues = queues(&endpoint, 2).await;
    let (bodies, distinct, malformed) = burst();
    assert_eq!(bodies.len(), 500);
    send_all(&queues, &bodies).await;

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
        if ra.received + rb.received == 0
            && count(&queues.client, &queues.config.queue_url).await == 0
        {
            break;
        }
    }
    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!(sa.stored + sb.stored, distinct as u64, "{sa:?} {sb:?}");
    assert_eq!(sa.duplicates + sb.duplicates, 50);
    // Each malformed message is received maxReceiveCount (2) times, then moto moves it.
    assert_eq!(sa.malformed + sb.malformed, 2 * malformed as u64);
    assert_eq!(
        count(&queues.client, &queues.dlq_url).await,
        malformed as u64
    );

    let failed = store.failed_events(home.id, 100).await.unwrap();
    assert_eq!(failed.len(), malformed);
    assert!(
        failed
            .iter()
            .all(|f| f.attempts == 2 && !f.reason.is_empty()),
        "{failed:#?}"
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
    let Some(endpoint) = endpoint() else {
        eprintln!("skipped: FA_TEST_SQS_URL is not set");
        return;
    };
    let queues = queues(&endpoint, 5).await;
    send_all(&queues, &[fixture("fba_outbound_shipment_status.json")]).await;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-06-01T10:00:00Z".parse().unwrap()));
    let (store, _home, _) = store_with_owner(&dir, clock).await;
    // A household that does not exist: storing fails (not found), so nothing may be deleted.
    let source =
        SqsNotificationSource::new(&queues.config, store.clone(), fa_core::HouseholdId::new())
            .with_options(SqsOptions::default().wait_time(Duration::from_secs(1)));
    let err = source.poll_once().await.unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
    assert_eq!(count(&queues.client, &queues.config.queue_url).await, 1);
}
