//! What the providers have in common: their errors, `Retry-After`, the entries of a range in
//! order, and — for the JSON APIs (Google, Microsoft Graph) — a request's answer read as JSON,
//! or as a failure with its status, `Retry-After` and body for the provider to read its own
//! error format from.

use std::time::Duration;

use fa_core::calendar::{CalendarEntry, CalendarError};
use fa_core::connector::ConnectorErrorKind;
use reqwest::header::HeaderMap;

use crate::slots::Interval;
#[cfg(feature = "oauth")]
use reqwest::{RequestBuilder, StatusCode};
#[cfg(feature = "oauth")]
use serde_json::Value;

/// A calendar error of `kind`.
pub(crate) fn error(kind: ConnectorErrorKind, message: impl Into<String>) -> CalendarError {
    CalendarError::new(kind, message)
}

/// The entries that show in `range` (see [`Interval::shows_in`]), by start.
pub(crate) fn in_range(entries: Vec<CalendarEntry>, range: Interval) -> Vec<CalendarEntry> {
    let mut out: Vec<CalendarEntry> = entries
        .into_iter()
        .filter(|e| Interval::new(e.start, e.end).shows_in(&range))
        .collect();
    out.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
    out
}

/// A failed answer, for the provider to classify.
#[cfg(feature = "oauth")]
pub(crate) struct Failure {
    /// The status.
    pub status: StatusCode,
    /// `Retry-After`, in seconds, when sent.
    pub retry_after: Option<Duration>,
    /// The body.
    pub body: String,
}

/// `Retry-After` in seconds (the HTTP-date form is not used by these providers).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get("Retry-After")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(feature = "oauth")]
/// Sends `request` (`label` names the call in errors): `Ok(Ok(body))` on success (`None` for
/// 204), `Ok(Err(failure))` for an error answer, `Err` when the server could not be reached or
/// its success was not JSON.
pub(crate) async fn send(
    label: &str,
    request: RequestBuilder,
) -> Result<Result<Option<Value>, Failure>, CalendarError> {
    let transient = |e: reqwest::Error| {
        CalendarError::new(
            ConnectorErrorKind::Transient,
            format!("{label}: not reachable ({})", e.without_url()),
        )
    };
    let response = request.send().await.map_err(transient)?;
    let status = response.status();
    if status == StatusCode::NO_CONTENT {
        return Ok(Ok(None));
    }
    let retry_after = retry_after(response.headers());
    let body = response.text().await.map_err(transient)?;
    if status.is_success() {
        return serde_json::from_str(&body)
            .map(|v| Ok(Some(v)))
            .map_err(|e| {
                CalendarError::new(
                    ConnectorErrorKind::Permanent,
                    format!("{label}: unreadable answer ({e})"),
                )
            });
    }
    Ok(Err(Failure {
        status,
        retry_after,
        body,
    }))
}
