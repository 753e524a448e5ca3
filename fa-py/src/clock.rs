//! `ManualClock`: time that moves only when a script or test says so.

use std::sync::Arc;

use fa_core::Clock;
use pyo3::prelude::*;

use crate::convert::{instant, seconds};

/// A clock standing still until moved; share one between a store, a scheduler and an assistant
/// to drive time in tests.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct ManualClock {
    pub(crate) inner: Arc<fa_core::ManualClock>,
}

#[pymethods]
impl ManualClock {
    #[new]
    fn new(start: &str) -> PyResult<Self> {
        Ok(Self {
            inner: Arc::new(fa_core::ManualClock::new(instant("start", start)?)),
        })
    }

    /// Now, as RFC 3339 text.
    fn now(&self) -> String {
        self.inner.now().to_rfc3339()
    }

    /// Moves the clock to an instant (RFC 3339).
    fn set(&self, to: &str) -> PyResult<()> {
        self.inner.set(instant("to", to)?);
        Ok(())
    }

    /// Moves the clock forward by `secs` seconds.
    fn advance(&self, secs: f64) -> PyResult<()> {
        let by = chrono::Duration::from_std(seconds("by", secs)?)
            .map_err(|e| pyo3::exceptions::PyOverflowError::new_err(e.to_string()))?;
        self.inner.advance(by);
        Ok(())
    }
}

/// The clock a component should use: the manual one given, or the system's.
pub(crate) fn clock_or_system(clock: Option<&Bound<'_, ManualClock>>) -> Arc<dyn Clock> {
    match clock {
        Some(clock) => clock.get().inner.clone(),
        None => Arc::new(fa_core::SystemClock),
    }
}
