//! The `Calendar` capability: a member's calendars at one provider (Google, Microsoft Graph,
//! CalDAV), implemented by the `fa-calendar` connectors. Events cross it as instants, expanded
//! (one entry per instance of a recurring series), so the slot finder and the assistant never
//! see a provider's own format.
//!
//! Errors carry a [`ConnectorErrorKind`]: retries branch on it, and `Conflict` (an ETag
//! mismatch) means "read it again": a change is never forced over someone else's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::connector::ConnectorErrorKind;

/// A calendar of the member's at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CalendarInfo {
    /// The provider's id for it (a CalDAV collection URL, a Google calendar id).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether fa may not change it.
    pub read_only: bool,
}

impl CalendarInfo {
    /// A calendar with this id and name.
    pub fn new(id: impl Into<String>, name: impl Into<String>, read_only: bool) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            read_only,
        }
    }
}

/// An event to create or to change an event into.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventDraft {
    /// Its title.
    pub summary: String,
    /// When it starts (an all-day event: midnight of its first day in `timezone`).
    pub start: DateTime<Utc>,
    /// When it ends (an all-day event: midnight after its last day).
    pub end: DateTime<Utc>,
    /// The zone it is written in (its wall-clock times, and its days when all-day).
    pub timezone: Tz,
    /// Whether it takes whole days.
    pub all_day: bool,
    /// Where.
    pub location: Option<String>,
    /// Notes.
    pub description: Option<String>,
}

impl EventDraft {
    /// `summary` from `start` to `end`, written in `timezone`.
    pub fn new(
        summary: impl Into<String>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        timezone: Tz,
    ) -> Self {
        Self {
            summary: summary.into(),
            start,
            end,
            timezone,
            all_day: false,
            location: None,
            description: None,
        }
    }

    /// Where it is.
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Notes.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Takes whole days (`start` and `end` at midnight in `timezone`).
    pub fn all_day(mut self) -> Self {
        self.all_day = true;
        self
    }
}

/// An event (or one instance of a recurring one) as the provider has it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CalendarEntry {
    /// The provider's id for the event (a CalDAV resource URL, a Google event id); the
    /// instances of a series share it.
    pub id: String,
    /// The calendar it is in.
    pub calendar_id: String,
    /// The version the provider gave it, to change it safely.
    pub etag: Option<String>,
    /// Its title.
    pub summary: String,
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// Whether it takes whole days.
    pub all_day: bool,
    /// Where.
    pub location: Option<String>,
    /// For an instance of a series: its original start.
    pub recurrence_id: Option<DateTime<Utc>>,
    /// Whether it is busy time.
    pub busy: bool,
    /// A link to open it at the provider, when there is one.
    pub link: Option<String>,
}

impl CalendarEntry {
    /// The event `id` of `calendar`: `summary` from `start` to `end`, busy, with nothing else
    /// known yet.
    pub fn new(
        id: impl Into<String>,
        calendar_id: impl Into<String>,
        summary: impl Into<String>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Self {
        Self {
            id: id.into(),
            calendar_id: calendar_id.into(),
            etag: None,
            summary: summary.into(),
            start,
            end,
            all_day: false,
            location: None,
            recurrence_id: None,
            busy: true,
            link: None,
        }
    }
}

/// A calendar call that failed: what kind of failure, and what happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CalendarError {
    /// What to do about it.
    pub kind: ConnectorErrorKind,
    /// What happened, said so that the member or operator knows what to do.
    pub message: String,
}

impl CalendarError {
    /// An error of `kind`.
    pub fn new(kind: ConnectorErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// A member's calendars at one provider.
#[async_trait]
pub trait Calendar: Send + Sync {
    /// The provider: `google`, `outlook`, `caldav`.
    fn provider(&self) -> &'static str;

    /// The member's calendars.
    async fn calendars(&self) -> Result<Vec<CalendarInfo>, CalendarError>;

    /// The events of `calendar` overlapping `[from, to)`, recurring ones expanded, by start.
    async fn events(
        &self,
        calendar: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEntry>, CalendarError>;

    /// Busy time in `calendars` over `[from, to)`: by default, the busy events.
    async fn busy(
        &self,
        calendars: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, CalendarError> {
        let mut out = Vec::new();
        for calendar in calendars {
            out.extend(
                self.events(calendar, from, to)
                    .await?
                    .into_iter()
                    .filter(|e| e.busy)
                    .map(|e| (e.start, e.end)),
            );
        }
        out.sort();
        Ok(out)
    }

    /// Creates an event in `calendar`.
    async fn create(
        &self,
        calendar: &str,
        event: &EventDraft,
    ) -> Result<CalendarEntry, CalendarError>;

    /// Changes the event `id` into `event`; with `etag`, only if it is still that version
    /// (else `Conflict`, and nothing is changed).
    async fn update(
        &self,
        calendar: &str,
        id: &str,
        etag: Option<&str>,
        event: &EventDraft,
    ) -> Result<CalendarEntry, CalendarError>;

    /// Deletes the event `id`; with `etag`, only if it is still that version (else
    /// `Conflict`).
    async fn delete(
        &self,
        calendar: &str,
        id: &str,
        etag: Option<&str>,
    ) -> Result<(), CalendarError>;
}
