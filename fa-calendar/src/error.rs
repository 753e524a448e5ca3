//! The one error type of fa-calendar.

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
}
