//! [`GoogleCalendar`]: a member's Google calendars through the Calendar API v3 — the calendar
//! list, events in a range (Google expands recurring series with `singleEvents=true`; fa checks
//! each instance against the range and drops cancelled ones), insert, patch and delete guarded
//! by ETags (`If-Match`), and `freeBusy`.
//!
//! Access tokens come from an [`AccessToken`] source (the OAuth flow, or a fixed token in
//! tests); every request takes a fresh one, so a refreshed token is used at once.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fa_core::calendar::CalendarError> {
//! use std::sync::Arc;
//! use fa_calendar::google::{FixedToken, GoogleCalendar};
//! use fa_core::Secret;
//! use fa_core::calendar::Calendar;
//!
//! let google = GoogleCalendar::new(Arc::new(FixedToken(Secret::new("ya29.…"))));
//! let now = chrono::Utc::now();
//! for event in google.events("primary", now, now + chrono::Duration::days(7)).await? {
//!     println!("{} {}", event.start, event.summary);
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use fa_core::calendar::{Calendar, CalendarEntry, CalendarError, CalendarInfo, EventDraft};
use fa_core::connector::ConnectorErrorKind;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ical::wall_instant;
use crate::rest::{Failure, error, in_range};
use crate::slots::Interval;

/// Google's API endpoint.
pub const GOOGLE_API: &str = "https://www.googleapis.com";

pub use crate::token::{AccessToken, FixedToken};

/// A member's Google calendars.
pub struct GoogleCalendar {
    http: reqwest::Client,
    base: String,
    token: Arc<dyn AccessToken>,
    /// The zone all-day events are read in (the member's).
    viewer: Tz,
}

impl std::fmt::Debug for GoogleCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleCalendar")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Google's error body: `{"error": {"code", "message", "errors": [{"reason"}]}}`.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(Deserialize, Default)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<ErrorReason>,
}

#[derive(Deserialize, Default)]
struct ErrorReason {
    #[serde(default)]
    reason: String,
}

/// `{"dateTime": "…", "timeZone": "…"}` or `{"date": "YYYY-MM-DD"}`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct When {
    date: Option<NaiveDate>,
    date_time: Option<DateTime<chrono::FixedOffset>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    id: String,
    etag: Option<String>,
    #[serde(default)]
    status: String,
    html_link: Option<String>,
    #[serde(default)]
    summary: String,
    location: Option<String>,
    #[serde(default)]
    start: When,
    #[serde(default)]
    end: When,
    original_start_time: Option<When>,
    #[serde(default)]
    transparency: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListEntry {
    id: String,
    #[serde(default)]
    summary: String,
    summary_override: Option<String>,
    #[serde(default)]
    access_role: String,
}

impl GoogleCalendar {
    /// Google's API, with tokens from `token`. All-day events are read on UTC's clock until
    /// [`viewer`](Self::viewer) says otherwise.
    pub fn new(token: Arc<dyn AccessToken>) -> Self {
        Self::with_base(GOOGLE_API, token)
    }

