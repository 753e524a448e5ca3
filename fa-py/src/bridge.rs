//! Rust futures as asyncio awaitables.
//!
//! [`future`] returns an `asyncio.Future` of the running loop. The Rust future is polled once
//! right away, with the GIL released: if it is ready (no I/O to wait for) the Python future is
//! complete before it is returned, and awaiting it costs no thread hand-off at all. Otherwise it
//! is spawned on fa's runtime; when it finishes, the runtime thread takes the GIL just long
//! enough to convert the result and hand it to the loop with `call_soon_threadsafe`.
//!
//! Cancelling the Python future (or the task awaiting it) aborts the spawned task, which drops
//! the Rust future and so cancels the work: an HTTP request under way is abandoned, a
//! transaction not yet committed is rolled back. A panic in the Rust future becomes a
//! `RuntimeError`, never a future that stays pending forever.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use pyo3::{IntoPyObjectExt, intern};

use crate::runtime::{InFlight, runtime};

type Boxed<T> = Pin<Box<dyn Future<Output = PyResult<T>> + Send>>;

tokio::task_local! {
    /// The event loop that awaits the Rust work being polled: Python callbacks made by that
    /// work run their coroutines on it (see `callback.rs`).
    pub(crate) static EVENT_LOOP: Arc<Py<PyAny>>;
}

/// `asyncio.get_running_loop`, looked up once.
fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let get = GET_RUNNING_LOOP.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
    })?;
    get.bind(py).call0()
}

/// The running event loop of the calling thread, if it has one, as `EVENT_LOOP` holds it.
pub(crate) fn current_loop(py: Python<'_>) -> Option<Arc<Py<PyAny>>> {
    running_loop(py).ok().map(|l| Arc::new(l.unbind()))
}

/// `_callbacks.settle(future, ok, value)`: sets the result or exception unless the future is
/// done (cancelled meanwhile).
fn settle(py: Python<'_>) -> PyResult<&Py<PyAny>> {
    static SETTLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    SETTLE.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("family_assistant._callbacks")?
                .getattr("settle")?
                .unbind(),
        )
    })
}

/// Polls `future` once with a waker that does nothing, inside the runtime's context.
fn poll_once<T>(future: &mut Boxed<T>) -> Poll<PyResult<T>> {
    let mut cx = Context::from_waker(Waker::noop());
    let _entered = runtime().map(|r| r.enter());
    match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
        Ok(poll) => poll,
        Err(panic) => Poll::Ready(Err(panicked(&panic))),
    }
}

fn panicked(panic: &(dyn std::any::Any + Send)) -> PyErr {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    PyRuntimeError::new_err(format!("fa failed unexpectedly (a Rust panic): {message}"))
}

/// Drives a boxed future and catches a panic in any of its polls.
struct CatchUnwind<T>(Boxed<T>);

impl<T> Future for CatchUnwind<T> {
    type Output = PyResult<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<PyResult<T>> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(panic) => Poll::Ready(Err(panicked(&panic))),
        }
    }
}

/// An `asyncio.Future` on the running loop for `work`'s result.
pub(crate) fn future<'py, T, F>(py: Python<'py>, work: F) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: Future<Output = PyResult<T>> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    let py_future = event_loop.call_method0(intern!(py, "create_future"))?;
    let scope = Arc::new(event_loop.clone().unbind());
    let mut work: Boxed<T> = Box::pin(EVENT_LOOP.scope(scope, work));
    if let Poll::Ready(result) = py.detach(|| poll_once(&mut work)) {
        match result {
            Ok(value) => py_future.call_method1(intern!(py, "set_result"), (value,))?,
            Err(error) => {
                py_future.call_method1(intern!(py, "set_exception"), (error.into_value(py),))?
            }
        };
        return Ok(py_future);
    }
    let target = (event_loop.unbind(), py_future.clone().unbind());
    let in_flight = InFlight::start();
    let task = runtime()?.spawn(async move {
        let _in_flight = in_flight;
        let result = CatchUnwind(work).await;
        let (event_loop, py_future) = target;
        Python::attach(|py| {
            let (ok, value) = match result.and_then(|v| v.into_py_any(py)) {
                Ok(value) => (true, value),
                Err(error) => (false, error.into_value(py).into_any()),
            };
            let handed = settle(py).and_then(|settle| {
                event_loop.bind(py).call_method1(
                    intern!(py, "call_soon_threadsafe"),
                    (settle, py_future, ok, value),
                )
            });
            // The loop is closed: nobody is waiting for this result any more.
            drop(handed);
        });
    });
    let abort = task.abort_handle();
    let on_done = PyCFunction::new_closure(py, None, None, move |args, _kwargs| {
        let cancelled = args
            .get_item(0)
            .and_then(|f| f.call_method0("cancelled"))
            .and_then(|c| c.extract::<bool>())
            .unwrap_or(false);
        if cancelled {
            abort.abort();
        }
    })?;
    py_future.call_method1(intern!(py, "add_done_callback"), (on_done,))?;
    Ok(py_future)
}
