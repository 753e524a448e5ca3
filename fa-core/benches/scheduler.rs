//! Scheduler benchmark, in four modes (each prints one JSON line on stdout):
//!
//! * `schedule --n N`: N one-shot reminders through the batched API (`schedule_many`, 10,000 a
//!   call): jobs/s.
//! * `lateness --n N [--lead S] [--window W]`: a running runner (system clock); N one-shot
//!   reminders due at `lead + window × i / N` s after the start, added in a shuffled order in
//!   batches of 1,000; an in-process notifier records actual − scheduled for each. The same
//!   workload and output fields as `tokio-cron-scheduler`'s in `shared/bench-peers`, so
//!   `sched_bench.sh --extra 'fa=cargo bench -q -p fa-core --bench scheduler -- lateness'` runs it
//!   beside APScheduler.
//! * `pending --n N`: seeds N pending reminders (due in a year) plus 10 due 1–2 s after a fresh
//!   process starts, then runs that fresh process (`first-fire`) and reports its time from
//!   process start to the first delivery and its peak RSS.
//!
//! Common options: `--store sqlite|postgres` (PostgreSQL from `FA_TEST_POSTGRES_URL` or `--url`),
//! `--dir D` for the SQLite file (default: a temporary directory).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fa_core::scheduler::*;
use fa_core::*;

struct Args {
    mode: String,
    store: String,
    url: Option<String>,
    n: usize,
    lead: f64,
    window: f64,
    dir: Option<std::path::PathBuf>,
    db: Option<String>,
}

fn parse_args() -> Args {
    let raw: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut args = Args {
        mode: raw.first().cloned().unwrap_or_else(|| "lateness".into()),
        store: "sqlite".into(),
        url: std::env::var("FA_TEST_POSTGRES_URL").ok(),
        n: 100_000,
        lead: 5.0,
        window: 10.0,
        dir: None,
        db: None,
    };
    let mut i = 1;
    while i < raw.len() {
        let v = raw.get(i + 1).cloned().unwrap_or_default();
        match raw[i].as_str() {
            "--store" => args.store = v,
            "--url" => args.url = Some(v),
            "--n" => args.n = v.parse().unwrap(),
            "--lead" => args.lead = v.parse().unwrap(),
            "--window" => args.window = v.parse().unwrap(),
            "--dir" => args.dir = Some(v.into()),
            "--db" => args.db = Some(v),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    args
}

fn vm_hwm_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(((sorted.len() - 1) as f64) * q).round() as usize]
}

/// Opens the store; `db` names an existing SQLite file or PostgreSQL schema to reuse.
async fn open(args: &Args, db: &str) -> DynStore {
    match args.store.as_str() {
        "sqlite" => Arc::new(SqliteStore::open(db).await.unwrap()),
        "postgres" => {
            let url = args.url.clone().expect("set FA_TEST_POSTGRES_URL or --url");
            Arc::new(
                PostgresStore::connect_with(
                    PostgresOptions::new(url).schema(db).max_connections(8),
                )
                .await
                .unwrap(),
            )
        }
        other => panic!("unknown store {other}"),
    }
}

fn fresh_db(args: &Args) -> String {
    match args.store.as_str() {
        "sqlite" => {
            let dir = args
                .dir
                .clone()
                .unwrap_or_else(|| tempfile::tempdir().unwrap().keep());
            std::fs::create_dir_all(&dir).unwrap();
            dir.join(format!("bench-{}.db", uuid::Uuid::now_v7().simple()))
                .display()
                .to_string()
        }
        _ => format!("fa_bench_{}", uuid::Uuid::now_v7().simple()),
    }
}

async fn member(store: &DynStore) -> MemberScope {
    let home = store.create_household("Bench").await.unwrap();
    store
        .add_member(home.id, NewMember::new("Ana", Role::Owner))
        .await
        .unwrap()
        .scope()
}

/// Records when each firing reached the channel, by its idempotency key `job:<id>:<micros>`.
#[derive(Default)]
struct LatenessNotifier {
    lateness_us: Mutex<HashMap<String, (i64, usize)>>,
    first: Mutex<Option<Instant>>,
    delivered: AtomicUsize,
}