    /// Another endpoint (a mock in tests).
    pub fn with_base(base: impl Into<String>, token: Arc<dyn AccessToken>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.into().trim_end_matches('/').to_owned(),
            token,
            viewer: Tz::UTC,
        }
    }

    /// Reads all-day events on `tz`'s clock (the member's).
    pub fn viewer(mut self, tz: Tz) -> Self {
        self.viewer = tz;
        self
    }

    fn url(&self, path: &[&str]) -> Result<reqwest::Url, CalendarError> {
        let mut url = reqwest::Url::parse(&format!("{}/calendar/v3", self.base)).map_err(|e| {
            error(
                ConnectorErrorKind::Permanent,
                format!("Google API URL: {e}"),
            )
        })?;
        url.path_segments_mut()
            .map_err(|()| {
                error(
                    ConnectorErrorKind::Permanent,
                    "Google API URL cannot take a path",
                )
            })?
            .extend(path);
        Ok(url)
    }

    async fn call(
        &self,
        what: &str,
        method: Method,
        url: reqwest::Url,
        if_match: Option<&str>,
        body: Option<Value>,
    ) -> Result<Option<Value>, CalendarError> {
        let token = self.token.access_token().await?;
        let mut request = self.http.request(method, url).bearer_auth(token.expose());
        if let Some(etag) = if_match {
            request = request.header("If-Match", etag);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let Failure {
            status,
            retry_after,
            body: text,
        } = match crate::rest::send(&format!("Google Calendar {what}"), request).await? {
            Ok(answer) => return Ok(answer),
            Err(failure) => failure,
        };
        let detail = serde_json::from_str::<ErrorBody>(&text)
            .unwrap_or_default()
            .error;
        let reason = detail
            .errors
            .first()
            .map(|r| r.reason.as_str())
            .unwrap_or("");
        let kind = match (status.as_u16(), reason) {
            (401, _) => ConnectorErrorKind::Unauthorized,
            (403, "rateLimitExceeded" | "userRateLimitExceeded") | (429, _) => {
                ConnectorErrorKind::RateLimited { retry_after }
            }
            (403, _) => ConnectorErrorKind::Unauthorized,
            (404 | 410, _) => ConnectorErrorKind::NotFound,
            (409 | 412, _) => ConnectorErrorKind::Conflict,
            (500..=599, _) => ConnectorErrorKind::Transient,
            _ => ConnectorErrorKind::Permanent,
        };
        let hint = match kind {
            ConnectorErrorKind::Unauthorized => "; connect the Google account again",
            ConnectorErrorKind::Conflict => {
                "; the event was changed elsewhere since it was read: read it again"
            }
            _ => "",
        };
        Err(error(
            kind,
            format!("Google Calendar {what}: {status} {}{hint}", detail.message),
        ))
    }

    fn when(&self, when: &When) -> Option<(DateTime<Utc>, bool)> {
        match (when.date_time, when.date) {
            (Some(t), _) => Some((t.with_timezone(&Utc), false)),
            (None, Some(d)) => Some((
                wall_instant(d.and_time(chrono::NaiveTime::MIN), self.viewer),
                true,
            )),
            _ => None,
        }
    }

    fn entry(&self, calendar: &str, event: Event) -> Option<CalendarEntry> {
        let (start, all_day) = self.when(&event.start)?;
        let (end, _) = self.when(&event.end).unwrap_or((start, all_day));
        let mut entry =
            CalendarEntry::new(event.id, calendar, event.summary, start, end.max(start));
        entry.etag = event.etag;
        entry.all_day = all_day;
        entry.location = event.location;
        entry.recurrence_id = event
            .original_start_time
            .as_ref()
            .and_then(|w| self.when(w))
            .map(|(t, _)| t);
        entry.busy = event.transparency != "transparent";
        entry.link = event.html_link;
        Some(entry)
    }

    fn body(event: &EventDraft) -> Value {
        let when = |t: DateTime<Utc>| {
            if event.all_day {
                json!({ "date": t.with_timezone(&event.timezone).date_naive().to_string() })
            } else {
                json!({
                    "dateTime": t.with_timezone(&event.timezone).to_rfc3339(),
                    "timeZone": event.timezone.name(),
                })
            }
        };
        let mut body = json!({
            "summary": event.summary,
            "start": when(event.start),
            "end": when(event.end),
        });
        if let Some(location) = &event.location {
            body["location"] = json!(location);
        }
        if let Some(description) = &event.description {
            body["description"] = json!(description);
        }
        body
    }

    fn written(
        &self,
        calendar: &str,
        value: Option<Value>,
    ) -> Result<CalendarEntry, CalendarError> {
        let event: Event = value
            .ok_or_else(|| {
                error(
                    ConnectorErrorKind::Permanent,
                    "Google Calendar: an empty answer",
                )
            })
            .and_then(|v| {
                serde_json::from_value(v).map_err(|e| {
                    error(
                        ConnectorErrorKind::Permanent,
                        format!("Google Calendar: unreadable event ({e})"),
                    )
                })
            })?;
        self.entry(calendar, event).ok_or_else(|| {
            error(
                ConnectorErrorKind::Permanent,
                "Google Calendar: the event has no start",
            )
        })
    }
}

