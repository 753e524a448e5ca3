//! Store benchmark: appending conversation messages and reading a member's recent history on
//! SQLite (a real file, WAL), reporting per-operation p50 / p99 / max and throughput.
//!
//! Run: `cargo bench -p fa-core --bench store` (options: `--messages N`, `--reads N`).
//! Targets on the project machine: append p99 ≤ 1 ms; last-50 read p99 ≤ 1 ms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use fa_core::*;

struct Figures {
    label: String,
    samples: Vec<Duration>,
    wall: Duration,
}

impl Figures {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    fn print(&self) {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "| {:<46} | {:>7} | {:>8.1} | {:>8.1} | {:>9.1} | {:>9.0} |",
            self.label,
            self.samples.len(),
            us(self.percentile(50.0)),
            us(self.percentile(99.0)),
            us(*self.samples.iter().max().unwrap()),
            self.samples.len() as f64 / self.wall.as_secs_f64(),
        );
    }
}

async fn timed<F, Fut>(label: String, n: usize, mut op: F) -> Figures
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        op(i).await;
        samples.push(t.elapsed());
    }
    Figures {
        label,
        samples,
        wall: started.elapsed(),
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let messages = arg("--messages", 20_000);
    let reads = arg("--reads", 20_000);
    println!("fa-core store benchmark — {}", machine());
    println!("SQLite file in a temp dir, WAL; {messages} appends, {reads} reads of the last 50\n");
    println!(
        "| {:<46} | {:>7} | {:>8} | {:>8} | {:>9} | {:>9} |",
        "operation", "n", "p50 µs", "p99 µs", "max µs", "ops/s"
    );
    println!(
        "|{:-<48}|{:->9}|{:->10}|{:->10}|{:->11}|{:->11}|",
        "", "", "", "", "", ""
    );
    for (sync, name) in [(SqliteSync::Full, "FULL"), (SqliteSync::Normal, "NORMAL")] {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_with(
            SqliteOptions::file(dir.path().join("bench.db")).synchronous(sync),
        )
        .await
        .unwrap();
        let home = store.create_household("Bench").await.unwrap();
        let member = store
            .add_member(home.id, NewMember::new("Bench", Role::Owner))
            .await
            .unwrap();
        let scope = member.scope();
        // Other members' traffic in the same tables, so reads are not on a toy table.
        for i in 0..4 {
            let other = store
                .add_member(home.id, NewMember::new(format!("Other {i}"), Role::Adult))
                .await
                .unwrap();
            let convo = store
                .conversation(other.scope(), "telegram", "1")
                .await
                .unwrap();
            for j in 0..2_000 {
                store
                    .append_message(
                        other.scope(),
                        convo.id,
                        NewMessage::new(MessageRole::User, format!("noise {j}")),
                    )
                    .await
                    .unwrap();
            }
        }
        let convo = store.conversation(scope, "telegram", "42").await.unwrap();
        let text = "Remind me to pick up the kids from football practice at 5pm tomorrow, please.";
        let store = &store;
        let append = timed(
            format!("append message (synchronous={name})"),
            messages,
            |i| async move {
                let role = if i % 2 == 0 {
                    MessageRole::User
                } else {
                    MessageRole::Assistant
                };
                store
                    .append_message(scope, convo.id, NewMessage::new(role, text))
                    .await
                    .unwrap();
            },
        )
        .await;
        let read = timed(
            format!("recent history, last 50 (synchronous={name})"),
            reads,
            |_| async move {
                let history = store.recent_messages(scope, convo.id, 50).await.unwrap();
                assert_eq!(history.len(), 50);
            },
        )
        .await;
        append.print();
        read.print();
    }
}
