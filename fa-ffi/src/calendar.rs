//! Calendars from the app: `CalendarAccounts` (connect CalDAV, sign in to Google and Microsoft,
//! events, busy time, sync, token refresh) and `find_free_slots` (the pure slot finder). Give
//! an `Assistant` the calendar tools with `Assistant.add_calendar_tools`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use fa_calendar::accounts::{
    CalendarAccounts as Accounts, CalendarApps, CalendarConnection, OAuthApp, Provider,
};
use fa_calendar::slots::{Attendee, Interval, SlotQuery, WorkingHours};
use fa_core::calendar::{CalendarEntry, CalendarInfo};
use fa_core::connector::ConnectorErrorKind;
use fa_core::ffi::{TimeZone, UtcTime};
use fa_core::{Integration, IntegrationId, MemberScope, Secret};

use crate::error::{FaError, Result};
use crate::runtime::run;
use crate::secret::SecretText;
use crate::store::Store;

/// An error of fa-calendar on its way to `FaError` (by its kind).
struct CalendarFailure(fa_calendar::Error);

impl From<CalendarFailure> for FaError {
    fn from(CalendarFailure(error): CalendarFailure) -> Self {
        match error {
            fa_calendar::Error::Store(core) => core.into(),
            fa_calendar::Error::Calendar(e) => {
                let reason = e.message;
                match e.kind {
                    ConnectorErrorKind::RateLimited { retry_after } => FaError::RateLimited {
                        reason,
                        retry_after,
                    },
                    ConnectorErrorKind::Unauthorized => FaError::Auth { reason },
                    ConnectorErrorKind::NotFound => FaError::NotFound { reason },
                    ConnectorErrorKind::Conflict => FaError::Conflict { reason },
                    ConnectorErrorKind::Transient => FaError::Network { reason },
                    _ => FaError::Other { reason },
                }
            }
            other => FaError::InvalidInput {
                reason: other.to_string(),
            },
        }
    }
}

fn provider(name: &str) -> Result<Provider> {
    Provider::parse(name).ok_or_else(|| FaError::InvalidInput {
        reason: format!("provider: {name:?} is not google, microsoft or caldav"),
    })
}

/// The operator's side of calendar connections: the bot's public URL and its OAuth apps'
/// client ids; the endpoint overrides are for tests. The client secrets go to
/// `CalendarAccounts`'s constructor as `SecretText`.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct CalendarAppSettings {
    /// The bot's public base URL (OAuth links and callbacks).
    #[uniffi(default = None)]
    pub public_url: Option<String>,
    /// The Google OAuth app's client id.
    #[uniffi(default = None)]
    pub google_client_id: Option<String>,
    /// The Microsoft OAuth app's client id.
    #[uniffi(default = None)]
    pub microsoft_client_id: Option<String>,
    /// Another Google authorization endpoint.
    #[uniffi(default = None)]
    pub google_auth_url: Option<String>,
    /// Another Google token endpoint.
    #[uniffi(default = None)]
    pub google_token_url: Option<String>,
    /// Another Microsoft authorization endpoint.
    #[uniffi(default = None)]
    pub microsoft_auth_url: Option<String>,
    /// Another Microsoft token endpoint.
    #[uniffi(default = None)]
    pub microsoft_token_url: Option<String>,
    /// Another Google Calendar API endpoint.
    #[uniffi(default = None)]
    pub google_api_url: Option<String>,
    /// Another Microsoft Graph endpoint.
    #[uniffi(default = None)]
    pub graph_api_url: Option<String>,
}

fn oauth_app(
    id: Option<String>,
    secret: Option<Arc<SecretText>>,
    endpoints: (Option<String>, Option<String>),
    which: &str,
) -> Result<Option<OAuthApp>> {
    match (id, secret) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => {
            let app = OAuthApp::new(id, secret.secret());
            Ok(Some(match endpoints {
                (Some(a), Some(t)) => app.endpoints(a, t),
                _ => app,
            }))
        }
        _ => Err(FaError::InvalidInput {
            reason: format!("{which}: give both the client id and the client secret"),
        }),
    }
}

