//! [`Notifier`]: how a runner hands a message to a channel, and how failed deliveries are retried.
//!
//! Delivery is separate from execution: a job's handler composes the message, the runner writes
//! it to the outbox, and only then calls the notifier. A transient failure is retried with
//! backoff from the outbox row; the handler does not run again.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Notification;

/// A channel that can send a notification to its member (Telegram, a push service, a test
/// double).
///
/// `notification.idempotency_key` is stable for one firing of one job. After a crash between
/// "sent" and "recorded" the runner delivers the same notification again with the same key; a
/// channel that remembers keys it has sent can drop the duplicate and answer [`Sent`].
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one notification.
    async fn deliver(&self, notification: &Notification) -> Result<Sent, DeliveryError>;
}

/// The channel accepted a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// The channel's id for the sent message, if it has one.
    pub message_id: Option<String>,
}

impl Sent {
    /// Sent, with the channel's message id.
    pub fn with_id(message_id: impl Into<String>) -> Self {
        Self {
            message_id: Some(message_id.into()),
        }
    }
}

/// Why a delivery failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {reason}")]
pub struct DeliveryError {
    /// Whether and when to retry.
    pub kind: DeliveryErrorKind,
    /// What the channel reported. Never message text.
    pub reason: String,
}

/// Whether a failed delivery is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryErrorKind {
    /// A network error, a timeout, a 5xx: retry with backoff.
    Transient,
    /// The channel asked to wait this long (e.g. Telegram's `retry_after`).
    RateLimited(Duration),
    /// Retrying cannot help (the member blocked the bot, the chat is gone).
    Permanent,
}

impl DeliveryError {
    /// A failure that may pass.
    pub fn transient(reason: impl Into<String>) -> Self {
        Self {
            kind: DeliveryErrorKind::Transient,
            reason: reason.into(),
        }
    }

    /// The channel asked to wait `retry_after`.
    pub fn rate_limited(retry_after: Duration, reason: impl Into<String>) -> Self {
        Self {
            kind: DeliveryErrorKind::RateLimited(retry_after),
            reason: reason.into(),
        }
    }

    /// A failure retrying cannot fix.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            kind: DeliveryErrorKind::Permanent,
            reason: reason.into(),
        }
    }
}

/// How failed deliveries are retried: exponential backoff from `first_delay`, doubling up to
/// `max_delay`, for at most `max_attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Wait after the first failure.
    pub first_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
    /// Attempts in all, the first included; then the notification is given up.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 5 s, 10 s, 20 s, … up to 1 h between attempts; 10 attempts (about 1 h 25 min in all).
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3_600),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// Waits from `first_delay`, doubling up to `max_delay`, for at most `max_attempts`
    /// attempts (at least 1).
    pub fn new(first_delay: Duration, max_delay: Duration, max_attempts: u32) -> Self {
        Self {
            first_delay,
            max_delay,
            max_attempts: max_attempts.max(1),
        }
    }

    /// When to try again after failed attempt number `attempt` (1-based) at `now`, or `None`
    /// when no attempt is left. A rate limit's own wait wins when it is longer.
    pub fn retry_at(
        &self,
        attempt: u32,
        now: DateTime<Utc>,
        kind: DeliveryErrorKind,
    ) -> Option<DateTime<Utc>> {
        let wait = match kind {
            DeliveryErrorKind::Permanent => return None,
            _ if attempt >= self.max_attempts => return None,
            DeliveryErrorKind::Transient => self.backoff(attempt),
            DeliveryErrorKind::RateLimited(asked) => asked.max(self.backoff(attempt)),
        };
        // Never "now": a retry due at once would be claimed again in the same tick.
        let wait = wait.max(Duration::from_millis(1));
        let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        Some(
            now.checked_add_signed(wait)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_then_gives_up() {
        let policy = RetryPolicy {
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(30),
            max_attempts: 5,
        };
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let waits: Vec<i64> = (1..=4)
            .map(|n| {
                let at = policy
                    .retry_at(n, now, DeliveryErrorKind::Transient)
                    .unwrap();
                (at - now).num_seconds()
            })
            .collect();
        assert_eq!(waits, [5, 10, 20, 30]);
        assert_eq!(policy.retry_at(5, now, DeliveryErrorKind::Transient), None);
    }

    #[test]
    fn permanent_failures_are_not_retried_and_rate_limits_wait_as_asked() {
        let policy = RetryPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(policy.retry_at(1, now, DeliveryErrorKind::Permanent), None);
        let at = policy
            .retry_at(
                1,
                now,
                DeliveryErrorKind::RateLimited(Duration::from_secs(42)),
            )
            .unwrap();
        assert_eq!((at - now).num_seconds(), 42);
    }
}
