//! [`OutlookCalendar`]: a member's Microsoft 365 / Outlook.com calendars through Microsoft
//! Graph — the calendars, `calendarView` (recurring series expanded by Graph, times asked for in
//! UTC with `Prefer: outlook.timezone="UTC"`, `@odata.nextLink` followed), events created,
//! patched and deleted with `If-Match`, and `getSchedule` for free/busy by mailbox.
//!
//! Access tokens come from an [`AccessToken`] source, as for Google.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use fa_core::calendar::{Calendar, CalendarEntry, CalendarError, CalendarInfo, EventDraft};
use fa_core::connector::ConnectorErrorKind;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ical::wall_instant;
use crate::rest::{Failure, error, in_range};
use crate::slots::Interval;
pub use crate::token::{AccessToken, FixedToken};

/// Microsoft Graph's endpoint.
pub const GRAPH_API: &str = "https://graph.microsoft.com";

/// A member's Outlook calendars.
pub struct OutlookCalendar {
    http: reqwest::Client,
    base: String,
    token: Arc<dyn AccessToken>,
    viewer: Tz,
}

impl std::fmt::Debug for OutlookCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutlookCalendar")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// `{"dateTime": "2026-03-26T15:00:00.0000000", "timeZone": "UTC"}`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct When {
    date_time: String,
    time_zone: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(default)]
    display_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    id: String,
    #[serde(rename = "@odata.etag")]
    etag: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    start: When,
    #[serde(default)]
    end: When,
    #[serde(default)]
    is_all_day: bool,
    #[serde(default)]
    is_cancelled: bool,
    #[serde(default)]
    show_as: String,
    web_link: Option<String>,
    location: Option<Location>,
    original_start: Option<DateTime<chrono::FixedOffset>>,
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalendarItem {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    can_edit: bool,
}

impl OutlookCalendar {
    /// Microsoft Graph, with tokens from `token`; all-day events read on UTC's clock until
    /// [`viewer`](Self::viewer) says otherwise.
    pub fn new(token: Arc<dyn AccessToken>) -> Self {
        Self::with_base(GRAPH_API, token)
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
        let mut url = reqwest::Url::parse(&format!("{}/v1.0", self.base))
            .map_err(|e| error(ConnectorErrorKind::Permanent, format!("Graph URL: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| {
                error(
                    ConnectorErrorKind::Permanent,
                    "Graph URL cannot take a path",
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
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(token.expose())
            .header("Prefer", "outlook.timezone=\"UTC\"");
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
        } = match crate::rest::send(&format!("Microsoft Graph {what}"), request).await? {
            Ok(answer) => return Ok(answer),
            Err(failure) => failure,
        };
        let body: Value = serde_json::from_str(&text).unwrap_or_default();
        let code = body["error"]["code"].as_str().unwrap_or("");
        let message = body["error"]["message"].as_str().unwrap_or("");
        let kind = match status.as_u16() {
            401 | 403 => ConnectorErrorKind::Unauthorized,
            404 | 410 => ConnectorErrorKind::NotFound,
            409 | 412 => ConnectorErrorKind::Conflict,
            429 | 503 if retry_after.is_some() || status.as_u16() == 429 => {
                ConnectorErrorKind::RateLimited { retry_after }
            }
            500..=599 => ConnectorErrorKind::Transient,
            _ => ConnectorErrorKind::Permanent,
        };
        let hint = match kind {
            ConnectorErrorKind::Unauthorized => "; connect the Microsoft account again",
            ConnectorErrorKind::Conflict => {
                "; the event was changed elsewhere since it was read: read it again"
            }
            _ => "",
        };
        Err(error(
            kind,
            format!("Microsoft Graph {what}: {status} {code}: {message}{hint}"),
        ))
    }

    /// An instant from Graph's `{dateTime, timeZone}` (UTC as asked; an IANA or Windows zone
    /// name otherwise).
    fn instant(&self, when: &When, all_day: bool) -> Option<DateTime<Utc>> {
        let wall = NaiveDateTime::parse_from_str(&when.date_time, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        if all_day {
            return Some(wall_instant(
                wall.date().and_time(chrono::NaiveTime::MIN),
                self.viewer,
            ));
        }
        let tz = crate::ical::zone_named(&when.time_zone).unwrap_or(Tz::UTC);
        Some(wall_instant(wall, tz))
    }

    fn entry(&self, calendar: &str, event: Event) -> Option<CalendarEntry> {
        let start = self.instant(&event.start, event.is_all_day)?;
        let end = self
            .instant(&event.end, event.is_all_day)
            .unwrap_or(start)
            .max(start);
        let mut entry = CalendarEntry::new(event.id, calendar, event.subject, start, end);
        entry.etag = event.etag;
        entry.all_day = event.is_all_day;
        entry.location = event
            .location
            .map(|l| l.display_name)
            .filter(|l| !l.is_empty());
        entry.recurrence_id = event.original_start.map(|t| t.with_timezone(&Utc));
        entry.busy = !matches!(event.show_as.as_str(), "free" | "workingElsewhere");
        entry.link = event.web_link;
        Some(entry)
    }

    fn body(event: &EventDraft) -> Value {
        let when = |t: DateTime<Utc>| {
            let local = t.with_timezone(&event.timezone).naive_local();
            json!({
                "dateTime": local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "timeZone": event.timezone.name(),
            })
        };
        let mut body = json!({
            "subject": event.summary,
            "start": when(event.start),
            "end": when(event.end),
            "isAllDay": event.all_day,
        });
        if let Some(location) = &event.location {
            body["location"] = json!({ "displayName": location });
        }
        if let Some(description) = &event.description {
            body["body"] = json!({ "contentType": "text", "content": description });
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
                    "Microsoft Graph: an empty answer",
                )
            })
            .and_then(|v| {
                serde_json::from_value(v).map_err(|e| {
                    error(
                        ConnectorErrorKind::Permanent,
                        format!("Microsoft Graph: unreadable event ({e})"),
                    )
                })
            })?;
        self.entry(calendar, event).ok_or_else(|| {
            error(
                ConnectorErrorKind::Permanent,
                "Microsoft Graph: the event has no start",
            )
        })
    }

    /// Follows `@odata.nextLink` from `first` to the last page.
    async fn pages<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        first: reqwest::Url,
    ) -> Result<Vec<T>, CalendarError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let value = self
                .call(what, Method::GET, url, None, None)
                .await?
                .unwrap_or_default();
            let page: Page<Value> = serde_json::from_value(value).map_err(|e| {
                error(
                    ConnectorErrorKind::Permanent,
                    format!("Microsoft Graph {what}: {e}"),
                )
            })?;
            for item in page.value {
                match serde_json::from_value(item) {
                    Ok(item) => out.push(item),
                    Err(e) => {
                        tracing::warn!(%e, what, "an item that could not be read was skipped")
                    }
                }
            }
            next = page
                .next_link
                .map(|link| {
                    reqwest::Url::parse(&link).map_err(|e| {
                        error(
                            ConnectorErrorKind::Permanent,
                            format!("Microsoft Graph {what}: next link: {e}"),
                        )
                    })
                })
                .transpose()?;
        }
        Ok(out)
    }

    /// Free/busy of mailboxes (`getSchedule`), e.g. other family members' addresses: their busy
    /// intervals, by mailbox, in `[from, to)`.
    pub async fn schedules(
        &self,
        mailboxes: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, Vec<(DateTime<Utc>, DateTime<Utc>)>)>, CalendarError> {
        let url = self.url(&["me", "calendar", "getSchedule"])?;
        let stamp = |t: DateTime<Utc>| json!({ "dateTime": t.format("%Y-%m-%dT%H:%M:%S").to_string(), "timeZone": "UTC" });
        let body = json!({ "schedules": mailboxes, "startTime": stamp(from), "endTime": stamp(to), "availabilityViewInterval": 15 });
        let value = self
            .call("getSchedule", Method::POST, url, None, Some(body))
            .await?
            .unwrap_or_default();
        let mut out = Vec::new();
        for schedule in value["value"].as_array().into_iter().flatten() {
            let id = schedule["scheduleId"].as_str().unwrap_or("").to_owned();
            if let Some(message) = schedule["error"]["message"].as_str() {
                return Err(error(
                    ConnectorErrorKind::Permanent,
                    format!("Microsoft Graph getSchedule: {id}: {message}"),
                ));
            }
            let mut busy = Vec::new();
            for item in schedule["scheduleItems"].as_array().into_iter().flatten() {
                if matches!(item["status"].as_str(), Some("free" | "workingElsewhere")) {
                    continue;
                }
                let when = |key: &str| -> Option<DateTime<Utc>> {
                    let when: When = serde_json::from_value(item[key].clone()).ok()?;
                    self.instant(&when, false)
                };
                if let (Some(start), Some(end)) = (when("start"), when("end")) {
                    busy.push((start, end));
                }
            }
            busy.sort();
            out.push((id, busy));
        }
        Ok(out)
    }
}

