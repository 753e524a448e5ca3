//! Calendars from Python: `CalendarAccounts` (connect CalDAV, sign in to Google and Microsoft,
//! events, busy time, sync, token refresh) and `find_slots` (the pure slot finder).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use fa_calendar::accounts::{
    CalendarAccounts as Accounts, CalendarApps, CalendarConnection, OAuthApp, Provider,
};
use fa_calendar::slots::{Attendee, Interval, SlotQuery, WorkingHours};
use fa_core::calendar::{CalendarEntry, CalendarInfo};
use fa_core::connector::ConnectorErrorKind;
use fa_core::{IntegrationId, Secret};
use pyo3::prelude::*;
use serde::{Deserialize, Serialize};

use crate::convert::{Json, id, instant, scope, seconds, typed};
use crate::errors::{invalid, raise, to_py};
use crate::store::Store;

/// The exception for an error of fa-calendar, by its kind.
pub(crate) fn calendar_to_py(error: fa_calendar::Error) -> PyErr {
    match error {
        fa_calendar::Error::Store(core) => to_py(core),
        fa_calendar::Error::Calendar(e) => {
            let (name, retry_after) = match e.kind {
                ConnectorErrorKind::RateLimited { retry_after } => ("RateLimited", retry_after),
                ConnectorErrorKind::Unauthorized => ("Unauthorized", None),
                ConnectorErrorKind::NotFound => ("NotFound", None),
                ConnectorErrorKind::Conflict => ("Conflict", None),
                ConnectorErrorKind::Transient => ("Unavailable", None),
                _ => ("InternalError", None),
            };
            raise(name, e.message, retry_after)
        }
        other => raise("InvalidInput", other.to_string(), None),
    }
}

fn spawn_calendar<'py, T, F>(py: Python<'py>, work: F) -> PyResult<Bound<'py, PyAny>>
where
    T: Serialize + Send + 'static,
    F: std::future::Future<Output = fa_calendar::Result<T>> + Send + 'static,
{
    crate::bridge::future(
        py,
        async move { work.await.map(Json).map_err(calendar_to_py) },
    )
}

fn provider(name: &str) -> PyResult<Provider> {
    Provider::parse(name).ok_or_else(|| {
        invalid(
            "provider",
            format!("{name:?} is not a provider: google, microsoft or caldav"),
        )
    })
}

/// An event as the package shows it.
#[derive(Serialize)]
pub(crate) struct EntryView {
    id: String,
    calendar_id: String,
    etag: Option<String>,
    summary: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    all_day: bool,
    location: Option<String>,
    recurrence_id: Option<DateTime<Utc>>,
    busy: bool,
    link: Option<String>,
}

impl From<CalendarEntry> for EntryView {
    fn from(e: CalendarEntry) -> Self {
        Self {
            id: e.id,
            calendar_id: e.calendar_id,
            etag: e.etag,
            summary: e.summary,
            start: e.start,
            end: e.end,
            all_day: e.all_day,
            location: e.location,
            recurrence_id: e.recurrence_id,
            busy: e.busy,
            link: e.link,
        }
    }
}

#[derive(Serialize)]
struct InfoView {
    id: String,
    name: String,
    read_only: bool,
}

impl From<CalendarInfo> for InfoView {
    fn from(c: CalendarInfo) -> Self {
        Self {
            id: c.id,
            name: c.name,
            read_only: c.read_only,
        }
    }
}

#[derive(Serialize)]
struct ConnectionView {
    integration: fa_core::Integration,
    provider: Provider,
    default_calendar: Option<String>,
    default_calendar_name: Option<String>,
    synced_at: Option<DateTime<Utc>>,
}

impl ConnectionView {
    fn of(c: &CalendarConnection) -> Self {
        let s = c.settings();
        Self {
            integration: c.integration().clone(),
            provider: c.provider(),
            default_calendar: s.default_calendar.clone(),
            default_calendar_name: s.default_calendar_name.clone(),
            synced_at: s.cache.as_ref().map(|c| c.synced_at),
        }
    }
}

