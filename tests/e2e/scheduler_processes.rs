//! The scheduler as separate processes: SIGKILLed at random moments and restarted, and two
//! processes sharing one PostgreSQL database. Each child (`fa-sched-child`) runs on a manual
//! clock that this test drives over its stdin, so virtual time, not sleeping, makes reminders
//! due.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fa_core::scheduler::{JobRegistry, NewJob, Scheduler, StoreScheduler, Trigger};
use fa_core::*;

/// A child scheduler process.
struct Child {
    process: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Child {
    fn spawn(args: &[String]) -> Child {
        let mut process = Command::new(env!("CARGO_BIN_EXE_fa-sched-child"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = process.stdin.take().unwrap();
        let stdout = BufReader::new(process.stdout.take().unwrap());
        Child {
            process,
            stdin,
            stdout,
        }
    }

    fn send_tick(&mut self, at: DateTime<Utc>) {
        writeln!(self.stdin, "tick {}", at.timestamp_micros()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Reads the answer to a tick: (fired, sent, late).
    fn answer(&mut self) -> (usize, usize, usize) {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let words: Vec<usize> = line
            .strip_prefix("ok ")
            .unwrap_or_else(|| panic!("child answered {line:?}"))
            .split_whitespace()
            .map(|w| w.parse().unwrap())
            .collect();
        (words[0], words[1], words[2])
    }

    fn tick(&mut self, at: DateTime<Utc>) -> (usize, usize, usize) {
        self.send_tick(at);
        self.answer()
    }

    fn sigkill(mut self) {
        // `Child::kill` sends SIGKILL on Unix.
        self.process.kill().unwrap();
        self.process.wait().unwrap();
    }

    fn quit(mut self) {
        writeln!(self.stdin, "quit").unwrap();
        assert!(self.process.wait().unwrap().success());
    }
}

/// A small deterministic generator, so a failing run can be repeated with its seed.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) fn seed() -> u64 {
    let seed = std::env::var("FA_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("seed {seed} (set FA_CRASH_SEED to repeat)");
    seed
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Schedules `n` reminders for one member, due `first` + i × `spacing`, through the batched API.
/// Returns the member's scope and each job's id with its due instant.
async fn seed_reminders(
    store: DynStore,
    clock: Arc<ManualClock>,
    n: usize,
    first: DateTime<Utc>,
    spacing: chrono::Duration,
) -> (MemberScope, Vec<(JobId, DateTime<Utc>)>) {
    let household = store.create_household("Home").await.unwrap();
    let member = store
        .add_member(household.id, NewMember::new("Ana", Role::Owner))
        .await
        .unwrap();
    let scheduler = StoreScheduler::new(store, JobRegistry::with_builtins()).with_clock(clock);
    let dues: Vec<DateTime<Utc>> = (0..n).map(|i| first + spacing * i as i32).collect();
    let jobs = dues
        .iter()
        .enumerate()
        .map(|(i, due)| {
            (
                member.id,
                NewJob::reminder(format!("reminder {i}"), Trigger::once(*due)),
            )
        })
        .collect();
    let ids = scheduler.schedule_many(household.id, jobs).await.unwrap();
    (member.scope(), ids.into_iter().zip(dues).collect())
}

fn t0() -> DateTime<Utc> {
    "2026-06-01T08:00:00Z".parse().unwrap()
}

#[test]
fn sigkill_at_random_moments_loses_nothing_and_sends_nothing_twice() {
    const REMINDERS: usize = 2_000;
    const MIN_KILLS: usize = 25;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fa.db");
    let clock = Arc::new(ManualClock::new(t0()));
    let store: DynStore = Arc::new(
        runtime
            .block_on(SqliteStore::open_with(
                SqliteOptions::file(&db).clock(clock.clone()),
            ))
            .unwrap(),
    );
    // 2,000 reminders, one every 100 ms over 200 s of virtual time.
    let (scope, jobs) = runtime.block_on(seed_reminders(
        store.clone(),
        clock,
        REMINDERS,
        t0() + chrono::Duration::seconds(1),
        chrono::Duration::milliseconds(100),
    ));

    let args: Vec<String> = [
        "--sqlite",
        db.to_str().unwrap(),
        "--log",
        dir.path().to_str().unwrap(),
        "--lease-ms",
        "2000",
        "--late-after-ms",
        "1000",
        "--batch",
        "8",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut rng = XorShift(seed());
    let step = chrono::Duration::milliseconds(200);
    let end = t0() + chrono::Duration::seconds(205);
    let steps = ((end - t0()).num_milliseconds() / step.num_milliseconds()) as u64;
    // Kill at ~1 in 30 steps: about 34 kills, never fewer than MIN_KILLS.
    let mut kill_at: HashSet<u64> = HashSet::new();
    while kill_at.len() < 34 {
        kill_at.insert(1 + rng.below(steps - 1));
    }
    let mut outages = Vec::new();
    let mut kills = 0;
    let mut now = t0();
    let mut child = Child::spawn(&args);
    for i in 0..steps {
        now += step;
        if kill_at.contains(&i) {
            child.send_tick(now);
            // Let it get some way into the tick (claiming, recording, sending) before the kill.
            std::thread::sleep(Duration::from_micros(rng.below(4_000)));
            child.sigkill();
            kills += 1;
            // Down for up to 3 s of virtual time.
            let down = chrono::Duration::milliseconds(rng.below(3_000) as i64);
            outages.push((now, now + down));
            now += down;
            child = Child::spawn(&args);
            child.tick(now);
        } else {
            child.tick(now);
        }
    }
    // Past every lease a killed child left behind.
    child.tick(now + chrono::Duration::seconds(10));
    child.quit();
    assert!(kills >= MIN_KILLS, "only {kills} kills");

    let sent = lines(&dir.path().join("sent.log"));
    let attempts = lines(&dir.path().join("attempts.log"));
    let unique: HashSet<&String> = sent.iter().collect();
    assert_eq!(unique.len(), sent.len(), "a key was sent twice");

    let late_after = chrono::Duration::seconds(1);
    let mut late = 0;
    runtime.block_on(async {
        for (job, due) in &jobs {
            let history = Scheduler::history(
                &StoreScheduler::new(store.clone(), JobRegistry::with_builtins()),
                scope,
                *job,
                10,
            )
            .await
            .unwrap();
            assert_eq!(history.len(), 1, "job {job}");
            let occurrence = &history[0];
            assert_eq!(occurrence.state, OccurrenceState::Done, "job {job}");
            assert!(
                unique.contains(&occurrence.idempotency_key()),
                "never sent: {job}"
            );
            let notification = store
                .notification(scope.household, occurrence.notification_id.unwrap())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(notification.status, DeliveryStatus::Sent, "job {job}");
            let fired = occurrence.fired_at.unwrap();
            assert!(fired >= *due, "fired early: {job}");
            assert_eq!(
                occurrence.late,
                fired - *due > late_after,
                "late flag of {job}"
            );
            // Due while the process was down and found more than a second later: late.
            if outages
                .iter()
                .any(|(down, up)| *due > *down && *due < *up - late_after)
            {
                assert!(
                    occurrence.late,
                    "due during an outage but not marked late: {job}"
                );
            }
            late += usize::from(occurrence.late);
        }
    });
    let reminders_sent = sent.iter().filter(|k| k.starts_with("job:")).count();
    let summaries = sent.iter().filter(|k| k.starts_with("summary:")).count();
    assert_eq!(
        reminders_sent, REMINDERS,
        "every reminder sent exactly once"
    );
    assert_eq!(
        reminders_sent + summaries,
        sent.len(),
        "nothing else was sent"
    );
    assert!(late > 0, "the outages made some reminders late");
    assert!(summaries > 0, "late reminders were summarised");
    eprintln!(
        "{kills} SIGKILLs over {REMINDERS} reminders: {} delivery calls, {} duplicates dropped \
         by the idempotency key, {late} marked late, {summaries} missed/late summaries, \
         0 lost, 0 sent twice",
        attempts.len(),
        attempts.len() - sent.len()
    );
}

#[test]
fn two_processes_on_one_postgres_deliver_each_occurrence_exactly_once() {
    const OCCURRENCES: usize = 10_000;
    let Some(url) = fa_tests::peers::postgres_url().unwrap() else {
        eprintln!("skipped: FA_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("fa_e2e_{}", uuid::Uuid::now_v7().simple());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let store: DynStore = Arc::new(
        runtime
            .block_on(PostgresStore::connect_with(
                PostgresOptions::new(url.clone())
                    .schema(schema.clone())
                    .clock(clock.clone()),
            ))
            .unwrap(),
    );
    // 10,000 reminders, one every 10 ms over 100 s.
    let (_, jobs) = runtime.block_on(seed_reminders(
        store.clone(),
        clock,
        OCCURRENCES,
        t0() + chrono::Duration::seconds(1),
        chrono::Duration::milliseconds(10),
    ));
    let dir = tempfile::tempdir().unwrap();
    let mut children: Vec<Child> = ["a", "b"]
        .iter()
        .map(|name| {
            let log = dir.path().join(name);
            std::fs::create_dir_all(&log).unwrap();
            let args: Vec<String> = [
                "--postgres",
                &url,
                "--schema",
                &schema,
                "--log",
                log.to_str().unwrap(),
                "--owner",
                name,
                "--batch",
                "4",
            ]
            .map(str::to_owned)
            .to_vec();
            Child::spawn(&args)
        })
        .collect();
    let mut now = t0();
    let end = t0() + chrono::Duration::seconds(102);
    while now < end {
        now += chrono::Duration::milliseconds(100);
        // Both processes tick at the same instant, concurrently.
        for child in &mut children {
            child.send_tick(now);
        }
        for child in &mut children {
            child.answer();
        }
    }
    for child in children {
        child.quit();
    }
    let mut per_process = Vec::new();
    let mut all: HashMap<String, usize> = HashMap::new();
    for name in ["a", "b"] {
        // Raw delivery calls: no duplicate suppression involved.
        let attempts = lines(&dir.path().join(name).join("attempts.log"));
        per_process.push(attempts.len());
        for key in attempts {
            *all.entry(key).or_default() += 1;
        }
    }
    let expected: HashSet<String> = jobs
        .iter()
        .map(|(job, due)| format!("job:{job}:{}", due.timestamp_micros()))
        .collect();
    let twice = all.values().filter(|n| **n > 1).count();
    assert_eq!(
        twice, 0,
        "{twice} occurrences were delivered more than once"
    );
    assert_eq!(
        all.len(),
        OCCURRENCES,
        "delivered {} of {OCCURRENCES}",
        all.len()
    );
    assert!(all.keys().all(|k| expected.contains(k)));
    assert!(
        per_process.iter().all(|n| *n > 0),
        "both processes took work: {per_process:?}"
    );
    eprintln!(
        "{OCCURRENCES} occurrences, delivered once each: {} by process a, {} by process b",
        per_process[0], per_process[1]
    );
}
