//! [`CalDavCalendar`]: calendars on a CalDAV server (RFC 4791) — iCloud (with an app-specific
//! password), Nextcloud, Fastmail, Radicale. Discovery (RFC 6764 `/.well-known/caldav`, then
//! `current-user-principal` and `calendar-home-set`), `calendar-query` REPORTs with a time
//! range (recurring events expanded here, in each event's zone), and PUT / DELETE guarded by
//! ETags: a change to an event someone else changed meanwhile is refused as `Conflict` and
//! nothing is overwritten.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fa_core::calendar::CalendarError> {
//! use fa_calendar::caldav::CalDavCalendar;
//! use fa_core::Secret;
//! use fa_core::calendar::Calendar;
//!
//! let calendar = CalDavCalendar::discover(
//!     "https://caldav.icloud.com",
//!     "ana@icloud.com",
//!     Secret::new("abcd-efgh-ijkl-mnop"), // an app-specific password
//!     "Europe/Berlin".parse().unwrap(),
//! )
//! .await?;
//! for info in calendar.calendars().await? {
//!     println!("{} ({})", info.name, info.id);
//! }
//! # Ok(()) }
//! ```

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fa_core::Secret;
use fa_core::calendar::{Calendar, CalendarEntry, CalendarError, CalendarInfo, EventDraft};
use fa_core::connector::ConnectorErrorKind;
use reqwest::{Method, StatusCode, Url};

use crate::expand::expand;
use crate::ical::parse_calendar;
use crate::ical_out::{event_to_ics, patch_event_ics};
use crate::rest::{error, in_range};
use crate::slots::Interval;

mod xml;
use xml::{child_text, document, first_href, is, texts, xml_escape};

const DAV: &str = "DAV:";
const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";

/// A member's calendars on one CalDAV server.
pub struct CalDavCalendar {
    http: reqwest::Client,
    username: String,
    password: Secret,
    /// The calendar home: the collection holding the member's calendars.
    home: Url,
    /// The zone all-day and floating events are read in (the member's).
    viewer: Tz,
}

impl std::fmt::Debug for CalDavCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalDavCalendar")
            .field("home", &self.home.as_str())
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

fn network(what: &str, e: reqwest::Error) -> CalendarError {
    error(
        ConnectorErrorKind::Transient,
        format!(
            "CalDAV {what}: the server could not be reached ({})",
            e.without_url()
        ),
    )
}

/// The error for an answer that is not a success.
fn status_error(
    what: &str,
    status: StatusCode,
    retry_after: Option<std::time::Duration>,
) -> CalendarError {
    let kind = match status.as_u16() {
        401 | 403 => ConnectorErrorKind::Unauthorized,
        404 | 410 => ConnectorErrorKind::NotFound,
        409 | 412 => ConnectorErrorKind::Conflict,
        429 => ConnectorErrorKind::RateLimited { retry_after },
        500..=599 => ConnectorErrorKind::Transient,
        _ => ConnectorErrorKind::Permanent,
    };
    let hint = match kind {
        ConnectorErrorKind::Unauthorized => {
            "; check the user name and password (iCloud needs an app-specific password)"
        }
        ConnectorErrorKind::Conflict => {
            "; the event was changed elsewhere since it was read: read it again"
        }
        _ => "",
    };
    error(
        kind,
        format!("CalDAV {what}: the server answered {status}{hint}"),
    )
}

