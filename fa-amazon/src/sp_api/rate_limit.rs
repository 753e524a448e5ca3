//! Per-operation token buckets, seeded from the rates Amazon publishes in each API model's
//! usage plan and updated from the `x-amzn-RateLimit-Limit` header it sends (best effort, on
//! 2xx, 400 and 404 answers only).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fa_core::Clock;

/// Published default usage plans: (operation, requests per second, burst).
/// Sources: the "Usage Plan" tables in `models/orders-api-model/ordersV0.json`,
/// `models/reports-api-model/reports_2021-06-30.json` and
/// `models/notifications-api-model/notifications.json` (amzn/selling-partner-api-models).
pub const PUBLISHED_RATES: &[(&str, f64, f64)] = &[
    ("getOrders", 0.0167, 20.0),
    ("getOrder", 0.5, 30.0),
    ("getOrderItems", 0.5, 30.0),
    ("createReport", 0.0167, 15.0),
    ("getReport", 2.0, 15.0),
    ("getReportDocument", 0.0167, 15.0),
    ("createDestination", 1.0, 5.0),
    ("getDestinations", 1.0, 5.0),
    ("createSubscription", 1.0, 5.0),
    ("getSubscription", 1.0, 5.0),
    ("deleteSubscriptionById", 1.0, 5.0),
    // Not in Amazon's model; the rate other clients use.
    ("getItemReviewTopics", 1.0, 5.0),
];

/// The plan for operations not in [`PUBLISHED_RATES`].
const FALLBACK: (f64, f64) = (1.0, 5.0);

/// A token bucket: `burst` tokens, refilled at `rate` per second. Pure: the caller passes the
/// instant.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    updated: DateTime<Utc>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: f64, now: DateTime<Utc>) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            FALLBACK.0
        };
        let burst = burst.max(1.0);
        Self {
            rate,
            burst,
            tokens: burst,
            updated: now,
        }
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Tokens available at `now`.
    pub fn available(&mut self, now: DateTime<Utc>) -> f64 {
        self.refill(now);
        self.tokens
    }

    /// Takes a token, or says how long until one is there.
    pub fn try_take(&mut self, now: DateTime<Utc>) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }

    /// Amazon said it is throttling: the bucket is empty now.
    pub fn drain(&mut self, now: DateTime<Utc>) {
        self.refill(now);
        self.tokens = 0.0;
    }

    /// Adopts the rate Amazon reported for this seller and operation.
    pub fn set_rate(&mut self, rate: f64, now: DateTime<Utc>) {
        if rate.is_finite() && rate > 0.0 {
            self.refill(now);
            self.rate = rate;
        }
    }

    /// How long one token takes to come back.
    pub fn token_interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.rate)
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        let elapsed = (now - self.updated).to_std().unwrap_or_default();
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.rate).min(self.burst);
        self.updated = self.updated.max(now);
    }
}

/// The buckets of every operation of one seller, shared by the client's calls.
#[derive(Debug, Clone)]
pub struct RateLimits {
    clock: Arc<dyn Clock>,
    buckets: Arc<Mutex<HashMap<&'static str, TokenBucket>>>,
}

impl RateLimits {
    /// Buckets on `clock`, seeded from [`PUBLISHED_RATES`] as operations are first used.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            buckets: Arc::default(),
        }
    }

    fn with<R>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut TokenBucket, DateTime<Utc>) -> R,
    ) -> R {
        let now = self.clock.now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(operation).or_insert_with(|| {
            let (rate, burst) = PUBLISHED_RATES
                .iter()
                .find(|(name, _, _)| *name == operation)
                .map(|(_, rate, burst)| (*rate, *burst))
                .unwrap_or(FALLBACK);
            TokenBucket::new(rate, burst, now)
        });
        f(bucket, now)
    }

    /// Waits (on the clock) until `operation` may be called, and takes its token.
    pub async fn acquire(&self, operation: &'static str) {
        loop {
            match self.with(operation, |bucket, now| bucket.try_take(now)) {
                Ok(()) => return,
                Err(wait) => {
                    let deadline = self.clock.now()
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(1));
                    fa_core::sleep_until(self.clock.as_ref(), deadline).await;
                }
            }
        }
    }

    /// Amazon throttled `operation`; returns how long one token takes to come back.
    pub fn throttled(&self, operation: &'static str) -> Duration {
        self.with(operation, |bucket, now| {
            bucket.drain(now);
            bucket.token_interval()
        })
    }

    /// Adopts a rate from an `x-amzn-RateLimit-Limit` header value.
    pub fn observe_header(&self, operation: &'static str, value: &str) {
        if let Ok(rate) = value.trim().parse::<f64>() {
            self.with(operation, |bucket, now| bucket.set_rate(rate, now));
        }
    }

    /// The rate in force for `operation`.
    pub fn rate(&self, operation: &'static str) -> f64 {
        self.with(operation, |bucket, _| bucket.rate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_bucket_spends_its_burst_then_refills_at_its_rate() {
        // getOrders: 0.0167/s, burst 20.
        let mut bucket = TokenBucket::new(0.0167, 20.0, at(0));
        for _ in 0..20 {
            assert!(bucket.try_take(at(0)).is_ok());
        }
        let wait = bucket.try_take(at(0)).unwrap_err();
        assert!((wait.as_secs_f64() - 1.0 / 0.0167).abs() < 0.01, "{wait:?}");
        assert!(bucket.try_take(at(59)).is_err());
        assert!(bucket.try_take(at(60)).is_ok());
        // Never more than the burst, however long it rested.
        assert!((bucket.available(at(1_000_000)) - 20.0).abs() < 1e-9);
    }

    #[test]
    fn the_reported_rate_replaces_the_published_one() {
        let mut bucket = TokenBucket::new(0.5, 1.0, at(0));
        assert!(bucket.try_take(at(0)).is_ok());
        bucket.set_rate(2.0, at(0));
        assert_eq!(
            bucket.try_take(at(0)).unwrap_err(),
            Duration::from_millis(500)
        );
        bucket.set_rate(f64::NAN, at(0));
        assert_eq!(bucket.rate(), 2.0);
        bucket.drain(at(10));
        assert_eq!(
            bucket.try_take(at(10)).unwrap_err(),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn operations_have_their_own_buckets() {
        let clock = Arc::new(fa_core::ManualClock::new(at(0)));
        let limits = RateLimits::new(clock);
        assert_eq!(limits.rate("getOrders"), 0.0167);
        assert_eq!(limits.rate("getOrder"), 0.5);
        let interval = limits.throttled("getOrders");
        assert!((interval.as_secs_f64() - 59.88).abs() < 0.01);
        limits.observe_header("getOrder", "2.5");
        assert_eq!(limits.rate("getOrder"), 2.5);
        assert_eq!(limits.rate("getOrders"), 0.0167);
        limits.observe_header("getOrder", "not a number");
        assert_eq!(limits.rate("getOrder"), 2.5);
    }
}
