//! Counters of the engine, for health pages and logs.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The engine's counters since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Turns answered (by the model or by the offline path).
    pub turns: u64,
    /// Turns answered while the model was offline.
    pub offline_turns: u64,
    /// Tool calls run or proposed.
    pub tool_calls: u64,
    /// Pending actions proposed.
    pub pending_actions: u64,
    /// Messages refused by the per-member rate limit.
    pub rate_limited: u64,
    /// Messages from senders who are not members.
    pub unknown_senders: u64,
    /// Turns that failed with an error.
    pub failed_turns: u64,
    /// The median turn time over the last 1024 turns.
    pub turn_p50: Duration,
    /// The 99th percentile turn time over the last 1024 turns.
    pub turn_p99: Duration,
}

const WINDOW: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) turns: AtomicU64,
    pub(crate) offline_turns: AtomicU64,
    pub(crate) tool_calls: AtomicU64,
    pub(crate) pending_actions: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) unknown_senders: AtomicU64,
    pub(crate) failed_turns: AtomicU64,
    latencies: Mutex<VecDeque<Duration>>,
}

impl Metrics {
    pub(crate) fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    pub(crate) fn record_latency(&self, took: Duration) {
        if let Ok(mut latencies) = self.latencies.lock() {
            if latencies.len() == WINDOW {
                latencies.pop_front();
            }
            latencies.push_back(took);
        }
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        let mut latencies: Vec<Duration> = self
            .latencies
            .lock()
            .map(|l| l.iter().copied().collect())
            .unwrap_or_default();
        latencies.sort();
        let pick = |q: f64| {
            if latencies.is_empty() {
                Duration::ZERO
            } else {
                let i = ((latencies.len() - 1) as f64 * q).round() as usize;
                latencies[i.min(latencies.len() - 1)]
            }
        };
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            turns: load(&self.turns),
            offline_turns: load(&self.offline_turns),
            tool_calls: load(&self.tool_calls),
            pending_actions: load(&self.pending_actions),
            rate_limited: load(&self.rate_limited),
            unknown_senders: load(&self.unknown_senders),
            failed_turns: load(&self.failed_turns),
            turn_p50: pick(0.5),
            turn_p99: pick(0.99),
        }
    }
}
