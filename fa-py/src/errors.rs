//! The one place where Rust errors become Python exceptions. The exception classes live in
//! `family_assistant/errors.py`; each error is raised as the class for its kind, with the
//! message Rust wrote (which says what to do).

use std::time::Duration;

use fa_core::ErrorKind;
use fa_core::llm::{ModelError, ModelErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The Python class called `name` in `family_assistant.errors`.
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let module = MODULE.get_or_try_init(py, || {
        py.import("family_assistant.errors").map(Bound::unbind)
    })?;
    Ok(module.bind(py).getattr(name)?.cast_into::<PyType>()?)
}

/// Builds the exception; when the package's classes cannot be loaded, a `RuntimeError` with the
/// same message.
pub(crate) fn raise(name: &'static str, message: String, retry_after: Option<Duration>) -> PyErr {
    Python::attach(|py| match class(py, name) {
        Ok(cls) => {
            let secs = retry_after.map(|d| d.as_secs_f64());
            match cls.call1((message.clone(), secs)) {
                Ok(instance) => PyErr::from_value(instance),
                Err(e) => e,
            }
        }
        Err(_) => pyo3::exceptions::PyRuntimeError::new_err(message),
    })
}

/// The exception class for an error kind of `fa-core`.
fn core_class(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidInput => "InvalidInput",
        ErrorKind::NotFound => "NotFound",
        ErrorKind::Conflict => "Conflict",
        ErrorKind::Unavailable => "Unavailable",
        ErrorKind::Incompatible => "Incompatible",
        ErrorKind::Corrupt => "Corrupt",
        ErrorKind::Crypto => "CryptoError",
        ErrorKind::Configuration => "ConfigurationError",
        _ => "InternalError",
    }
}

/// `InvalidInput` naming the argument at fault: the one way the bindings refuse a value.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> PyErr {
    to_py(fa_core::Error::InvalidInput {
        field,
        reason: reason.into(),
    })
}

/// The exception for an error of `fa-core`.
pub(crate) fn to_py(error: fa_core::Error) -> PyErr {
    raise(core_class(error.kind()), error.to_string(), None)
}

/// The exception for a model error.
pub(crate) fn model_to_py(error: ModelError) -> PyErr {
    let name = match error.kind() {
        ModelErrorKind::Unreachable | ModelErrorKind::Timeout | ModelErrorKind::ServerError => {
            "Unavailable"
        }
        ModelErrorKind::RateLimited => "RateLimited",
        ModelErrorKind::ModelNotFound => "NotFound",
        ModelErrorKind::ToolsUnsupported => "InvalidInput",
        ModelErrorKind::Rejected => "Unauthorized",
        _ => "InternalError",
    };
    raise(name, error.to_string(), error.retry_after())
}

/// The exception for an error starting or running the Telegram bot.
pub(crate) fn bot_to_py(error: fa_telegram::bot::BotError) -> PyErr {
    use fa_telegram::ApiErrorKind;
    use fa_telegram::bot::BotError;
    let (name, retry_after) = match &error {
        BotError::Config(_) => ("ConfigurationError", None),
        BotError::Core(e) => (core_class(e.kind()), None),
        BotError::Telegram(api) => match &api.kind {
            ApiErrorKind::Unauthorized(_) => ("Unauthorized", None),
            ApiErrorKind::RetryAfter(after) => ("RateLimited", Some(*after)),
            ApiErrorKind::Network(_) | ApiErrorKind::Server { .. } => ("Unavailable", None),
            ApiErrorKind::BadRequest(_) => ("InvalidInput", None),
            _ => ("InternalError", None),
        },
        _ => ("ConfigurationError", None),
    };
    raise(name, error.to_string(), retry_after)
}
