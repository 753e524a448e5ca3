//! `FaError`: the one error the UniFFI bindings throw. fa-core's errors, model errors and the
//! app's callback failures become one here; `fa-ffi` adds the Telegram bot's errors.

use std::time::Duration;

use crate::ErrorKind;
use crate::llm::{ModelError, ModelErrorKind};

/// What went wrong, by what the app can do about it. Each variant's `reason` is fa's own
/// message, which says what to do; none carries a secret.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FaError {
    /// A server or the database could not be reached, or timed out: try again later.
    #[error("network: {reason}")]
    Network {
        /// What could not be reached.
        reason: String,
    },
    /// Credentials were refused (a token, a key, a login signature): fix them first.
    #[error("not authorized: {reason}")]
    Auth {
        /// What was refused.
        reason: String,
    },
    /// Too many requests: try again after `retry_after` (when the server said).
    #[error("rate limited: {reason}")]
    RateLimited {
        /// Who limited it.
        reason: String,
        /// How long to wait, when known.
        retry_after: Option<Duration>,
    },
    /// An argument was refused; the reason names it and says what is accepted.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// Which argument, and why.
        reason: String,
    },
    /// What was asked for does not exist (or is in another household).
    #[error("not found: {reason}")]
    NotFound {
        /// What was missing.
        reason: String,
    },
    /// The call conflicts with the current state (already running, already used, changed
    /// meanwhile).
    #[error("conflict: {reason}")]
    Conflict {
        /// What it conflicts with.
        reason: String,
    },
    /// Anything else: a corrupt database, a schema newer than this library, a bug.
    #[error("{reason}")]
    Other {
        /// What happened.
        reason: String,
    },
}

impl FaError {
    /// `InvalidInput` naming the argument at fault.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        FaError::InvalidInput {
            reason: format!("{field}: {reason}"),
        }
    }
}

impl From<crate::Error> for FaError {
    fn from(error: crate::Error) -> Self {
        let reason = error.to_string();
        match error.kind() {
            ErrorKind::InvalidInput | ErrorKind::Configuration => FaError::InvalidInput { reason },
            ErrorKind::NotFound => FaError::NotFound { reason },
            ErrorKind::Conflict => FaError::Conflict { reason },
            ErrorKind::Unavailable => FaError::Network { reason },
            ErrorKind::Crypto => FaError::Auth { reason },
            _ => FaError::Other { reason },
        }
    }
}

impl From<ModelError> for FaError {
    fn from(error: ModelError) -> Self {
        let retry_after = error.retry_after();
        let reason = error.to_string();
        match error.kind() {
            ModelErrorKind::Unreachable | ModelErrorKind::Timeout | ModelErrorKind::ServerError => {
                FaError::Network { reason }
            }
            ModelErrorKind::RateLimited => FaError::RateLimited {
                reason,
                retry_after,
            },
            ModelErrorKind::ModelNotFound => FaError::NotFound { reason },
            ModelErrorKind::ToolsUnsupported => FaError::InvalidInput { reason },
            ModelErrorKind::Rejected => FaError::Auth { reason },
            _ => FaError::Other { reason },
        }
    }
}

/// What host code threw that was not a `FaError` (a Kotlin `RuntimeException`, a Python
/// `ValueError`): kept as `Other` with its text.
impl From<uniffi::UnexpectedUniFFICallbackError> for FaError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FaError::Other {
            reason: format!("the app's callback failed: {}", error.reason),
        }
    }
}

/// A task of fa's runtime that ended without an answer (it panicked or was cancelled).
impl From<tokio::task::JoinError> for FaError {
    fn from(error: tokio::task::JoinError) -> Self {
        FaError::Other {
            reason: format!("the call did not finish: {error}"),
        }
    }
}
