//! The one error type of fa-calendar.

use fa_core::calendar::CalendarError;
use fa_core::connector::ConnectorErrorKind;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong with calendars.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not iCalendar.
    #[error("iCalendar: {reason}")]
    Ical {
        /// What is wrong.
        reason: String,
    },
    /// A provider call failed; its kind says what to do.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The store or the vault failed.
    #[error(transparent)]
    Store(#[from] fa_core::Error),
    /// Something given is not usable; the text says what to give instead.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was given.
        what: &'static str,
        /// Why it cannot be used, and what to do.
        reason: String,
    },
}

impl Error {
    /// An [`Error::Invalid`].
    pub fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            what,
            reason: reason.into(),
        }
    }

    /// What to do about it, for a provider call; `None` for errors that are not the provider's.
    pub fn connector_kind(&self) -> Option<ConnectorErrorKind> {
        match self {
            Error::Calendar(e) => Some(e.kind),
            _ => None,
        }
    }
}

impl From<Error> for fa_core::assistant::ToolError {
    fn from(error: Error) -> Self {
        match error {
            Error::Store(e) => e.into(),
            Error::Invalid { .. } => {
                fa_core::assistant::ToolError::InvalidArguments(error.to_string())
            }
            other => fa_core::assistant::ToolError::Failed(other.to_string()),
        }
    }
}