impl CalDavCalendar {
    /// Finds the member's calendar home on the server at `server` (its base URL, e.g.
    /// `https://caldav.icloud.com`), signing in with `username` and `password`. All-day and
    /// floating events are read on `viewer`'s clock.
    pub async fn discover(
        server: &str,
        username: impl Into<String>,
        password: Secret,
        viewer: Tz,
    ) -> Result<Self, CalendarError> {
        let server = Url::parse(server).map_err(|e| {
            error(
                ConnectorErrorKind::Permanent,
                format!("CalDAV server URL {server:?}: {e}"),
            )
        })?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| network("client", e))?;
        let mut calendar = Self {
            http,
            username: username.into(),
            password,
            home: server.clone(),
            viewer,
        };
        // RFC 6764: the well-known URL leads to the context path; a server without it is
        // asked directly.
        let well_known = server.join("/.well-known/caldav").map_err(|e| {
            error(
                ConnectorErrorKind::Permanent,
                format!("CalDAV server URL: {e}"),
            )
        })?;
        let principal = match calendar.principal(&well_known).await {
            Ok(principal) => principal,
            Err(e)
                if e.kind == ConnectorErrorKind::NotFound
                    || e.kind == ConnectorErrorKind::Permanent =>
            {
                calendar.principal(&server).await?
            }
            Err(e) => return Err(e),
        };
        let body = calendar
            .propfind(&principal, "0", "<C:calendar-home-set/>")
            .await?;
        let home = first_href(&body, CALDAV, "calendar-home-set").ok_or_else(|| {
            error(
                ConnectorErrorKind::Permanent,
                "CalDAV: the server names no calendar home for this account",
            )
        })?;
        calendar.home = principal.join(&home).map_err(|e| {
            error(
                ConnectorErrorKind::Permanent,
                format!("CalDAV calendar home {home:?}: {e}"),
            )
        })?;
        Ok(calendar)
    }

    /// The calendar home found by discovery.
    pub fn home(&self) -> &str {
        self.home.as_str()
    }

    /// Makes a new calendar `slug` (the last part of its URL) called `name` in the home
    /// (MKCALENDAR, RFC 4791 5.3.1).
    pub async fn make_calendar(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<CalendarInfo, CalendarError> {
        if slug.is_empty()
            || !slug
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(error(
                ConnectorErrorKind::Permanent,
                format!("calendar {slug:?}: use letters, digits, - and _ only"),
            ));
        }
        let url = self.calendar_url(slug)?;
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="{CALDAV}"><D:set><D:prop><D:displayname>{}</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#,
            xml_escape(name)
        );
        let method = Method::from_bytes(b"MKCALENDAR")
            .map_err(|e| error(ConnectorErrorKind::Permanent, e.to_string()))?;
        self.send(
            "MKCALENDAR",
            method,
            &url,
            &[],
            Some((body, "application/xml; charset=utf-8")),
        )
        .await?;
        Ok(CalendarInfo::new(url.path(), name, false))
    }

    async fn principal(&self, url: &Url) -> Result<Url, CalendarError> {
        let body = self
            .propfind(url, "0", "<D:current-user-principal/>")
            .await?;
        let href = first_href(&body, DAV, "current-user-principal").ok_or_else(|| {
            error(
                ConnectorErrorKind::Permanent,
                format!("CalDAV: {url} names no current-user-principal"),
            )
        })?;
        url.join(&href).map_err(|e| {
            error(
                ConnectorErrorKind::Permanent,
                format!("CalDAV principal {href:?}: {e}"),
            )
        })
    }

    async fn send(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        headers: &[(&str, &str)],
        body: Option<(String, &str)>,
    ) -> Result<reqwest::Response, CalendarError> {
        let mut request = self
            .http
            .request(method, url.clone())
            .basic_auth(&self.username, Some(self.password.expose()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some((body, content_type)) = body {
            request = request.header("Content-Type", content_type).body(body);
        }
        let response = request.send().await.map_err(|e| network(what, e))?;
        if response.status().is_success() || response.status() == StatusCode::MULTI_STATUS {
            return Ok(response);
        }
        let retry_after = crate::rest::retry_after(response.headers());
        Err(status_error(what, response.status(), retry_after))
    }

    async fn propfind(&self, url: &Url, depth: &str, props: &str) -> Result<String, CalendarError> {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="{CALDAV}"><D:prop>{props}</D:prop></D:propfind>"#
        );
        let method = Method::from_bytes(b"PROPFIND")
            .map_err(|e| error(ConnectorErrorKind::Permanent, e.to_string()))?;
        let response = self
            .send(
                "PROPFIND",
                method,
                url,
                &[("Depth", depth)],
                Some((body, "application/xml; charset=utf-8")),
            )
            .await?;
        response.text().await.map_err(|e| network("PROPFIND", e))
    }

    fn calendar_url(&self, calendar: &str) -> Result<Url, CalendarError> {
        let mut url = self.home.join(calendar).map_err(|e| {
            error(
                ConnectorErrorKind::Permanent,
                format!("calendar {calendar:?}: {e}"),
            )
        })?;
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        Ok(url)
    }

    fn entry_url(&self, id: &str) -> Result<Url, CalendarError> {
        self.home
            .join(id)
            .map_err(|e| error(ConnectorErrorKind::Permanent, format!("event {id:?}: {e}")))
    }

    /// Writes `ics` to `url`, guarded by `condition`; returns the new ETag.
    async fn put(
        &self,
        url: &Url,
        ics: String,
        condition: (&str, &str),
    ) -> Result<Option<String>, CalendarError> {
        let response = self
            .send(
                "PUT",
                Method::PUT,
                url,
                &[condition],
                Some((ics, "text/calendar; charset=utf-8")),
            )
            .await?;
        let etag = response
            .headers()
            .get("ETag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match etag {
            Some(etag) => Ok(Some(etag)),
            // Servers may leave the ETag out when they changed what was written (RFC 4791
            // 5.3.4); ask for it.
            None => {
                let body = self.propfind(url, "0", "<D:getetag/>").await?;
                Ok(texts(&body, DAV, "getetag").into_iter().next())
            }
        }
    }

    fn entry(
        &self,
        calendar: &str,
        url: &Url,
        etag: Option<String>,
        event: &EventDraft,
    ) -> CalendarEntry {
        let mut entry = CalendarEntry::new(
            url.as_str(),
            calendar,
            event.summary.clone(),
            event.start,
            event.end,
        );
        entry.etag = etag;
        entry.all_day = event.all_day;
        entry.location = event.location.clone();
        entry
    }
}

