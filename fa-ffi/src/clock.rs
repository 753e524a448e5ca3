//! `ManualClock`: time that moves only when the app (a test) says so.

use std::sync::Arc;
use std::time::Duration;

use fa_core::Clock;
use fa_core::ffi::UtcTime;

use crate::error::{FaError, Result};

/// A clock standing still until moved. Give the same one to a store, its scheduler and an
/// assistant to drive reminders in tests without waiting.
#[derive(Debug, uniffi::Object)]
pub struct ManualClock {
    pub(crate) inner: Arc<fa_core::ManualClock>,
}

#[uniffi::export]
impl ManualClock {
    /// A clock reading `start`.
    #[uniffi::constructor]
    pub fn new(start: UtcTime) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::new(fa_core::ManualClock::new(start)),
        })
    }

    /// What it reads.
    pub fn now(&self) -> UtcTime {
        self.inner.now()
    }

    /// Moves it to `to` (forward or back).
    pub fn set(&self, to: UtcTime) {
        self.inner.set(to);
    }

    /// Moves it forward by `by`.
    pub fn advance(&self, by: Duration) -> Result<()> {
        let by = chrono::Duration::from_std(by).map_err(|e| FaError::invalid("by", e))?;
        self.inner.advance(by);
        Ok(())
    }
}

/// The clock to use: the manual one given, or the system's.
pub(crate) fn clock_or_system(clock: Option<Arc<ManualClock>>) -> Arc<dyn Clock> {
    match clock {
        Some(clock) => clock.inner.clone(),
        None => Arc::new(fa_core::SystemClock),
    }
}
