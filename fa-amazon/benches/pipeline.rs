//! Notification pipeline benchmark.
//!
//! 1. In process, on SQLite (a real file, WAL): parse → dedupe → store → route, for N
//!    notifications (10 % of them sent twice), in batches, at `synchronous=FULL` and `NORMAL`.
//!    Target: ≥ 20,000 notifications/s.
//! 2. End to end through a local SQS server (moto), when `FA_TEST_SQS_URL` is set: the same
//!    burst sent, then drained by `SqsNotificationSource` (1 and 2 consumers), beside a bare
//!    receive-and-delete loop on the same server, which shows how much of the time is the SQS
//!    server's.
//!
//! Run: `cargo bench -p fa-amazon --bench pipeline` (options: `--notifications N`,
//! `--batch N`, `--e2e N`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use fa_amazon::sqs::{SqsNotificationSource, SqsOptions};
use fa_amazon::testing::{TestQueue, distinct_notifications, shop_household, sqs_endpoint};
use fa_amazon::{AmazonEventRenderer, SpApiNotification};
use fa_core::routing::EventRouter;
use fa_core::*;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn burst(n: usize) -> Vec<String> {
    let distinct = distinct_notifications("bench", n);
    let mut bodies = distinct.clone();
    bodies.extend(distinct.iter().step_by(10).cloned());
    bodies
}

async fn household(store: &DynStore) -> HouseholdId {
    shop_household(store).await.unwrap().id
}

/// Runs the pipeline with `workers` concurrent consumers, each taking every `workers`-th batch
/// (as several SQS consumers share one queue and one store).
async fn in_process(n: usize, batch: usize, sync: SqliteSync, workers: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Arc::new(
        SqliteStore::open_with(SqliteOptions::file(dir.path().join("fa.db")).synchronous(sync))
            .await
            .unwrap(),
    );
    let home = household(&store).await;
    let router = Arc::new(
        EventRouter::new(store.clone())
            .with_renderer(Arc::new(AmazonEventRenderer))
            .with_batch_size(u32::try_from(batch).unwrap()),
    );
    let bodies = Arc::new(burst(n));
    let total = bodies.len();

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..workers {
        let (bodies, router) = (bodies.clone(), router.clone());
        tasks.spawn(async move {
            let (mut parse, mut ingest) = (Duration::ZERO, Duration::ZERO);
            let (mut new, mut routed) = (0usize, 0u32);
            for chunk in bodies.chunks(batch).skip(worker).step_by(workers) {
                let t = Instant::now();
                let events: Vec<_> = chunk
                    .iter()
                    .map(|body| SpApiNotification::parse(body).unwrap().into_event())
                    .collect();
                parse += t.elapsed();
                // As SqsNotificationSource does with a router: dedupe, store and route in one
                // transaction.
                let t = Instant::now();
                let (recorded, commit) = router.ingest(home, events).await.unwrap();
                new += recorded.iter().filter(|r| r.is_new()).count();
                routed += commit.notifications;
                ingest += t.elapsed();
            }
            (parse, ingest, new, routed)
        });
    }
    let (mut parse, mut ingest, mut new, mut routed) = (Duration::ZERO, Duration::ZERO, 0, 0);
    for (p, i, n_new, n_routed) in tasks.join_all().await {
        parse += p;
        ingest += i;
        new += n_new;
        routed += n_routed;
    }
    let wall = started.elapsed();
    assert_eq!((new, routed as usize), (n, n));
    println!(
        "| {:<6} | {} | {:>7} | {:>5} | {:>8.0} | {:>8.0} | {:>6.2} | {:>8.0} |",
        format!("{sync:?}"),
        workers,
        total,
        batch,
        parse.as_secs_f64() * 1e3,
        ingest.as_secs_f64() * 1e3,
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
    );
}

