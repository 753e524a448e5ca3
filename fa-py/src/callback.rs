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

    /// Calls it with `argument` (as dicts and lists) and the event loop that awaits the work
    /// making the call (or `None`), and reads its result back as JSON. Dropping the returned
    /// future does not interrupt a callback already running: it finishes, and its result is
    /// dropped.
    pub(crate) async fn call(
        &self,
        argument: serde_json::Value,
    ) -> Result<serde_json::Value, CallError> {
        let callable = self.0.clone();
        // The loop awaiting this work; in tasks that background work (a bot's turns, a runner's
        // deliveries) spawned, the loop that started it.
        let event_loop = crate::bridge::EVENT_LOOP
            .try_with(Arc::clone)
            .ok()
            .or_else(crate::runtime::background_loop);
        let joined = tokio::task::spawn_blocking(move || {
            Python::attach(|py| {
                let run = || -> PyResult<serde_json::Value> {
                    let argument = pythonize::pythonize(py, &argument)?;
                    let event_loop = event_loop.as_ref().map(|l| l.bind(py).clone());
                    let result = callable.bind(py).call1((argument, event_loop))?;
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
        message: redact(&if text.is_empty() {
            class
        } else {
            format!("{class}: {text}")
        }),
        invalid,
        permanent: attr("permanent")
            .and_then(|v| v.extract::<bool>().ok())
            .unwrap_or(false),
        retry_after: attr("retry_after").and_then(|v| v.extract::<f64>().ok()),
    }
}

/// The longest callback error text fa keeps (it is stored with the occurrence or delivery,
/// logged, and for tools shown to the model).
const MAX_ERROR_CHARS: usize = 500;

/// Callback error text with what looks like a secret taken out: the user-info part of URLs
/// (`https://user:password@host`) and Telegram bot tokens (`bot123456:ABC…`, as in Bot API
/// URLs that HTTP libraries put in their exceptions). Capped at [`MAX_ERROR_CHARS`].
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_ERROR_CHARS + 4));
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(userinfo) => {
                out.push_str("***");
                out.push_str(&authority[userinfo..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    let out = redact_bot_tokens(&out);
    match out.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

/// `bot<digits>:<token>` becomes `bot<digits>:***`.
fn redact_bot_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("bot") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        let after = &tail[digits..];
        if digits > 0 && after.starts_with(':') {
            let token = after[1..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
                .count();
            out.push_str(&tail[..digits]);
            out.push_str(":***");
            rest = &after[1 + token..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_callback_errors_are_taken_out() {
        let text = "HTTPError: 401 for url: https://api.telegram.org/bot123456:AAE-x_9/sendMessage";
        assert_eq!(
            redact(text),
            "HTTPError: 401 for url: https://api.telegram.org/bot123456:***/sendMessage"
        );
        assert_eq!(
            redact("cannot connect to postgres://fa:hunter2@db:5432/fa"),
            "cannot connect to postgres://***@db:5432/fa"
        );
        assert_eq!(
            redact("robot 7 says: bot7 is fine"),
            "robot 7 says: bot7 is fine"
        );
        assert_eq!(
            redact(&"x".repeat(600)).chars().count(),
            MAX_ERROR_CHARS + 1
        );
    }
}
