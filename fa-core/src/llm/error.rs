//! [`ModelError`]: what went wrong talking to a model, with a `kind()` to branch on.

use std::time::Duration;

/// The class of a [`ModelError`]: what the assistant does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum ModelErrorKind {
    /// The server could not be reached (connection refused, DNS, TLS).
    Unreachable,
    /// The server did not answer in time.
    Timeout,
    /// The server is overloaded or rate limiting; retry later.
    RateLimited,
    /// The server failed (5xx).
    ServerError,
    /// The model does not exist on the server; the message says how to get it.
    ModelNotFound,
    /// The model cannot call tools; the message suggests models that can.
    ToolsUnsupported,
    /// The server refused the request (authentication, a bad parameter).
    Rejected,
    /// The answer could not be read.
    BadResponse,
}

/// An error from a [`LanguageModel`](super::LanguageModel) or a transcriber.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    kind: ModelErrorKind,
    message: String,
    retry_after: Option<Duration>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ModelError {
    /// An error of `kind` with a message for people (say what to do where possible).
    pub fn new(kind: ModelErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after: None,
            source: None,
        }
    }

    /// Keeps the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Records how long the server asked to wait.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// The class of the error.
    pub fn kind(&self) -> ModelErrorKind {
        self.kind
    }

    /// How long the server asked to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether the model is unavailable for now (as opposed to misconfigured): the assistant then
    /// falls back to its command parser and says the model is offline.
    pub fn is_offline(&self) -> bool {
        matches!(
            self.kind,
            ModelErrorKind::Unreachable
                | ModelErrorKind::Timeout
                | ModelErrorKind::RateLimited
                | ModelErrorKind::ServerError
        )
    }
}