#[derive(Serialize)]
struct SignInView {
    integration: IntegrationId,
    url: String,
    expires_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct SpanView {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[derive(Serialize)]
struct BusyView {
    intervals: Vec<SpanView>,
    stale: Vec<String>,
    unread: Vec<String>,
}

#[derive(Serialize)]
struct SyncView {
    synced: u32,
    intervals: u32,
    failed: Vec<String>,
}

#[derive(Serialize)]
struct RefreshView {
    refreshed: u32,
    refused: u32,
    failed: u32,
}

/// A household's calendar connections, for one set of OAuth apps.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct CalendarAccounts {
    pub(crate) accounts: Arc<Accounts>,
}

#[pymethods]
impl CalendarAccounts {
    /// Connections on `store` (its vault seals passwords and tokens). `google` and `microsoft`
    /// are `(client_id, client_secret)` of the operator's OAuth apps; `endpoints` overrides
    /// URLs (tests): `google_auth`, `google_token`, `microsoft_auth`, `microsoft_token`,
    /// `google_api`, `graph_api`.
    #[new]
    #[pyo3(signature = (store, public_url = None, google = None, microsoft = None, endpoints = None))]
    fn new(
        store: &Bound<'_, Store>,
        public_url: Option<String>,
        google: Option<(String, String)>,
        microsoft: Option<(String, String)>,
        endpoints: Option<std::collections::HashMap<String, String>>,
    ) -> PyResult<Self> {
        let store = store.get();
        let endpoints = endpoints.unwrap_or_default();
        for key in endpoints.keys() {
            if ![
                "google_auth",
                "google_token",
                "microsoft_auth",
                "microsoft_token",
                "google_api",
                "graph_api",
            ]
            .contains(&key.as_str())
            {
                return Err(invalid("endpoints", format!("unknown endpoint {key:?}")));
            }
        }
        let app = |pair: (String, String), prefix: &str| {
            let app = OAuthApp::new(pair.0, Secret::new(pair.1));
            match (
                endpoints.get(&format!("{prefix}_auth")),
                endpoints.get(&format!("{prefix}_token")),
            ) {
                (Some(a), Some(t)) => app.endpoints(a.clone(), t.clone()),
                _ => app,
            }
        };
        let mut apps = CalendarApps::new();
        if let Some(url) = public_url {
            apps = apps.public_url(url);
        }
        if let Some(pair) = google {
            apps = apps.google(app(pair, "google"));
        }
        if let Some(pair) = microsoft {
            apps = apps.microsoft(app(pair, "microsoft"));
        }
        apps.google_api = endpoints.get("google_api").cloned();
        apps.graph_api = endpoints.get("graph_api").cloned();
        let accounts = Accounts::new(store.store.clone(), store.vault()?, apps)
            .with_clock(store.clock.clone());
        Ok(Self {
            accounts: Arc::new(accounts),
        })
    }

    /// Connects a CalDAV account with an app-specific password (discovery runs first; nothing
    /// is stored if it fails).
    #[pyo3(signature = (household, member, server, username, password, label = "CalDAV".to_owned()))]
    #[allow(clippy::too_many_arguments)]
    fn connect_caldav<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        server: String,
        username: String,
        password: String,
        label: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        spawn_calendar(py, async move {
            let connection = accounts
                .connect_caldav(scope, &label, &server, &username, Secret::new(password))
                .await?;
            Ok(ConnectionView::of(&connection))
        })
    }

    /// Starts signing the member in to `provider` (google, microsoft): the link to send them.
    fn start_sign_in<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        provider_name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope, p) = (
            self.accounts.clone(),
            scope(household, member)?,
            provider(provider_name)?,
        );
        spawn_calendar(py, async move {
            let link = accounts.start_sign_in(scope, p).await?;
            Ok(SignInView {
                integration: link.integration,
                url: link.url,
                expires_at: link.expires_at,
            })
        })
    }

    /// The provider's page for a live sign-in `state` (what `/oauth/{provider}/start` redirects
    /// to).
    fn authorization_url<'py>(
        &self,
        py: Python<'py>,
        provider_name: &str,
        state: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, p) = (self.accounts.clone(), provider(provider_name)?);
        spawn_calendar(
            py,
            async move { accounts.authorization_url(p, &state).await },
        )
    }

    /// Finishes a sign-in at the callback: the state is checked and used up, the code
    /// exchanged, the tokens sealed; returns the integration.
    fn finish_sign_in<'py>(
        &self,
        py: Python<'py>,
        provider_name: &str,
        state: String,
        code: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, p) = (self.accounts.clone(), provider(provider_name)?);
        spawn_calendar(py, async move {
            accounts.finish_sign_in(p, &state, &code).await
        })
    }

    /// The member's calendar connections (any state).
    fn connections<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        spawn_calendar(py, async move { accounts.connections(scope).await })
    }

    /// The calendars of one connection.
    fn calendars<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        let integration = id::<IntegrationId>(integration)?;
        spawn_calendar(py, async move {
            let connection = accounts.open(scope, integration).await?;
            let calendars = connection.calendar().calendars().await?;
            Ok(calendars
                .into_iter()
                .map(InfoView::from)
                .collect::<Vec<_>>())
        })
    }

    /// Makes `calendar_id` the calendar new events of this connection go to.
    fn set_default_calendar<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
        calendar_id: String,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        let integration = id::<IntegrationId>(integration)?;
        spawn_calendar(py, async move {
            let calendar = CalendarInfo::new(calendar_id, name, false);
            accounts
                .set_default_calendar(scope, integration, &calendar)
                .await
        })
    }

    /// Makes a new calendar on a CalDAV connection's server; new events go to it.
    fn make_calendar<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        let integration = id::<IntegrationId>(integration)?;
        spawn_calendar(py, async move {
            let made = accounts.make_calendar(scope, integration, &name).await?;
            Ok(InfoView::from(made))
        })
    }

    /// The member's events in `[start, end)` from every active connection, by start.
    fn events<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        start: &str,
        end: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        let (start, end) = (instant("start", start)?, instant("end", end)?);
        spawn_calendar(py, async move {
            let events = accounts.events(scope, start, end).await?;
            Ok(events.into_iter().map(EntryView::from).collect::<Vec<_>>())
        })
    }

    /// Creates an event in the connection's default calendar.
    #[pyo3(signature = (household, member, integration, title, start, end, location = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_event<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
        title: String,
        start: &str,
        end: &str,
        location: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        let integration = id::<IntegrationId>(integration)?;
        let span = (instant("start", start)?, instant("end", end)?);
        spawn_calendar(py, async move {
            let made = accounts
                .create_event(scope, integration, &title, span, location.as_deref())
                .await?;
            Ok(EntryView::from(made))
        })
    }

    /// Reads the busy time of the member's connections for the next `days` days into the cache.
    #[pyo3(signature = (household, member, days = 31))]
    fn sync<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        days: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        spawn_calendar(py, async move {
            let r = accounts.sync(scope, days).await?;
            Ok(SyncView {
                synced: r.synced,
                intervals: r.intervals,
                failed: r.failed,
            })
        })
    }

    /// The member's busy time in `[start, end)`: from the cache when younger than `max_age`
    /// seconds, else from the providers.
    #[pyo3(signature = (household, member, start, end, max_age = 6.0 * 3600.0))]
    fn busy<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        start: &str,
        end: &str,
        max_age: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        let range = Interval::new(instant("start", start)?, instant("end", end)?);
        let max_age = seconds("max_age", max_age)?;
        spawn_calendar(py, async move {
            let b = accounts.busy(scope, range, max_age).await?;
            Ok(BusyView {
                intervals: b
                    .intervals
                    .iter()
                    .map(|i| SpanView {
                        start: i.start,
                        end: i.end,
                    })
                    .collect(),
                stale: b.stale,
                unread: b.unread,
            })
        })
    }

    /// Renews the member's access tokens that expire within `ahead` seconds.
    #[pyo3(signature = (household, member, ahead = 45.0 * 60.0))]
    fn refresh_tokens<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        ahead: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (accounts, scope) = (self.accounts.clone(), scope(household, member)?);
        let ahead = seconds("ahead", ahead)?;
        spawn_calendar(py, async move {
            let r = accounts.refresh_tokens(scope, ahead).await?;
            Ok(RefreshView {
                refreshed: r.refreshed,
                refused: r.refused,
                failed: r.failed,
            })
        })
    }
}

