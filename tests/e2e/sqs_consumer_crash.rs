//! The SQS consumer as a separate process (`fa-sqs-child`), SIGKILLed at random moments while
//! it works through a burst on a real SQS implementation (moto), then restarted: every
//! distinct notification is stored once and routed once, and the queue ends empty.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fa_amazon::testing::{TestQueue, distinct_notifications, shop_household, sqs_endpoint};
use fa_core::*;

use super::scheduler_processes::{XorShift, seed};

fn spawn(args: &[String]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fa-sqs-child"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_mid_batch_loses_nothing_and_routes_nothing_twice() {
    let Some(endpoint) = sqs_endpoint().unwrap() else {
        eprintln!("skipped: FA_TEST_SQS_URL is not set");
        return;
    };
    let mut random = XorShift(seed());
    // A high maxReceiveCount: kills redeliver messages, which must not send them to the DLQ.
    let queue = TestQueue::create(&endpoint, 50).await.unwrap();
    let distinct = distinct_notifications("crash", 300);
    let mut bodies = distinct.clone();
    bodies.extend(distinct.iter().step_by(10).cloned());
    queue.send(&bodies).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fa.db");
    let store: DynStore = Arc::new(SqliteStore::open(&path).await.unwrap());
    let home = shop_household(&store).await.unwrap();
    let args: Vec<String> = [
        "--sqlite",
        path.to_str().unwrap(),
        "--household",
        &home.id.to_string(),
        "--queue-url",
        &queue.config.queue_url,
        "--endpoint",
        &endpoint,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();

    let outbox = |store: DynStore| async move {
        store
            .due_notifications(
                home.id,
                chrono::Utc::now() + chrono::Duration::days(1),
                10_000,
            )
            .await
            .unwrap()
    };
    let mut kills = 0;
    for _ in 0..8 {
        let mut child = spawn(&args);
        tokio::time::sleep(Duration::from_millis(200 + random.below(700))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        if outbox(store.clone()).await.len() >= distinct.len() {
            break;
        }
    }
    let stored_before_last = outbox(store.clone()).await.len();
    eprintln!(
        "{kills} kills; {stored_before_last} of {} routed before the last run",
        distinct.len()
    );

    // A last run finishes the queue, then stops gracefully.
    let mut child = spawn(&args);
    let started = Instant::now();
    loop {
        let routed = outbox(store.clone()).await.len();
        if routed >= distinct.len() && queue.depth().await.unwrap() == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "stuck at {routed} routed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    writeln!(child.stdin.as_mut().unwrap(), "quit").unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(line.starts_with("stats "), "{line:?}");
    eprintln!("last run (received, stored, duplicates): {}", line.trim());

    let messages = outbox(store.clone()).await;
    let keys: HashSet<_> = messages.iter().map(|n| n.idempotency_key.clone()).collect();
    assert_eq!(
        messages.len(),
        distinct.len(),
        "each notification routed once"
    );
    assert_eq!(keys.len(), distinct.len());
    assert!(
        store
            .unprocessed_events(home.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.failed_events(home.id, 10).await.unwrap().is_empty());
    assert_eq!(queue.dead_letters().await.unwrap(), 0);
}