#[async_trait]
impl Calendar for OutlookCalendar {
    fn provider(&self) -> &'static str {
        "outlook"
    }

    async fn calendars(&self) -> Result<Vec<CalendarInfo>, CalendarError> {
        let items: Vec<CalendarItem> = self
            .pages("calendars", self.url(&["me", "calendars"])?)
            .await?;
        Ok(items
            .into_iter()
            .map(|c| CalendarInfo::new(c.id, c.name, !c.can_edit))
            .collect())
    }

    async fn events(
        &self,
        calendar: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEntry>, CalendarError> {
        let mut url = self.url(&["me", "calendars", calendar, "calendarView"])?;
        url.query_pairs_mut()
            .append_pair("startDateTime", &from.to_rfc3339())
            .append_pair("endDateTime", &to.to_rfc3339())
            .append_pair("$top", "500");
        let events: Vec<Event> = self.pages("calendarView", url).await?;
        let out: Vec<CalendarEntry> = events
            .into_iter()
            .filter(|e| !e.is_cancelled)
            .filter_map(|e| self.entry(calendar, e))
            .collect();
        Ok(in_range(out, Interval::new(from, to)))
    }

    async fn create(
        &self,
        calendar: &str,
        event: &EventDraft,
    ) -> Result<CalendarEntry, CalendarError> {
        let url = self.url(&["me", "calendars", calendar, "events"])?;
        let value = self
            .call(
                "events.create",
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
        let url = self.url(&["me", "events", id])?;
        let value = self
            .call(
                "events.update",
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
        _calendar: &str,
        id: &str,
        etag: Option<&str>,
    ) -> Result<(), CalendarError> {
        let url = self.url(&["me", "events", id])?;
        self.call("events.delete", Method::DELETE, url, etag, None)
            .await?;
        Ok(())
    }
}
