//! The one error type of fa-amazon.

use std::time::Duration;

use fa_core::connector::ConnectorErrorKind;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to Amazon. Branch on [`Error::kind`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Amazon asked to slow down (HTTP 429) and the retries allowed were used up.
    #[error("SP-API {operation} is rate-limited; try again{}", after(*retry_after))]
    RateLimited {
        /// The operation, e.g. `getOrders`.
        operation: &'static str,
        /// How long to wait, when known.
        retry_after: Option<Duration>,
    },

    /// Login with Amazon refused the refresh token (`invalid_grant`): the seller revoked fa's
    /// authorisation or the token is wrong. The integration is marked `needs_reauth`; the owner
    /// must authorise fa again in Seller Central and send the new refresh token.
    #[error(
        "Login with Amazon refused the refresh token ({detail}); authorise the app again in \
         Seller Central and reconnect with the new refresh token"
    )]
    InvalidGrant {
        /// LWA's `error_description`.
        detail: String,
    },

    /// The access token or the app's permissions were refused (HTTP 401/403).
    #[error("SP-API {operation} was refused ({code}): {message}")]
    Unauthorized {
        /// The operation.
        operation: &'static str,
        /// SP-API's error code, e.g. `Unauthorized`.
        code: String,
        /// SP-API's message.
        message: String,
    },

    /// The order, report or subscription does not exist (HTTP 404).
    #[error("SP-API {operation}: not found ({message})")]
    NotFound {
        /// The operation.
        operation: &'static str,
        /// SP-API's message.
        message: String,
    },

    /// Any other error answer.
    #[error("SP-API {operation} answered HTTP {status} ({code}): {message}")]
    Api {
        /// The operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// SP-API's error code.
        code: String,
        /// SP-API's message.
        message: String,
    },

    /// Amazon could not be reached, or the connection broke.
    #[error("{operation} could not reach Amazon: {reason}")]
    Network {
        /// The operation.
        operation: &'static str,
        /// What failed.
        reason: String,
    },

    /// Amazon answered something that does not follow its published model.
    #[error("{operation} answered something fa cannot read: {reason}")]
    Malformed {
        /// The operation.
        operation: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// An SQS call failed.
    #[error("SQS {operation} failed: {message}")]
    Sqs {
        /// The operation, e.g. `ReceiveMessage`.
        operation: &'static str,
        /// What SQS or the SDK said.
        message: String,
        /// Whether retrying may help (network, throttling, 5xx).
        transient: bool,
    },

    /// A value passed in is not acceptable.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// What is wrong and what would do.
        reason: String,
    },

    /// The store failed.
    #[error(transparent)]
    Store(#[from] fa_core::Error),
}

fn after(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(" in {:.1} s", wait.as_secs_f64()),
        None => " later".to_owned(),
    }
}

impl Error {
    /// What to do about it.
    pub fn kind(&self) -> ConnectorErrorKind {
        match self {
            Error::RateLimited { retry_after, .. } => ConnectorErrorKind::RateLimited {
                retry_after: *retry_after,
            },
            Error::InvalidGrant { .. } | Error::Unauthorized { .. } => {
                ConnectorErrorKind::Unauthorized
            }
            Error::NotFound { .. } => ConnectorErrorKind::NotFound,
            Error::Api { status, .. } if *status >= 500 => ConnectorErrorKind::Transient,
            Error::Network { .. } => ConnectorErrorKind::Transient,
            Error::Sqs { transient, .. } => {
                if *transient {
                    ConnectorErrorKind::Transient
                } else {
                    ConnectorErrorKind::Permanent
                }
            }
            Error::Store(e) if e.kind() == fa_core::ErrorKind::Unavailable => {
                ConnectorErrorKind::Transient
            }
            Error::Api { .. }
            | Error::Malformed { .. }
            | Error::InvalidInput { .. }
            | Error::Store(_) => ConnectorErrorKind::Permanent,
        }
    }

    /// A transport error, without the URL (it can carry a pre-signed download link).
    #[cfg(feature = "sp-api")]
    pub(crate) fn network(operation: &'static str, error: reqwest::Error) -> Self {
        Error::Network {
            operation,
            reason: error.without_url().to_string(),
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}