/// One attendee of `find_slots`, as the package sends it.
#[derive(Deserialize)]
struct AttendeeSpec {
    timezone: String,
    #[serde(default)]
    busy: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    #[serde(default = "default_hours")]
    hours: (u32, u32),
    #[serde(default)]
    weekdays_only: bool,
}

fn default_hours() -> (u32, u32) {
    (8, 20)
}

#[derive(Serialize)]
pub(crate) struct SlotView {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    room_minutes: i64,
}

/// The best free slots for everyone in `attendees` (dicts: timezone, busy, hours,
/// weekdays_only), ranked. Pure: `now` is given.
#[pyfunction]
#[pyo3(signature = (now, attendees, duration, window_start, window_end, buffer_before = 0.0, buffer_after = 0.0, min_notice = 0.0, limit = 10, per_day = 2))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn find_slots(
    now: &str,
    attendees: &Bound<'_, PyAny>,
    duration: f64,
    window_start: &str,
    window_end: &str,
    buffer_before: f64,
    buffer_after: f64,
    min_notice: f64,
    limit: usize,
    per_day: usize,
) -> PyResult<Json<Vec<SlotView>>> {
    let specs: Vec<AttendeeSpec> = typed("attendees", attendees)?;
    let span = |field: &'static str, secs: f64| {
        seconds(field, secs)
            .and_then(|d| Duration::from_std(d).map_err(|e| invalid(field, e.to_string())))
    };
    let mut people = Vec::new();
    for spec in specs {
        let tz: Tz = spec.timezone.parse().map_err(|_| {
            invalid(
                "attendees",
                format!("{:?} is not an IANA time zone", spec.timezone),
            )
        })?;
        let (from, to) = spec.hours;
        if from > 24 || to > 24 {
            return Err(invalid("attendees", "hours are 0-24"));
        }
        let hours = match (spec.weekdays_only, to % 24) {
            (true, to) => WorkingHours::weekdays(from, to),
            (false, to) => WorkingHours::every_day(from, to),
        };
        people.push(
            Attendee::new(tz, hours).busy(spec.busy.into_iter().map(|(s, e)| Interval::new(s, e))),
        );
    }
    let window = Interval::new(
        instant("window_start", window_start)?,
        instant("window_end", window_end)?,
    );
    let query = SlotQuery::new(span("duration", duration)?, window)
        .buffers(
            span("buffer_before", buffer_before)?,
            span("buffer_after", buffer_after)?,
        )
        .min_notice(span("min_notice", min_notice)?)
        .limit(limit, per_day);
    let slots = fa_calendar::slots::find_slots(instant("now", now)?, &people, &query);
    Ok(Json(
        slots
            .into_iter()
            .map(|s| SlotView {
                start: s.start,
                end: s.end,
                room_minutes: s.room.num_minutes(),
            })
            .collect(),
    ))
}
