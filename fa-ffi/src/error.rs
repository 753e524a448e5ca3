//! Where fa-ffi's errors come from: `FaError` is fa-core's (so that a value refused while crossing
//! the boundary — an id, a mood, a time zone — arrives as `InvalidInput` too); the Telegram bot's
//! errors are mapped here.

pub use fa_core::ffi::FaError;

pub(crate) type Result<T, E = FaError> = std::result::Result<T, E>;

/// The error for starting or running the Telegram bot.
pub(crate) fn bot_error(error: fa_telegram::bot::BotError) -> FaError {
    use fa_telegram::ApiErrorKind;
    use fa_telegram::bot::BotError;
    let reason = error.to_string();
    match error {
        BotError::Core(e) => e.into(),
        BotError::Telegram(api) => match api.kind {
            ApiErrorKind::Unauthorized(_) => FaError::Auth { reason },
            ApiErrorKind::RetryAfter(after) => FaError::RateLimited {
                reason,
                retry_after: Some(after),
            },
            ApiErrorKind::Network(_) | ApiErrorKind::Server { .. } => FaError::Network { reason },
            ApiErrorKind::BadRequest(_) => FaError::InvalidInput { reason },
            _ => FaError::Other { reason },
        },
        _ => FaError::InvalidInput { reason },
    }
}
