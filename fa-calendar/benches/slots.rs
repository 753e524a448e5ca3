//! Slot finder benchmark: 5 members, a year of events each (200 one-off events and 200
//! recurring series — 10 weekly, 20 monthly, 170 yearly — expanded to busy intervals), find the
//! 10 best one-hour slots in the next 2 weeks. Prints p50 / p99 / max over the runs.
//! Target: p99 ≤ 10 ms.
//!
//! Run: `cargo bench -p fa-calendar --bench slots` (option: `--runs N`, default 500).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use fa_calendar::slots::{Attendee, Interval, SlotQuery, WorkingHours, find_slots};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
}

/// A year of one member's busy time, starting at `year_start`, in their zone's daytime.
fn year_of_events(random: &mut XorShift, year_start: DateTime<Utc>) -> Vec<Interval> {
    let mut busy = Vec::new();
    let mut event = |start: DateTime<Utc>, random: &mut XorShift| {
        let length = Duration::minutes(30 + 15 * random.below(5));
        busy.push(Interval::new(start, start + length));
    };
    for _ in 0..200 {
        let start = year_start
            + Duration::days(random.below(365))
            + Duration::minutes(6 * 60 + 15 * random.below(14 * 4));
        event(start, random);
    }
    // Recurring series, expanded over the year: weekly, monthly (every 30 days), yearly.
    for (series, every_days, count) in [(10, 7u64, 52i64), (20, 30, 12), (170, 365, 1)] {
        for _ in 0..series {
            let first = year_start
                + Duration::days(random.below(every_days))
                + Duration::minutes(6 * 60 + 15 * random.below(14 * 4));
            for n in 0..count {
                event(first + Duration::days(every_days as i64 * n), random);
            }
        }
    }
    busy
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut random = XorShift(0x5eed_cafe_f00d_1234);
    let year_start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let zones: [Tz; 5] = [
        "Europe/Berlin".parse().unwrap(),
        "Europe/Berlin".parse().unwrap(),
        "Europe/London".parse().unwrap(),
        "Europe/Berlin".parse().unwrap(),
        "Europe/Madrid".parse().unwrap(),
    ];
    let attendees: Vec<Attendee> = zones
        .iter()
        .map(|tz| {
            Attendee::new(*tz, WorkingHours::every_day(8, 21))
                .busy(year_of_events(&mut random, year_start))
        })
        .collect();
    let intervals: usize = attendees.iter().map(|a| a.busy.len()).sum();
    let now = Utc.with_ymd_and_hms(2026, 3, 20, 9, 7, 0).unwrap();
    let query = SlotQuery::new(
        Duration::hours(1),
        Interval::new(now, now + Duration::days(14)),
    )
    .buffers(Duration::minutes(10), Duration::minutes(10))
    .min_notice(Duration::hours(2));

    let mut times = Vec::with_capacity(runs);
    let mut found = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let slots = find_slots(now, &attendees, &query);
        times.push(started.elapsed());
        found = slots.len();
    }
    times.sort();
    let pick = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "slot finder: 5 members, {intervals} busy intervals over a year (200 one-off + 200 series each), 10 best 1-hour slots in 2 weeks"
    );
    println!(
        "  {runs} runs: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {found} slots found",
        pick(0.50).as_secs_f64() * 1e3,
        pick(0.99).as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}
