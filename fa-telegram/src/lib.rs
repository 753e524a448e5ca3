#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod amazon;
pub mod api;
pub mod bot;
mod calendar;
mod channel;
pub mod config;
pub mod format;
pub mod login;
#[cfg(feature = "calendar")]
pub mod oauth;
mod sender;
mod server;

pub use api::{ApiError, ApiErrorKind, BotApi};
pub use channel::{ALLOWED_UPDATES, CHANNEL_NAME, INBOX_STALE, TelegramChannel, UpdateStats};
pub use login::{LoginError, TelegramLogin, verify_login, verify_login_query};
pub use sender::{RetryPolicy, SenderStats, TelegramSender, Throttle};
pub use server::{Health, SECRET_HEADER, health_router, webhook_router};
