//! Counters of the engine, for health pages, Prometheus and logs.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::llm::{
    ChatRequest, ChatResponse, DynModel, LanguageModel, ModelError, ModelInfo, StreamEvent,
};

/// The engine's counters since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Messages received from channels (members or not).
    pub inbound: u64,
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
    /// Messages from senders who are not members (each is refused once, then ignored).
    pub unknown_senders: u64,
    /// Senders who joined with the setup code or an invite code.
    pub joined: u64,
    /// Turns that failed with an error.
    pub failed_turns: u64,
    /// Messages whose turn a stop interrupted; the member was told instead of answered twice.
    pub interrupted_turns: u64,
    /// Model requests made.
    pub model_requests: u64,
    /// Model requests that failed.
    pub model_errors: u64,
    /// Scheduled notifications handed to a channel and accepted by it.
    pub notifications_sent: u64,
    /// Scheduled notifications a channel could not deliver (retried or given up by the
    /// scheduler).
    pub notifications_failed: u64,
    /// The median turn time over the last 1024 turns.
    pub turn_p50: Duration,
    /// The 99th percentile turn time over the last 1024 turns.
    pub turn_p99: Duration,
    /// The median model request time over the last 1024 requests.
    pub model_p50: Duration,
    /// The 99th percentile model request time over the last 1024 requests.
    pub model_p99: Duration,
    /// How late the last scheduled notification reached its channel, from the instant it was
    /// scheduled for.
    pub scheduler_lag: Duration,
    /// The largest such lateness so far.
    pub scheduler_lag_max: Duration,
}

impl MetricsSnapshot {
    /// The counters in the Prometheus text exposition format (version 0.0.4), every name
    /// prefixed `fa_`.
    pub fn to_prometheus(&self) -> String {
        let mut out = String::with_capacity(2048);
        let counters: [(&str, &str, u64); 14] = [
            (
                "fa_inbound_messages_total",
                "Messages received from channels.",
                self.inbound,
            ),
            ("fa_turns_total", "Turns answered.", self.turns),
            (
                "fa_offline_turns_total",
                "Turns answered while the model was offline.",
                self.offline_turns,
            ),
            (
                "fa_tool_calls_total",
                "Tool calls run or proposed.",
                self.tool_calls,
            ),
            (
                "fa_pending_actions_total",
                "Pending actions proposed.",
                self.pending_actions,
            ),
            (
                "fa_rate_limited_total",
                "Messages refused by the per-member rate limit.",
                self.rate_limited,
            ),
            (
                "fa_unknown_senders_total",
                "Messages from senders who are not members.",
                self.unknown_senders,
            ),
            (
                "fa_joined_total",
                "Senders who joined with a setup or invite code.",
                self.joined,
            ),
            (
                "fa_failed_turns_total",
                "Turns that failed.",
                self.failed_turns,
            ),
            (
                "fa_interrupted_turns_total",
                "Turns a stop interrupted (the member was told).",
                self.interrupted_turns,
            ),
            (
                "fa_model_requests_total",
                "Model requests made.",
                self.model_requests,
            ),
            (
                "fa_model_errors_total",
                "Model requests that failed.",
                self.model_errors,
            ),
            (
                "fa_notifications_sent_total",
                "Scheduled notifications delivered to a channel.",
                self.notifications_sent,
            ),
            (
                "fa_notifications_failed_total",
                "Scheduled notification deliveries that failed.",
                self.notifications_failed,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let summaries = [
            (
                "fa_turn_seconds",
                "Turn time over the last 1024 turns.",
                self.turn_p50,
                self.turn_p99,
            ),
            (
                "fa_model_request_seconds",
                "Model request time over the last 1024 requests.",
                self.model_p50,
                self.model_p99,
            ),
        ];
        for (name, help, p50, p99) in summaries {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} summary\n{name}{{quantile=\"0.5\"}} {}\n{name}{{quantile=\"0.99\"}} {}",
                p50.as_secs_f64(),
                p99.as_secs_f64()
            );
        }
        let gauges = [
            (
                "fa_scheduler_lag_seconds",
                "How late the last scheduled notification reached its channel.",
                self.scheduler_lag,
            ),
            (
                "fa_scheduler_lag_max_seconds",
                "The largest scheduler lateness so far.",
                self.scheduler_lag_max,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                value.as_secs_f64()
            );
        }
        out
    }
}

const WINDOW: usize = 1024;

/// The last [`WINDOW`] durations of something.
#[derive(Debug, Default)]
pub(crate) struct Window(Mutex<VecDeque<Duration>>);

impl Window {
    pub(crate) fn record(&self, took: Duration) {
        if let Ok(mut window) = self.0.lock() {
            if window.len() == WINDOW {
                window.pop_front();
            }
            window.push_back(took);
        }
    }

    /// The 50th and 99th percentiles.
    fn percentiles(&self) -> (Duration, Duration) {
        let mut all: Vec<Duration> = self
            .0
            .lock()
            .map(|l| l.iter().copied().collect())
            .unwrap_or_default();
        all.sort();
        let pick = |q: f64| {
            if all.is_empty() {
                Duration::ZERO
            } else {
                let i = ((all.len() - 1) as f64 * q).round() as usize;
                all[i.min(all.len() - 1)]
            }
        };
        (pick(0.5), pick(0.99))
    }
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) inbound: AtomicU64,
    pub(crate) turns: AtomicU64,
    pub(crate) offline_turns: AtomicU64,
    pub(crate) tool_calls: AtomicU64,
    pub(crate) pending_actions: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) unknown_senders: AtomicU64,
    pub(crate) joined: AtomicU64,
    pub(crate) failed_turns: AtomicU64,
    pub(crate) interrupted_turns: AtomicU64,
    pub(crate) model_requests: AtomicU64,
    pub(crate) model_errors: AtomicU64,
    pub(crate) notifications_sent: AtomicU64,
    pub(crate) notifications_failed: AtomicU64,
    /// Microseconds.
    pub(crate) scheduler_lag: AtomicU64,
    /// Microseconds.
    pub(crate) scheduler_lag_max: AtomicU64,
    pub(crate) turn_times: Window,
    pub(crate) model_times: Window,
}

