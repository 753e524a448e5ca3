//! How the types fa-core borrows from other crates cross a UniFFI boundary (feature `uniffi`).
//!
//! The domain records and enums derive UniFFI's traits where they are defined; the ids cross as
//! their text form. Instants, time zones and free-form JSON come from chrono, chrono-tz and
//! serde_json, so they are bridged here under names of their own: [`UtcTime`] is a
//! `java.time.Instant` in Kotlin, a `Date` in Swift and a `datetime` in Python; [`TimeZone`] is
//! the IANA name; [`Json`] is JSON text. A crate that uses them in its own exported functions
//! declares `uniffi::use_remote_type!(fa_core::UtcTime);` (and likewise for the others).
//!
//! [`FaError`] is the one error the bindings throw. It lives here, beside the bridges, so that
//! a value refused while crossing (a malformed id, a mood of 9, an unknown time zone) is an
//! `InvalidInput` like any other refused argument rather than an internal error.

mod error;
mod host;

use std::time::SystemTime;

use chrono::{DateTime, Utc};

pub use error::FaError;
pub use host::{
    Firing, HostJobKind, HostModel, HostNotifier, HostTool, ReplyListener, ToolInvocation,
};

/// An instant, in UTC.
pub type UtcTime = DateTime<Utc>;
/// An IANA time zone, e.g. `Europe/Berlin`.
pub type TimeZone = chrono_tz::Tz;
/// Free-form JSON (tool arguments, payloads, settings), as JSON text.
pub type Json = serde_json::Value;

uniffi::custom_type!(UtcTime, SystemTime, {
    remote,
    try_lift: |time| Ok(DateTime::<Utc>::from(time)),
    lower: |time| SystemTime::from(time),
});

uniffi::custom_type!(TimeZone, String, {
    remote,
    try_lift: |name| Ok(crate::parse_timezone(&name).map_err(FaError::from)?),
    lower: |tz| tz.name().to_owned(),
});

uniffi::custom_type!(Json, String, {
    remote,
    try_lift: |text| Ok(serde_json::from_str(&text).map_err(|e| FaError::invalid("JSON", e))?),
    lower: |value| value.to_string(),
});

/// A wall-clock date and time without a zone (an RRULE's start, its EXDATEs), as ISO 8601
/// text: `2026-12-04T09:00:00` (`java.time.LocalDateTime.parse` reads it).
pub type WallTime = chrono::NaiveDateTime;

uniffi::custom_type!(WallTime, String, {
    remote,
    try_lift: |text| {
        Ok(text
            .parse::<chrono::NaiveDateTime>()
            .map_err(|e| FaError::invalid("wall-clock time (2026-12-04T09:00:00)", e))?)
    },
    lower: |time| time.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
});