#[async_trait]
impl Calendar for CalDavCalendar {
    fn provider(&self) -> &'static str {
        "caldav"
    }

    async fn calendars(&self) -> Result<Vec<CalendarInfo>, CalendarError> {
        let body = self
            .propfind(
                &self.home,
                "1",
                "<D:resourcetype/><D:displayname/><D:current-user-privilege-set/>",
            )
            .await?;
        let doc = document(&body)?;
        let mut out = Vec::new();
        for response in doc.descendants().filter(|n| is(n, DAV, "response")) {
            let is_calendar = response.descendants().any(|n| {
                is(&n, DAV, "resourcetype") && n.children().any(|c| is(&c, CALDAV, "calendar"))
            });
            if !is_calendar {
                continue;
            }
            let Some(href) = child_text(&response, DAV, "href") else {
                continue;
            };
            let name = response
                .descendants()
                .find(|n| is(n, DAV, "displayname"))
                .and_then(|n| n.text())
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    href.trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_owned()
                });
            let privileges: Vec<_> = response
                .descendants()
                .filter(|n| is(n, DAV, "privilege"))
                .flat_map(|p| {
                    p.children()
                        .filter(|c| c.is_element())
                        .map(|c| c.tag_name().name().to_owned())
                })
                .collect();
            // No privilege set reported: assume it may be written.
            let read_only = !privileges.is_empty()
                && !privileges
                    .iter()
                    .any(|p| matches!(p.as_str(), "write" | "write-content" | "all"));
            out.push(CalendarInfo::new(href, name, read_only));
        }
        Ok(out)
    }

    async fn events(
        &self,
        calendar: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEntry>, CalendarError> {
        let url = self.calendar_url(calendar)?;
        let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
        let query = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV}">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{}" end="{}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#,
            stamp(from),
            stamp(to)
        );
        let method = Method::from_bytes(b"REPORT")
            .map_err(|e| error(ConnectorErrorKind::Permanent, e.to_string()))?;
        let body = self
            .send(
                "REPORT",
                method,
                &url,
                &[("Depth", "1")],
                Some((query, "application/xml; charset=utf-8")),
            )
            .await?
            .text()
            .await
            .map_err(|e| network("REPORT", e))?;
        let doc = document(&body)?;
        let range = Interval::new(from, to);
        let mut out = Vec::new();
        for response in doc.descendants().filter(|n| is(n, DAV, "response")) {
            let (Some(href), Some(data)) = (
                child_text(&response, DAV, "href"),
                response
                    .descendants()
                    .find(|n| is(n, CALDAV, "calendar-data"))
                    .and_then(|n| n.text()),
            ) else {
                continue;
            };
            let id = url.join(&href).map(|u| u.to_string()).unwrap_or(href);
            let etag = response
                .descendants()
                .find(|n| is(n, DAV, "getetag"))
                .and_then(|n| n.text())
                .map(str::to_owned);
            let Ok(parsed) = parse_calendar(data) else {
                tracing::warn!(%id, "a calendar object that is not iCalendar was skipped");
                continue;
            };
            for (uid, reason) in &parsed.skipped {
                tracing::warn!(%id, ?uid, %reason, "an event that could not be read was skipped");
            }
            let expansion = expand(&parsed.events, range, self.viewer);
            for (uid, reason) in &expansion.skipped {
                tracing::warn!(%id, %uid, %reason, "a recurring event could not be expanded");
            }
            for occurrence in expansion.occurrences {
                let mut entry = CalendarEntry::new(
                    id.clone(),
                    calendar,
                    occurrence.summary,
                    occurrence.start,
                    occurrence.end,
                );
                entry.etag = etag.clone();
                entry.all_day = occurrence.all_day;
                entry.location = occurrence.location;
                entry.recurrence_id = occurrence.recurrence_id;
                entry.busy = occurrence.busy;
                out.push(entry);
            }
        }
        Ok(in_range(out, range))
    }

    async fn create(
        &self,
        calendar: &str,
        event: &EventDraft,
    ) -> Result<CalendarEntry, CalendarError> {
        let uid = format!("{}@fa", uuid::Uuid::now_v7());
        let url = self
            .calendar_url(calendar)?
            .join(&format!("{uid}.ics"))
            .map_err(|e| error(ConnectorErrorKind::Permanent, format!("event URL: {e}")))?;
        let etag = self
            .put(
                &url,
                event_to_ics(&uid, event, Utc::now()),
                ("If-None-Match", "*"),
            )
            .await?;
        Ok(self.entry(calendar, &url, etag, event))
    }

    async fn update(
        &self,
        calendar: &str,
        id: &str,
        etag: Option<&str>,
        event: &EventDraft,
    ) -> Result<CalendarEntry, CalendarError> {
        let url = self.entry_url(id)?;
        // Change only what the draft says: the stored object keeps its UID, attendees,
        // alarms and notes.
        let stored = self
            .send("GET", Method::GET, &url, &[], None)
            .await?
            .text()
            .await
            .map_err(|e| network("GET", e))?;
        let ics = patch_event_ics(&stored, event, Utc::now()).ok_or_else(|| {
            error(
                ConnectorErrorKind::Permanent,
                format!("CalDAV: {id} holds no event"),
            )
        })?;
        let condition = match etag {
            Some(etag) => ("If-Match", etag),
            None => ("If-Match", "*"),
        };
        let etag = self.put(&url, ics, condition).await?;
        Ok(self.entry(calendar, &url, etag, event))
    }

    async fn delete(
        &self,
        _calendar: &str,
        id: &str,
        etag: Option<&str>,
    ) -> Result<(), CalendarError> {
        let url = self.entry_url(id)?;
        let headers: Vec<(&str, &str)> = etag.map(|e| ("If-Match", e)).into_iter().collect();
        self.send("DELETE", Method::DELETE, &url, &headers, None)
            .await?;
        Ok(())
    }
}