impl Metrics {
    pub(crate) fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    pub(crate) fn record_latency(&self, took: Duration) {
        self.turn_times.record(took);
    }

    pub(crate) fn record_lag(&self, lag: Duration) {
        let micros = u64::try_from(lag.as_micros()).unwrap_or(u64::MAX);
        self.scheduler_lag.store(micros, Ordering::Relaxed);
        self.scheduler_lag_max.fetch_max(micros, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (turn_p50, turn_p99) = self.turn_times.percentiles();
        let (model_p50, model_p99) = self.model_times.percentiles();
        MetricsSnapshot {
            inbound: load(&self.inbound),
            turns: load(&self.turns),
            offline_turns: load(&self.offline_turns),
            tool_calls: load(&self.tool_calls),
            pending_actions: load(&self.pending_actions),
            rate_limited: load(&self.rate_limited),
            unknown_senders: load(&self.unknown_senders),
            joined: load(&self.joined),
            failed_turns: load(&self.failed_turns),
            interrupted_turns: load(&self.interrupted_turns),
            model_requests: load(&self.model_requests),
            model_errors: load(&self.model_errors),
            notifications_sent: load(&self.notifications_sent),
            notifications_failed: load(&self.notifications_failed),
            turn_p50,
            turn_p99,
            model_p50,
            model_p99,
            scheduler_lag: Duration::from_micros(load(&self.scheduler_lag)),
            scheduler_lag_max: Duration::from_micros(load(&self.scheduler_lag_max)),
        }
    }
}

/// A model whose requests are counted and timed in the engine's metrics.
#[derive(Debug)]
pub(crate) struct TimedModel {
    pub(crate) inner: DynModel,
    pub(crate) metrics: Arc<Metrics>,
}

impl TimedModel {
    fn finish<T>(&self, started: Instant, result: &Result<T, ModelError>) {
        Metrics::bump(&self.metrics.model_requests, 1);
        if result.is_err() {
            Metrics::bump(&self.metrics.model_errors, 1);
        }
        self.metrics.model_times.record(started.elapsed());
    }
}

#[async_trait]
impl LanguageModel for TimedModel {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn context_window(&self) -> u32 {
        self.inner.context_window()
    }

    async fn probe(&self) -> Result<ModelInfo, ModelError> {
        self.inner.probe().await
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ModelError> {
        let started = Instant::now();
        let result = self.inner.chat(request).await;
        self.finish(started, &result);
        result
    }

    async fn chat_stream(
        &self,
        request: ChatRequest,
        events: mpsc::Sender<StreamEvent>,
    ) -> Result<ChatResponse, ModelError> {
        let started = Instant::now();
        let result = self.inner.chat_stream(request, events).await;
        self.finish(started, &result);
        result
    }
}