async fn drain(queue: &TestQueue, consumers: usize, store: &DynStore, home: HouseholdId) -> f64 {
    let options = SqsOptions::default()
        .wait_time(Duration::from_secs(1))
        .visibility_timeout(Duration::from_secs(10))
        .heartbeat(Duration::from_secs(3));
    let sources: Vec<_> = (0..consumers)
        .map(|_| {
            Arc::new(
                SqsNotificationSource::new(&queue.config, store.clone(), home)
                    .with_options(options),
            )
        })
        .collect();
    let started = Instant::now();
    loop {
        // Each consumer long-polls at the same time, as separate instances would.
        let mut round = tokio::task::JoinSet::new();
        for source in &sources {
            let source = source.clone();
            round.spawn(async move { source.poll_once().await.unwrap().received });
        }
        let received: u32 = round.join_all().await.into_iter().sum();
        if received == 0 && queue.depth().await.unwrap() == 0 {
            break;
        }
    }
    // The last, empty long poll is not work: leave it out.
    (started.elapsed() - Duration::from_secs(1)).as_secs_f64()
}

async fn end_to_end(endpoint: &str, n: usize) {
    println!(
        "\nEnd to end through moto at {endpoint}: {n} distinct notifications + 10 % duplicates\n"
    );
    println!("| run | messages | send s | drain s | messages/s drained |");
    println!("|---|---:|---:|---:|---:|");
    // The bare loop: receive 10, delete 10, nothing else.
    let queue = TestQueue::create(endpoint, 10).await.unwrap();
    let bodies = burst(n);
    let t = Instant::now();
    queue.send(&bodies).await.unwrap();
    let send = t.elapsed().as_secs_f64();
    let t = Instant::now();
    loop {
        let out = queue
            .client
            .receive_message()
            .queue_url(&queue.config.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = out.messages();
        if messages.is_empty() {
            break;
        }
        let mut delete = queue
            .client
            .delete_message_batch()
            .queue_url(&queue.config.queue_url);
        for (i, m) in messages.iter().enumerate() {
            delete = delete.entries(
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle().unwrap())
                    .build()
                    .unwrap(),
            );
        }
        delete.send().await.unwrap();
    }
    let bare = (t.elapsed() - Duration::from_secs(1)).as_secs_f64();
    println!(
        "| bare receive + delete (no fa) | {} | {send:.2} | {bare:.2} | {:.0} |",
        bodies.len(),
        bodies.len() as f64 / bare
    );
    for consumers in [1, 2] {
        let queue = TestQueue::create(endpoint, 10).await.unwrap();
        let t = Instant::now();
        queue.send(&bodies).await.unwrap();
        let send = t.elapsed().as_secs_f64();
        let dir = tempfile::tempdir().unwrap();
        let store: DynStore = Arc::new(SqliteStore::open(dir.path().join("fa.db")).await.unwrap());
        let home = household(&store).await;
        let drained = drain(&queue, consumers, &store, home).await;
        let stored = store.unprocessed_events(home, 100_000).await.unwrap().len();
        assert_eq!(stored, n);
        println!(
            "| SqsNotificationSource ×{consumers} → SQLite (FULL) | {} | {send:.2} | {drained:.2} | {:.0} |",
            bodies.len(),
            bodies.len() as f64 / drained
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = arg("--notifications", 20_000);
    let batch = arg("--batch", 500);
    println!("In process on SQLite: {n} distinct notifications + 10 % duplicates\n");
    println!(
        "| sync | consumers | notifications | batch | parse ms (sum) | dedupe + store + route ms (sum) | wall s | notifications/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for sync in [SqliteSync::Full, SqliteSync::Normal] {
        for workers in [1, 2] {
            in_process(n, batch, sync, workers).await;
        }
    }
    // The batch one SQS receive brings.
    in_process(n / 4, 10, SqliteSync::Full, 2).await;
    if let Some(endpoint) = sqs_endpoint().unwrap() {
        end_to_end(&endpoint, arg("--e2e", 500)).await;
    } else {
        println!("\n(FA_TEST_SQS_URL not set: end-to-end run skipped)");
    }
}