/// What changed in a calendar since the last round of incremental sync
/// (<https://developers.google.com/calendar/api/guides/sync>).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Changes {
    /// Events created or changed since the token (each instance of a repeating event on its
    /// own); after a full sync, every event.
    pub changed: Vec<CalendarEntry>,
    /// Ids of events deleted or cancelled since the token.
    pub removed: Vec<String>,
    /// The token for the next round.
    pub sync_token: String,
    /// A full sync: there was no token, or Google no longer accepted it (410 Gone). Replace what
    /// was kept instead of applying the changes.
    pub full: bool,
}

/// Google's answer when a sync token is too old: "410 Gone", full sync required.
fn full_sync_required(error: &CalendarError) -> bool {
    error.kind == ConnectorErrorKind::NotFound && error.message.contains(": 410 ")
}

impl GoogleCalendar {
    /// One round of incremental sync of `calendar`: the changes since `sync_token`, or every
    /// event when there is none. When Google answers 410 Gone for an old token, the round
    /// falls back to a full sync and says so ([`Changes::full`]).
    pub async fn changes(
        &self,
        calendar: &str,
        sync_token: Option<&str>,
    ) -> Result<Changes, CalendarError> {
        match sync_token {
            Some(token) => match self.sync_round(calendar, Some(token)).await {
                Err(e) if full_sync_required(&e) => {
                    tracing::info!(calendar, "Google expired the sync token; syncing in full");
                    self.sync_round(calendar, None).await
                }
                other => other,
            },
            None => self.sync_round(calendar, None).await,
        }
    }