/// An event (or one instance of a repeating one) as the provider has it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CalendarEvent {
    /// The provider's id for it.
    pub id: String,
    /// The calendar it is in.
    pub calendar_id: String,
    /// Its version, to change it safely.
    pub etag: Option<String>,
    /// Its title.
    pub summary: String,
    /// When it starts.
    pub start: UtcTime,
    /// When it ends.
    pub end: UtcTime,
    /// Whether it takes whole days.
    pub all_day: bool,
    /// Where.
    pub location: Option<String>,
    /// For an instance of a series: its original start.
    pub recurrence_id: Option<UtcTime>,
    /// Whether it is busy time.
    pub busy: bool,
    /// A link to open it at the provider.
    pub link: Option<String>,
}

impl From<CalendarEntry> for CalendarEvent {
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

/// One of the member's calendars at a provider.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CalendarListing {
    /// The provider's id for it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether fa may not change it.
    pub read_only: bool,
}

impl From<CalendarInfo> for CalendarListing {
    fn from(c: CalendarInfo) -> Self {
        Self {
            id: c.id,
            name: c.name,
            read_only: c.read_only,
        }
    }
}

/// A connection: the integration (secrets sealed in the vault), where new events go.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CalendarConnectionInfo {
    /// The integration.
    pub integration: Integration,
    /// `google`, `microsoft` or `caldav`.
    pub provider: String,
    /// The calendar new events go to.
    pub default_calendar: Option<String>,
    /// Its name.
    pub default_calendar_name: Option<String>,
    /// When busy time was last read.
    pub synced_at: Option<UtcTime>,
}

impl CalendarConnectionInfo {
    fn of(c: &CalendarConnection) -> Self {
        let s = c.settings();
        Self {
            integration: c.integration().clone(),
            provider: c.provider().slug().to_owned(),
            default_calendar: s.default_calendar.clone(),
            default_calendar_name: s.default_calendar_name.clone(),
            synced_at: s.cache.as_ref().map(|c| c.synced_at),
        }
    }
}

/// The link that signs a member in to Google or Microsoft (works once, until `expires_at`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SignInLinkInfo {
    /// The connection being signed in.
    pub integration: IntegrationId,
    /// The link to send the member.
    pub url: String,
    /// Until when it works.
    pub expires_at: UtcTime,
}

/// `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TimeSpan {
    /// The first instant.
    pub start: UtcTime,
    /// The first instant after it.
    pub end: UtcTime,
}

/// A member's busy time, and the connections answered from an older cache or not at all.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BusyTime {
    /// Busy intervals.
    pub intervals: Vec<TimeSpan>,
    /// Connections answered from an older cache (the provider was unreachable).
    pub stale: Vec<String>,
    /// Connections that could not be read.
    pub unread: Vec<String>,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CalendarSyncCounts {
    /// Connections read.
    pub synced: u32,
    /// Busy intervals cached.
    pub intervals: u32,
    /// Connections that failed, with why.
    pub failed: Vec<String>,
}

/// What a token refresh round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TokenRefreshCounts {
    /// Tokens renewed.
    pub refreshed: u32,
    /// Connections the provider refused (now needing sign-in; the member is told).
    pub refused: u32,
    /// Renewals that failed for now.
    pub failed: u32,
}

/// A household's calendar connections, for one set of OAuth apps.
#[derive(uniffi::Object)]
pub struct CalendarAccounts {
    pub(crate) accounts: Arc<Accounts>,
}

impl CalendarAccounts {
    async fn call<T, F>(&self, work: impl FnOnce(Arc<Accounts>) -> F) -> Result<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = fa_calendar::Result<T>> + Send + 'static,
    {
        let work = work(self.accounts.clone());
        run(async move { work.await.map_err(CalendarFailure) }).await
    }
}

#[uniffi::export]
impl CalendarAccounts {
    /// Connections on `store` (its vault seals passwords and tokens), signed in with `apps` and
    /// the apps' client secrets.
    #[uniffi::constructor(default(google_client_secret = None, microsoft_client_secret = None))]
    pub fn new(
        store: Arc<Store>,
        apps: CalendarAppSettings,
        google_client_secret: Option<Arc<SecretText>>,
        microsoft_client_secret: Option<Arc<SecretText>>,
    ) -> Result<Arc<Self>> {
        let mut settings = CalendarApps::new();
        if let Some(url) = apps.public_url {
            settings = settings.public_url(url);
        }
        if let Some(app) = oauth_app(
            apps.google_client_id,
            google_client_secret,
            (apps.google_auth_url, apps.google_token_url),
            "google",
        )? {
            settings = settings.google(app);
        }
        if let Some(app) = oauth_app(
            apps.microsoft_client_id,
            microsoft_client_secret,
            (apps.microsoft_auth_url, apps.microsoft_token_url),
            "microsoft",
        )? {
            settings = settings.microsoft(app);
        }
        settings.google_api = apps.google_api_url;
        settings.graph_api = apps.graph_api_url;
        let accounts = Accounts::new(store.store.clone(), store.vault()?, settings)
            .with_clock(store.clock.clone());
        Ok(Arc::new(Self {
            accounts: Arc::new(accounts),
        }))
    }

