//! A scheduler process for the crash and multi-process tests: it runs a `SchedulerRunner` on a
//! manual clock that its parent drives over stdin, and delivers to files.
//!
//! ```text
//! fa-sched-child (--sqlite PATH | --postgres URL --schema NAME) --log DIR
//!                [--owner NAME] [--batch N] [--lease-ms N] [--late-after-ms N]
//! stdin:  tick <unix micros>   → stdout: ok <fired> <sent> <late>
//!         quit
//! ```
//!
//! Every delivery call appends the idempotency key to `DIR/attempts.log`. A key not seen before
//! is also appended to `DIR/sent.log`; a key already there is dropped as a duplicate, as a
//! channel that remembers keys would. Writes are single `write(2)` calls on `O_APPEND` files, so
//! a SIGKILL never leaves half a line.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use fa_core::scheduler::{
    DeliveryError, JobRegistry, Notifier, RunnerOptions, Sent, StoreScheduler,
};
use fa_core::{
    DynStore, ManualClock, Notification, PostgresOptions, PostgresStore, SqliteOptions, SqliteStore,
};

struct FileNotifier {
    attempts: Mutex<File>,
    sent: Mutex<(File, HashSet<String>)>,
}

impl FileNotifier {
    fn open(dir: &Path) -> std::io::Result<Self> {
        let append = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
        };
        let seen = match std::fs::read_to_string(dir.join("sent.log")) {
            Ok(text) => text.lines().map(str::to_owned).collect(),
            Err(_) => HashSet::new(),
        };
        Ok(Self {
            attempts: Mutex::new(append("attempts.log")?),
            sent: Mutex::new((append("sent.log")?, seen)),
        })
    }
}

#[async_trait]
impl Notifier for FileNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<Sent, DeliveryError> {
        let line = format!("{}\n", notification.idempotency_key);
        let io = |e: std::io::Error| DeliveryError::transient(e.to_string());
        {
            let mut attempts = self
                .attempts
                .lock()
                .map_err(|_| DeliveryError::transient("lock"))?;
            attempts.write_all(line.as_bytes()).map_err(io)?;
        }
        let mut sent = self
            .sent
            .lock()
            .map_err(|_| DeliveryError::transient("lock"))?;
        let (file, seen) = &mut *sent;
        if seen.insert(notification.idempotency_key.clone()) {
            file.write_all(line.as_bytes()).map_err(io)?;
        }
        Ok(Sent::default())
    }
}

struct Args {
    sqlite: Option<PathBuf>,
    postgres: Option<(String, String)>,
    log: PathBuf,
    owner: String,
    batch: u32,
    lease: Duration,
    late_after: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        sqlite: None,
        postgres: None,
        log: PathBuf::from("."),
        owner: format!("child-{}", std::process::id()),
        batch: 256,
        lease: Duration::from_secs(60),
        late_after: Duration::from_secs(1),
    };
    let ms = |v: Option<String>| -> Result<Duration, String> {
        v.ok_or("missing value")?
            .parse()
            .map(Duration::from_millis)
            .map_err(|e| format!("{e}"))
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--sqlite" => parsed.sqlite = args.next().map(PathBuf::from),
            "--postgres" => {
                let url = args.next().ok_or("--postgres needs a URL")?;
                let schema = match (args.next().as_deref(), args.next()) {
                    (Some("--schema"), Some(schema)) => schema,
                    _ => return Err("--postgres URL must be followed by --schema NAME".into()),
                };
                parsed.postgres = Some((url, schema));
            }
            "--log" => parsed.log = args.next().map(PathBuf::from).ok_or("--log needs a dir")?,
            "--owner" => parsed.owner = args.next().ok_or("--owner needs a name")?,
            "--batch" => {
                parsed.batch = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--batch needs a number")?
            }
            "--lease-ms" => parsed.lease = ms(args.next())?,
            "--late-after-ms" => parsed.late_after = ms(args.next())?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let clock = Arc::new(ManualClock::new(DateTime::UNIX_EPOCH));
    let store: DynStore = match (&args.sqlite, &args.postgres) {
        (Some(path), _) => {
            Arc::new(SqliteStore::open_with(SqliteOptions::file(path).clock(clock.clone())).await?)
        }
        (None, Some((url, schema))) => Arc::new(
            PostgresStore::connect_with(
                PostgresOptions::new(url.clone())
                    .schema(schema.clone())
                    .clock(clock.clone()),
            )
            .await?,
        ),
        (None, None) => return Err("give --sqlite PATH or --postgres URL --schema NAME".into()),
    };
    let scheduler =
        StoreScheduler::new(store, JobRegistry::with_builtins()).with_clock(clock.clone());
    let runner = scheduler.runner(
        Arc::new(FileNotifier::open(&args.log)?),
        RunnerOptions::default()
            .owner(args.owner)
            .batch_size(args.batch)
            .lease(args.lease)
            .late_after(args.late_after),
    );
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("tick"), Some(micros)) => {
                let at = DateTime::from_timestamp_micros(micros.parse()?)
                    .ok_or("tick instant out of range")?;
                clock.set(at);
                let report = runner.tick().await?;
                writeln!(
                    stdout,
                    "ok {} {} {}",
                    report.fired, report.sent, report.late
                )?;
                stdout.flush()?;
            }
            (Some("quit"), _) => break,
            _ => return Err(format!("unknown command {line:?}").into()),
        }
    }
    Ok(())
}