    async fn sync_round(
        &self,
        calendar: &str,
        sync_token: Option<&str>,
    ) -> Result<Changes, CalendarError> {
        let mut changes = Changes {
            changed: Vec::new(),
            removed: Vec::new(),
            sync_token: String::new(),
            full: sync_token.is_none(),
        };
        let mut page_token: Option<String> = None;
        loop {
            let mut url = self.url(&["calendars", calendar, "events"])?;
            {
                let mut query = url.query_pairs_mut();
                query
                    .append_pair("singleEvents", "true")
                    .append_pair("maxResults", "2500");
                if let Some(token) = sync_token {
                    query.append_pair("syncToken", token);
                }
                if let Some(token) = &page_token {
                    query.append_pair("pageToken", token);
                }
            }
            let value = self
                .call("events.list (sync)", Method::GET, url, None, None)
                .await?;
            let page: SyncPage =
                serde_json::from_value(value.unwrap_or_default()).map_err(|e| {
                    error(
                        ConnectorErrorKind::Permanent,
                        format!("Google Calendar events.list (sync): {e}"),
                    )
                })?;
            for item in page.items {
                let Ok(event) = serde_json::from_value::<Event>(item) else {
                    tracing::warn!("a Google event that could not be read was skipped");
                    continue;
                };
                if event.status == "cancelled" {
                    changes.removed.push(event.id);
                } else {
                    changes.changed.extend(self.entry(calendar, event));
                }
            }
            match (page.next_page_token, page.next_sync_token) {
                (Some(next), _) => page_token = Some(next),
                (None, Some(token)) => {
                    changes.sync_token = token;
                    return Ok(changes);
                }
                (None, None) => {
                    return Err(error(
                        ConnectorErrorKind::Permanent,
                        "Google Calendar events.list (sync): the last page has no nextSyncToken",
                    ));
                }
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyncPage {
    #[serde(default)]
    items: Vec<Value>,
    next_page_token: Option<String>,
    next_sync_token: Option<String>,
}

#[async_trait]
impl Calendar for GoogleCalendar {
    fn provider(&self) -> &'static str {
        "google"
    }

    async fn calendars(&self) -> Result<Vec<CalendarInfo>, CalendarError> {
        let mut out = Vec::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut url = self.url(&["users", "me", "calendarList"])?;
            if let Some(token) = &page_token {
                url.query_pairs_mut().append_pair("pageToken", token);
            }
            let value = self
                .call("calendarList.list", Method::GET, url, None, None)
                .await?;
            let page: Page<ListEntry> =
                serde_json::from_value(value.unwrap_or_default()).map_err(|e| {
                    error(
                        ConnectorErrorKind::Permanent,
                        format!("Google Calendar calendarList: {e}"),
                    )
                })?;
            for entry in page.items {
                let read_only = !matches!(entry.access_role.as_str(), "owner" | "writer");
                out.push(CalendarInfo::new(
                    entry.id,
                    entry.summary_override.unwrap_or(entry.summary),
                    read_only,
                ));
            }
            match page.next_page_token {
                Some(token) => page_token = Some(token),
                None => return Ok(out),
            }
        }
    }

    async fn events(
        &self,
        calendar: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEntry>, CalendarError> {
        let mut out = Vec::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut url = self.url(&["calendars", calendar, "events"])?;
            {
                let mut query = url.query_pairs_mut();
                query
                    .append_pair("timeMin", &from.to_rfc3339())
                    .append_pair("timeMax", &to.to_rfc3339())
                    .append_pair("singleEvents", "true")
                    .append_pair("orderBy", "startTime")
                    .append_pair("maxResults", "2500");
                if let Some(token) = &page_token {
                    query.append_pair("pageToken", token);
                }
            }
            let value = self
                .call("events.list", Method::GET, url, None, None)
                .await?;
            let page: Page<Value> =
                serde_json::from_value(value.unwrap_or_default()).map_err(|e| {
                    error(
                        ConnectorErrorKind::Permanent,
                        format!("Google Calendar events.list: {e}"),
                    )
                })?;
            for item in page.items {
                let event: Event = match serde_json::from_value(item) {
                    Ok(event) => event,
                    Err(e) => {
                        tracing::warn!(%e, "a Google event that could not be read was skipped");
                        continue;
                    }
                };
                if event.status == "cancelled" {
                    continue;
                }
                // Google filters by the range already; `in_range` checks it again.
                out.extend(self.entry(calendar, event));
            }
            match page.next_page_token {
                Some(token) => page_token = Some(token),
                None => break,
            }
        }
        Ok(in_range(out, Interval::new(from, to)))
    }

    async fn busy(
        &self,
        calendars: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, CalendarError> {
        let url = self.url(&["freeBusy"])?;
        let items: Vec<Value> = calendars.iter().map(|id| json!({ "id": id })).collect();
        let body =
            json!({ "timeMin": from.to_rfc3339(), "timeMax": to.to_rfc3339(), "items": items });
        let value = self
            .call("freeBusy.query", Method::POST, url, None, Some(body))
            .await?
            .unwrap_or_default();
        let mut out = Vec::new();
        for id in calendars {
            let calendar = &value["calendars"][id];
            if let Some(errors) = calendar["errors"].as_array().filter(|e| !e.is_empty()) {
                let reason = errors[0]["reason"].as_str().unwrap_or("unknown");
                return Err(error(
                    ConnectorErrorKind::Permanent,
                    format!("Google Calendar freeBusy: calendar {id}: {reason}"),
                ));
            }
            for busy in calendar["busy"].as_array().into_iter().flatten() {
                let at = |key: &str| {
                    busy[key]
                        .as_str()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.with_timezone(&Utc))
                };
                if let (Some(start), Some(end)) = (at("start"), at("end")) {
                    out.push((start, end));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    async fn create(
        &self,
        calendar: &str,
        event: &EventDraft,
    ) -> Result<CalendarEntry, CalendarError> {
        let url = self.url(&["calendars", calendar, "events"])?;
        let value = self
            .call(
                "events.insert",
                Method::POST,
                url,
                None,
                Some(Self::body(event)),
            )
            .await?;
        self.written(calendar, value)
    }

    async fn update(
        &self,
        calendar: &str,
        id: &str,
        etag: Option<&str>,
        event: &EventDraft,
    ) -> Result<CalendarEntry, CalendarError> {
        let url = self.url(&["calendars", calendar, "events", id])?;
        let value = self
            .call(
                "events.patch",
                Method::PATCH,
                url,
                etag,
                Some(Self::body(event)),
            )
            .await?;
        self.written(calendar, value)
    }

    async fn delete(
        &self,
        calendar: &str,
        id: &str,
        etag: Option<&str>,
    ) -> Result<(), CalendarError> {
        let url = self.url(&["calendars", calendar, "events", id])?;
        self.call("events.delete", Method::DELETE, url, etag, None)
            .await?;
        Ok(())
    }
}