    /// Connects a CalDAV account with an app-specific password (a wrong one is `Auth`, and
    /// nothing is stored).
    pub async fn connect_caldav(
        &self,
        scope: MemberScope,
        server: String,
        username: String,
        password: String,
        label: String,
    ) -> Result<CalendarConnectionInfo> {
        self.call(|a| async move {
            let c = a
                .connect_caldav(scope, &label, &server, &username, Secret::new(password))
                .await?;
            Ok(CalendarConnectionInfo::of(&c))
        })
        .await
    }

    /// Starts signing the member in to `provider_name` (google, microsoft).
    pub async fn start_sign_in(
        &self,
        scope: MemberScope,
        provider_name: String,
    ) -> Result<SignInLinkInfo> {
        let p = provider(&provider_name)?;
        self.call(|a| async move {
            let link = a.start_sign_in(scope, p).await?;
            Ok(SignInLinkInfo {
                integration: link.integration,
                url: link.url,
                expires_at: link.expires_at,
            })
        })
        .await
    }

    /// The provider's page for a live sign-in `state`.
    pub async fn authorization_url(&self, provider_name: String, state: String) -> Result<String> {
        let p = provider(&provider_name)?;
        self.call(|a| async move { a.authorization_url(p, &state).await })
            .await
    }

    /// Finishes a sign-in: the state is checked and used up, the code exchanged, the tokens
    /// sealed, the member told.
    pub async fn finish_sign_in(
        &self,
        provider_name: String,
        state: String,
        code: String,
    ) -> Result<Integration> {
        let p = provider(&provider_name)?;
        self.call(|a| async move { a.finish_sign_in(p, &state, &code).await })
            .await
    }

    /// The member's calendar connections (any state).
    pub async fn connections(&self, scope: MemberScope) -> Result<Vec<Integration>> {
        self.call(|a| async move { a.connections(scope).await })
            .await
    }

    /// The calendars of one connection.
    pub async fn calendars(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
    ) -> Result<Vec<CalendarListing>> {
        self.call(|a| async move {
            let c = a.open(scope, integration).await?;
            Ok(c.calendar()
                .calendars()
                .await?
                .into_iter()
                .map(CalendarListing::from)
                .collect())
        })
        .await
    }

    /// Makes a new calendar on a CalDAV connection's server; new events go to it.
    pub async fn make_calendar(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        name: String,
    ) -> Result<CalendarListing> {
        self.call(|a| async move { Ok(a.make_calendar(scope, integration, &name).await?.into()) })
            .await
    }

    /// The member's events in `[start, end)` from every active connection, by start.
    pub async fn events(
        &self,
        scope: MemberScope,
        start: UtcTime,
        end: UtcTime,
    ) -> Result<Vec<CalendarEvent>> {
        self.call(|a| async move {
            let events = a.events(scope, start, end).await?;
            Ok(events.into_iter().map(CalendarEvent::from).collect())
        })
        .await
    }

    /// Creates an event in the connection's default calendar; returns it as the provider made
    /// it (with its link when there is one).
    pub async fn create_event(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        title: String,
        start: UtcTime,
        end: UtcTime,
        location: Option<String>,
    ) -> Result<CalendarEvent> {
        self.call(|a| async move {
            let made = a
                .create_event(
                    scope,
                    integration,
                    &title,
                    (start, end),
                    location.as_deref(),
                )
                .await?;
            Ok(made.into())
        })
        .await
    }

    /// Reads the busy time of the member's connections for the next `days` days into the cache.
    pub async fn sync(&self, scope: MemberScope, days: u32) -> Result<CalendarSyncCounts> {
        self.call(|a| async move {
            let r = a.sync(scope, days).await?;
            Ok(CalendarSyncCounts {
                synced: r.synced,
                intervals: r.intervals,
                failed: r.failed,
            })
        })
        .await
    }

