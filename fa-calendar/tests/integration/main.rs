//! fa-calendar's integration tests: iCalendar read and recurring events expanded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[cfg(feature = "caldav")]
mod caldav;
#[cfg(feature = "google")]
mod google;
#[cfg(feature = "oauth")]
mod oauth;
#[cfg(feature = "outlook")]
mod outlook;
mod recurrence;
