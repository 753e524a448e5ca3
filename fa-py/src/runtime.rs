//! fa's Tokio runtime under Python, and a clean exit.
//!
//! Results reach Python from runtime threads that take the GIL for a moment (see
//! [`bridge`](crate::bridge)). If the interpreter started finalizing while one of them held it,
//! CPython would abort ("PyGILState_Release: thread state must be current"). So the package
//! registers [`shutdown`] with `atexit`: it stops the background work started from Python
//! (runners, bots) and waits, with the GIL released, until no task is left on the runtime.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio::sync::watch;

/// Stop signals of background work started from Python.
static BACKGROUND: Mutex<Vec<watch::Sender<bool>>> = Mutex::new(Vec::new());

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The runtime, built on first use: a worker per core, named threads.
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("fa-py")
                .build()
                .map_err(|e| format!("cannot start fa's runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(e.clone()))
}

/// Work spawned for Python whose result has not yet been handed over.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts one piece of work as in flight until dropped (after its result reached Python, or
/// when it was cancelled).
pub(crate) struct InFlight(());

impl InFlight {
    pub(crate) fn start() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        Self(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The event loop of the latest background work started from Python (a runner, a bot), for
/// callbacks made by tasks that work spawned (they do not inherit the awaiting loop).
static BACKGROUND_LOOP: Mutex<Option<Arc<Py<PyAny>>>> = Mutex::new(None);

/// Remembers the loop background work was started from.
pub(crate) fn set_background_loop(event_loop: Arc<Py<PyAny>>) {
    *BACKGROUND_LOOP.lock().unwrap_or_else(|e| e.into_inner()) = Some(event_loop);
}

/// The loop of the latest background work, if any.
pub(crate) fn background_loop() -> Option<Arc<Py<PyAny>>> {
    BACKGROUND_LOOP
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Remembers a stop signal so that [`shutdown`] can send it.
pub(crate) fn register_background(stop: watch::Sender<bool>) {
    let mut background = BACKGROUND.lock().unwrap_or_else(|e| e.into_inner());
    background.retain(|s| !s.is_closed());
    background.push(stop);
}

/// Stops background work and waits (at most `timeout` seconds, the GIL released) until no
/// work spawned for Python is left: every result has then been handed over, and no runtime
/// thread is about to take the GIL. (Pools' housekeeping tasks are not waited for: they never
/// call Python.)
#[pyfunction]
#[pyo3(signature = (timeout = 2.0))]
pub(crate) fn shutdown(py: Python<'_>, timeout: f64) {
    let stops: Vec<_> = BACKGROUND
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .drain(..)
        .collect();
    for stop in stops {
        stop.send_replace(true);
    }
    py.detach(|| {
        let deadline = Instant::now() + Duration::try_from_secs_f64(timeout).unwrap_or_default();
        while IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}