    /// The member's busy time in `[start, end)`: from the cache when younger than `max_age`,
    /// else from the providers.
    pub async fn busy(
        &self,
        scope: MemberScope,
        start: UtcTime,
        end: UtcTime,
        max_age: Duration,
    ) -> Result<BusyTime> {
        self.call(|a| async move {
            let b = a.busy(scope, Interval::new(start, end), max_age).await?;
            Ok(BusyTime {
                intervals: b
                    .intervals
                    .iter()
                    .map(|i| TimeSpan {
                        start: i.start,
                        end: i.end,
                    })
                    .collect(),
                stale: b.stale,
                unread: b.unread,
            })
        })
        .await
    }

    /// Renews the member's access tokens that expire within `ahead`.
    pub async fn refresh_tokens(
        &self,
        scope: MemberScope,
        ahead: Duration,
    ) -> Result<TokenRefreshCounts> {
        self.call(|a| async move {
            let r = a.refresh_tokens(scope, ahead).await?;
            Ok(TokenRefreshCounts {
                refreshed: r.refreshed,
                refused: r.refused,
                failed: r.failed,
            })
        })
        .await
    }
}

/// One person's side of `find_free_slots`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SlotAttendee {
    /// Their time zone: hours are read on its clock.
    pub timezone: TimeZone,
    /// When they are busy.
    #[uniffi(default = [])]
    pub busy: Vec<TimeSpan>,
    /// The first hour they can meet (default 8).
    #[uniffi(default = 8)]
    pub from_hour: u32,
    /// The hour they stop (default 20; 24: midnight).
    #[uniffi(default = 20)]
    pub to_hour: u32,
    /// Monday to Friday only.
    #[uniffi(default = false)]
    pub weekdays_only: bool,
}

/// What `find_free_slots` looks for.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SlotSearch {
    /// How long the event lasts.
    pub duration: Duration,
    /// Where to look: from.
    pub window_start: UtcTime,
    /// Where to look: until.
    pub window_end: UtcTime,
    /// Free time needed before.
    #[uniffi(default = None)]
    pub buffer_before: Option<Duration>,
    /// Free time needed after.
    #[uniffi(default = None)]
    pub buffer_after: Option<Duration>,
    /// How soon it may start at the earliest, from now.
    #[uniffi(default = None)]
    pub min_notice: Option<Duration>,
    /// How many slots (default 10).
    #[uniffi(default = 10)]
    pub limit: u32,
    /// At most this many from one day (default 2; 0: no limit).
    #[uniffi(default = 2)]
    pub per_day: u32,
}

/// A free slot; `room` is the free time around it (more is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct FreeSlot {
    /// When it starts.
    pub start: UtcTime,
    /// When it ends.
    pub end: UtcTime,
    /// The room around it.
    pub room: Duration,
}

fn span(field: &str, d: Option<Duration>) -> Result<Span> {
    Span::from_std(d.unwrap_or_default()).map_err(|e| FaError::InvalidInput {
        reason: format!("{field}: {e}"),
    })
}

/// The best free slots for everyone in `attendees`, ranked. Pure: `now` is given.
#[uniffi::export]
pub fn find_free_slots(
    now: UtcTime,
    attendees: Vec<SlotAttendee>,
    search: SlotSearch,
) -> Result<Vec<FreeSlot>> {
    let mut people = Vec::new();
    for a in attendees {
        if a.from_hour > 24 || a.to_hour > 24 {
            return Err(FaError::InvalidInput {
                reason: "attendees: hours are 0-24".to_owned(),
            });
        }
        let hours = if a.weekdays_only {
            WorkingHours::weekdays(a.from_hour, a.to_hour % 24)
        } else {
            WorkingHours::every_day(a.from_hour, a.to_hour % 24)
        };
        people.push(
            Attendee::new(a.timezone, hours)
                .busy(a.busy.iter().map(|b| Interval::new(b.start, b.end))),
        );
    }
    let query = SlotQuery::new(
        span("duration", Some(search.duration))?,
        Interval::new(search.window_start, search.window_end),
    )
    .buffers(
        span("buffer_before", search.buffer_before)?,
        span("buffer_after", search.buffer_after)?,
    )
    .min_notice(span("min_notice", search.min_notice)?)
    .limit(search.limit as usize, search.per_day as usize);
    Ok(fa_calendar::slots::find_slots(now, &people, &query)
        .into_iter()
        .map(|s| FreeSlot {
            start: s.start,
            end: s.end,
            room: s.room.to_std().unwrap_or_default(),
        })
        .collect())
}
