//! What connectors (a seller account, a calendar) share: how their errors are classified.
//!
//! Every adapter's error type has a `kind()` returning [`ConnectorErrorKind`]; retry loops,
//! re-authorisation prompts and health reports branch on it, never on an adapter's variants.

use std::time::Duration;

/// The class of a connector error, and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectorErrorKind {
    /// The provider asked to slow down: wait `retry_after` (when it said) and try again.
    RateLimited {
        /// How long the provider asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The credentials were refused: the member must connect again (the integration is marked
    /// `needs_reauth`).
    Unauthorized,
    /// The thing asked for does not exist at the provider.
    NotFound,
    /// Temporary (network, timeout, 5xx): retrying later may succeed.
    Transient,
    /// The thing changed at the provider since it was read (an ETag mismatch): read it again,
    /// then decide; retrying the same change would overwrite someone else's.
    Conflict,
    /// Retrying will not help (bad request, unsupported, malformed answer).
    Permanent,
}

impl ConnectorErrorKind {
    /// Whether retrying the same call later may succeed.
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            ConnectorErrorKind::RateLimited { .. } | ConnectorErrorKind::Transient
        )
    }
}
