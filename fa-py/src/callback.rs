//! Calling Python from fa: tools, job kinds and notifiers written in Python.
//!
//! A callable is held as `Arc<Py<PyAny>>`, cloned without the GIL. It is called on a blocking
//! thread (never on a runtime worker, never under a Rust lock), which takes the GIL only for the
//! call and the conversion of its argument and result. Coroutine functions are run by the
//! Python package on the event loop that awaits the Rust call (see `_callbacks.py`), so here
//! every callable is synchronous.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyType;

/// A Python callable taking one JSON-like argument.
#[derive(Clone)]
pub(crate) struct PyCallable(Arc<Py<PyAny>>);

/// What a Python callable raised, read while the GIL was held.
#[derive(Debug, Clone)]
pub(crate) struct CallError {
    /// `ExceptionClass: message`.
    pub message: String,
    /// It was `family_assistant.InvalidInput` (or a `ValueError`/`TypeError`).
    pub invalid: bool,
    /// It asked not to be retried (`DeliveryFailed(permanent=True)`).
    pub permanent: bool,
    /// It asked to be retried after this many seconds (`RateLimited`, `DeliveryFailed`).
    pub retry_after: Option<f64>,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl PyCallable {
    pub(crate) fn new(callable: Py<PyAny>) -> Self {
        Self(Arc::new(callable))
    }

    /// Calls it with `argument` (as dicts and lists) and reads its result back as JSON.
    pub(crate) async fn call(
        &self,
        argument: serde_json::Value,
    ) -> Result<serde_json::Value, CallError> {
        let callable = self.0.clone();
        let joined = tokio::task::spawn_blocking(move || {
            Python::attach(|py| {
                let run = || -> PyResult<serde_json::Value> {
                    let argument = pythonize::pythonize(py, &argument)?;
                    let result = callable.bind(py).call1((argument,))?;
                    Ok(pythonize::depythonize(&result)?)
                };
                run().map_err(|e| describe(py, &e))
            })
        })
        .await;
        joined.unwrap_or_else(|e| {
            Err(CallError {
                message: format!("the Python callback did not finish: {e}"),
                invalid: false,
                permanent: false,
                retry_after: None,
            })
        })
    }
}

fn describe(py: Python<'_>, error: &PyErr) -> CallError {
    let value = error.value(py);
    let class = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".to_owned());
    let text = value.str().map(|s| s.to_string()).unwrap_or_default();
    let is = |module: &str, name: &str| {
        py.import(module)
            .and_then(|m| m.getattr(name))
            .and_then(|c| Ok(c.cast_into::<PyType>()?))
            .map(|c| value.is_instance(&c).unwrap_or(false))
            .unwrap_or(false)
    };
    let invalid = is("family_assistant.errors", "InvalidInput")
        || is("builtins", "ValueError")
        || is("builtins", "TypeError");
    let attr = |name: &str| value.getattr(name).ok().filter(|v| !v.is_none());
    CallError {
        message: if text.is_empty() {
            class
        } else {
            format!("{class}: {text}")
        },
        invalid,
        permanent: attr("permanent")
            .and_then(|v| v.extract::<bool>().ok())
            .unwrap_or(false),
        retry_after: attr("retry_after").and_then(|v| v.extract::<f64>().ok()),
    }
}