#[async_trait]
impl Notifier for LatenessNotifier {
    async fn deliver(&self, n: &Notification) -> Result<Sent, DeliveryError> {
        let now = Utc::now();
        self.first.lock().unwrap().get_or_insert_with(Instant::now);
        if let Some(micros) = n
            .idempotency_key
            .rsplit(':')
            .next()
            .and_then(|m| m.parse::<i64>().ok())
        {
            let lateness = now.timestamp_micros() - micros;
            let mut map = self.lateness_us.lock().unwrap();
            let entry = map
                .entry(n.idempotency_key.clone())
                .or_insert((lateness, 0));
            entry.1 += 1;
        }
        self.delivered.fetch_add(1, Ordering::SeqCst);
        Ok(Sent::default())
    }
}

async fn schedule_in_batches(
    scheduler: &StoreScheduler,
    scope: MemberScope,
    dues: &[DateTime<Utc>],
    batch: usize,
) {
    for chunk in dues.chunks(batch) {
        let jobs = chunk
            .iter()
            .map(|due| (scope.member, NewJob::reminder("Bench", Trigger::once(*due))))
            .collect();
        scheduler
            .schedule_many(scope.household, jobs)
            .await
            .unwrap();
    }
}

async fn schedule_mode(args: &Args) {
    let db = fresh_db(args);
    let store = open(args, &db).await;
    let scope = member(&store).await;
    let scheduler = StoreScheduler::new(store.clone(), JobRegistry::with_builtins());
    let due = Utc::now() + chrono::Duration::days(365);
    let dues = vec![due; args.n];
    let started = Instant::now();
    schedule_in_batches(&scheduler, scope, &dues, 10_000).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"schedule\",\"store\":\"{}\",\"n\":{},\"schedule_s\":{secs:.3},\"jobs_per_s\":{:.0},\"peak_rss_mb\":{:.1}}}",
        args.store,
        args.n,
        args.n as f64 / secs,
        vm_hwm_mb()
    );
}

async fn lateness_mode(args: &Args) {
    let n = args.n;
    let db = fresh_db(args);
    let store = open(args, &db).await;
    let scope = member(&store).await;
    let scheduler = StoreScheduler::new(store.clone(), JobRegistry::with_builtins());
    let notifier = Arc::new(LatenessNotifier::default());
    let runner = scheduler.runner(notifier.clone(), RunnerOptions::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        runner
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    // Deterministic shuffle (xorshift64*), as the peer harness does.
    let mut order: Vec<usize> = (0..n).collect();
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    for k in (1..n).rev() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
        order.swap(k, (r % (k as u64 + 1)) as usize);
    }
    let t0 = Utc::now();
    let start = Instant::now();
    let dues: Vec<DateTime<Utc>> = order
        .iter()
        .map(|i| {
            t0 + chrono::Duration::microseconds(
                ((args.lead + args.window * *i as f64 / n as f64) * 1e6) as i64,
            )
        })
        .collect();
    schedule_in_batches(&scheduler, scope, &dues, 1_000).await;
    let schedule_s = start.elapsed().as_secs_f64();
    let deadline = start + Duration::from_secs_f64(args.lead + args.window + 30.0);
    while notifier.delivered.load(Ordering::SeqCst) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let _ = running.await;
    let map = notifier.lateness_us.lock().unwrap();
    let mut lats: Vec<f64> = map.values().map(|(us, _)| *us as f64 / 1000.0).collect();
    lats.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let duplicates: usize = map.values().map(|(_, c)| c - 1).sum();
    let early = lats.iter().filter(|x| **x < 0.0).count();
    println!(
        "{{\"peer\":\"fa {}\",\"store\":\"{}\",\"n\":{n},\"schedule_s\":{schedule_s:.3},\"schedule_jobs_per_s\":{:.0},\
         \"window_start_s\":{},\"scheduling_overran_window_start\":{},\"fired\":{},\"missed\":{},\"duplicates\":{duplicates},\
         \"early\":{early},\"lateness_ms\":{{\"p50\":{:.2},\"p99\":{:.2},\"max\":{:.2},\"min\":{:.2}}},\"peak_rss_mb\":{:.1}}}",
        env!("CARGO_PKG_VERSION"),
        args.store,
        n as f64 / schedule_s,
        args.lead,
        schedule_s > args.lead,
        lats.len(),
        n - lats.len(),
        pct(&lats, 0.5),
        pct(&lats, 0.99),
        pct(&lats, 1.0),
        pct(&lats, 0.0),
        vm_hwm_mb()
    );
}

