//! fa's Tokio runtime under Python, and a clean exit.
//!
//! Results reach Python from runtime threads that take the GIL for a moment. If the interpreter
//! starts finalizing while one of them holds it, CPython aborts ("PyGILState_Release: thread
//! state must be current"). So the package registers [`shutdown`] with `atexit`: it stops the
//! background work started from Python (runners, bots) and waits, with the GIL released, until
//! the runtime has nothing left in flight.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::sync::watch;

/// Stop signals of background work started from Python.
static BACKGROUND: Mutex<Vec<watch::Sender<bool>>> = Mutex::new(Vec::new());

/// Builds the runtime the first time it is needed: all cores, named threads.
pub(crate) fn init() {
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all().thread_name("fa-py");
    pyo3_async_runtimes::tokio::init(runtime);
}

/// Remembers a stop signal so that [`shutdown`] can send it.
pub(crate) fn register_background(stop: watch::Sender<bool>) {
    let mut background = BACKGROUND.lock().unwrap_or_else(|e| e.into_inner());
    background.retain(|s| !s.is_closed());
    background.push(stop);
}

/// Stops background work and waits (at most `timeout` seconds, the GIL released) until no task
/// is left on the runtime, then a moment more for results being handed to Python.
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
        let metrics = pyo3_async_runtimes::tokio::get_runtime().metrics();
        let deadline = Instant::now() + Duration::try_from_secs_f64(timeout).unwrap_or_default();
        while metrics.num_alive_tasks() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        // A finished task may have handed its result to a blocking thread that is taking the
        // GIL right now; give it the moment it needs.
        std::thread::sleep(Duration::from_millis(20));
    });
}
