//! The per-member rate limit (governor's GCRA), on fa's [`Clock`](crate::Clock) so tests drive it.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::{Clock, MemberId};

/// fa's clock as governor's: nanoseconds since the Unix epoch (a clock set backwards reads as
/// no time passing, which governor's saturating arithmetic expects).
#[derive(Clone)]
struct FaClock(Arc<dyn Clock>);

impl GovernorClock for FaClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let nanos = self.0.now().timestamp_nanos_opt().unwrap_or(0);
        Nanos::from(u64::try_from(nanos).unwrap_or(0))
    }
}

/// How many messages a member may send: `per_minute` on average, in bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Messages per minute, sustained.
    pub per_minute: NonZeroU32,
    /// Messages allowed at once.
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// A limit of `per_minute` with bursts of `burst` (zero is read as one).
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute: NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        }
    }
}

impl Default for RateLimit {
    /// 20 a minute, bursts of 5.
    fn default() -> Self {
        Self::new(20, 5)
    }
}

pub(crate) struct MemberLimiter {
    limiter: RateLimiter<MemberId, HashMapStateStore<MemberId>, FaClock, NoOpMiddleware<Nanos>>,
}

impl MemberLimiter {
    pub(crate) fn new(limit: RateLimit, clock: Arc<dyn Clock>) -> Self {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self {
            limiter: RateLimiter::hashmap_with_clock(quota, FaClock(clock)),
        }
    }

    /// Whether the member may send one more message now.
    pub(crate) fn allow(&self, member: MemberId) -> bool {
        self.limiter.check_key(&member).is_ok()
    }
}