async fn pending_mode(args: &Args) {
    let db = fresh_db(args);
    let store = open(args, &db).await;
    let scope = member(&store).await;
    let scheduler = StoreScheduler::new(store.clone(), JobRegistry::with_builtins());
    let far = Utc::now() + chrono::Duration::days(365);
    let started = Instant::now();
    schedule_in_batches(&scheduler, scope, &vec![far; args.n], 10_000).await;
    let seed_s = started.elapsed().as_secs_f64();
    // Ten due shortly after the fresh process starts.
    let soon: Vec<DateTime<Utc>> = (0..10)
        .map(|i| Utc::now() + chrono::Duration::milliseconds(1_500 + i * 50))
        .collect();
    schedule_in_batches(&scheduler, scope, &soon, 10).await;
    drop(scheduler);
    drop(store);
    let exe = std::env::current_exe().unwrap();
    let launched = Instant::now();
    let out = std::process::Command::new(exe)
        .args(["first-fire", "--store", &args.store, "--db", &db])
        .args(
            args.url
                .iter()
                .flat_map(|u| ["--url".to_owned(), u.clone()]),
        )
        .output()
        .unwrap();
    let child = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    println!(
        "{{\"mode\":\"pending\",\"store\":\"{}\",\"pending\":{},\"seed_s\":{seed_s:.2},\"launch_to_exit_s\":{:.2},\"first_fire\":{child}}}",
        args.store,
        args.n,
        launched.elapsed().as_secs_f64()
    );
}

/// A fresh process over a store full of pending reminders: start-up to the first delivery, and
/// peak RSS while it runs for 3 s.
async fn first_fire_mode(args: &Args, process_start: Instant) {
    let store = open(args, args.db.as_deref().unwrap()).await;
    let opened_s = process_start.elapsed().as_secs_f64();
    let scheduler = StoreScheduler::new(store, JobRegistry::with_builtins());
    let notifier = Arc::new(LatenessNotifier::default());
    let runner = scheduler.runner(notifier.clone(), RunnerOptions::default());
    let ready_s = process_start.elapsed().as_secs_f64();
    tokio::time::timeout(Duration::from_secs(4), runner.run(std::future::pending()))
        .await
        .ok();
    let first = notifier
        .first
        .lock()
        .unwrap()
        .map(|t| (t - process_start).as_secs_f64());
    let map = notifier.lateness_us.lock().unwrap();
    let mut lats: Vec<f64> = map.values().map(|(us, _)| *us as f64 / 1000.0).collect();
    lats.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{{\"open_store_s\":{opened_s:.3},\"ready_s\":{ready_s:.3},\"first_delivery_s\":{},\"delivered\":{},\"lateness_ms_max\":{:.2},\"peak_rss_mb\":{:.1}}}",
        first.map_or("null".to_owned(), |f| format!("{f:.3}")),
        lats.len(),
        pct(&lats, 1.0),
        vm_hwm_mb()
    );
}

fn main() {
    let process_start = Instant::now();
    let args = parse_args();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        match args.mode.as_str() {
            "schedule" => schedule_mode(&args).await,
            "lateness" => lateness_mode(&args).await,
            "pending" => pending_mode(&args).await,
            "first-fire" => first_fire_mode(&args, process_start).await,
            other => panic!("unknown mode {other}: schedule | lateness | pending"),
        }
    });
}
