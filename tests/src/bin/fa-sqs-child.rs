//! An SQS consumer process for the crash test: it reads SP-API notifications from a queue into
//! a SQLite store and routes them, until `quit` on stdin (graceful) or SIGKILL.
//!
//! ```text
//! fa-sqs-child --sqlite PATH --household UUID --queue-url URL --endpoint URL
//! stdin: quit   → finishes the batch in hand, prints `stats <received> <stored> <duplicates>`
//! ```

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use fa_amazon::AmazonEventRenderer;
use fa_amazon::sqs::{SqsConfig, SqsNotificationSource, SqsOptions};
use fa_core::routing::EventRouter;
use fa_core::{DynStore, HouseholdId, Secret, SqliteOptions, SqliteStore};

fn arg(args: &[String], name: &str) -> Result<String, String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .ok_or_else(|| format!("missing {name}"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let store: DynStore =
        Arc::new(SqliteStore::open_with(SqliteOptions::file(arg(&args, "--sqlite")?)).await?);
    let household: HouseholdId = arg(&args, "--household")?.parse::<uuid::Uuid>()?.into();
    let config = SqsConfig::new(
        arg(&args, "--queue-url")?,
        "us-east-1",
        "test",
        Secret::new("test"),
    )
    .endpoint_url(arg(&args, "--endpoint")?);
    let router = Arc::new(
        EventRouter::new(store.clone())
            .with_renderer(Arc::new(AmazonEventRenderer))
            .with_poll_interval(Duration::from_millis(200)),
    );
    let source = SqsNotificationSource::new(&config, store, household)
        .with_options(
            SqsOptions::default()
                .wait_time(Duration::from_secs(1))
                .visibility_timeout(Duration::from_secs(3))
                .heartbeat(Duration::from_secs(1)),
        )
        .with_waker(router.waker());

    let (quit_tx, quit_rx) = tokio::sync::watch::channel(false);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line.map(|l| l.trim() == "quit").unwrap_or(true) {
                break;
            }
        }
        let _ = quit_tx.send(true);
    });
    let until_quit = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|quit| *quit).await;
    };
    let routing = {
        let router = router.clone();
        let rx = quit_rx.clone();
        tokio::spawn(async move { router.run(until_quit(rx)).await })
    };
    let stats = source.run(until_quit(quit_rx)).await;
    routing.await?;
    println!(
        "stats {} {} {}",
        stats.received, stats.stored, stats.duplicates
    );
    Ok(())
}
