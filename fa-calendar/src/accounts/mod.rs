//! A household's calendar connections: which member connected which calendars, how fa signs in
//! to them, and a cache of their busy time.
//!
//! Each connection is an [`Integration`] of the member's (kinds [`GOOGLE_KIND`],
//! [`OUTLOOK_KIND`], [`CALDAV_KIND`]) with non-secret [`CalendarSettings`]; what lets fa in
//! (OAuth tokens, or a CalDAV app password) is its credential, sealed by the [`Vault`].
//!
//! - CalDAV (iCloud, Fastmail, Nextcloud, Radicale): [`CalendarAccounts::connect_caldav`] with
//!   an app-specific password. Discovery runs first; nothing is stored if it fails.
//! - Google and Microsoft: OAuth 2.0 with PKCE. [`CalendarAccounts::start_sign_in`] gives the
//!   member a link to the bot's `/oauth/{provider}/start`, which sends them on to the provider
//!   ([`CalendarAccounts::authorization_url`]); the provider sends them back to
//!   `/oauth/{provider}/callback`, where [`CalendarAccounts::finish_sign_in`] checks the state
//!   (bound to the member, single use, 15 minutes) and stores the tokens sealed. Access tokens
//!   are renewed before they expire; when the provider answers `invalid_grant` the connection is
//!   marked `needs_reauth` and the member is told how to connect again.

mod cache;
#[cfg(feature = "oauth")]
mod sign_in;
#[cfg(feature = "oauth")]
mod stored;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fa_core::calendar::{Calendar, CalendarEntry, CalendarInfo, EventDraft};
use fa_core::{
    Clock, DynStore, Integration, IntegrationId, IntegrationStatus, MemberScope, NewIntegration,
    Secret, SystemClock, Vault,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use cache::{Busy, BusyCache, MAX_CACHED, SyncReport};
#[cfg(feature = "oauth")]
pub use sign_in::{RefreshReport, SIGN_IN_TTL_MINUTES, SignInLink};

use crate::{Error, Result};

/// The integration kind of a Google calendar connection.
pub const GOOGLE_KIND: &str = "google_calendar";
/// The integration kind of a Microsoft (Outlook, Microsoft 365) calendar connection.
pub const OUTLOOK_KIND: &str = "outlook_calendar";
/// The integration kind of a CalDAV (iCloud, Fastmail, Nextcloud, Radicale) connection.
pub const CALDAV_KIND: &str = "caldav_calendar";

/// A calendar provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Google Calendar.
    Google,
    /// Microsoft Graph: Outlook.com and Microsoft 365.
    Microsoft,
    /// A CalDAV server: iCloud, Fastmail, Nextcloud, Radicale.
    #[serde(rename = "caldav")]
    CalDav,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 3] = [Provider::Google, Provider::Microsoft, Provider::CalDav];

    /// The integration kind of its connections.
    pub fn kind(self) -> &'static str {
        match self {
            Provider::Google => GOOGLE_KIND,
            Provider::Microsoft => OUTLOOK_KIND,
            Provider::CalDav => CALDAV_KIND,
        }
    }

    /// The provider of an integration kind.
    pub fn of_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.kind() == kind)
    }

    /// Its name in URLs and commands: `google`, `microsoft`, `caldav`.
    pub fn slug(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Microsoft => "microsoft",
            Provider::CalDav => "caldav",
        }
    }

    /// The provider a member or a URL names: `google`; `microsoft`, `outlook`; `caldav`,
    /// `icloud`, `apple` (any case).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "google" | "gmail" => Some(Provider::Google),
            "microsoft" | "outlook" | "office" | "office365" | "m365" => Some(Provider::Microsoft),
            "caldav" | "icloud" | "apple" => Some(Provider::CalDav),
            _ => None,
        }
    }

    /// Its name for people.
    pub fn title(self) -> &'static str {
        match self {
            Provider::Google => "Google Calendar",
            Provider::Microsoft => "Outlook",
            Provider::CalDav => "CalDAV",
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.slug())
    }
}

/// An OAuth application registered with Google or Microsoft (one for every household the bot
/// serves).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OAuthApp {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: Secret,
    /// Another authorization endpoint (tests).
    pub authorize_url: Option<String>,
    /// Another token endpoint (tests).
    pub token_url: Option<String>,
}

impl OAuthApp {
    /// The app with this client id and secret.
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            authorize_url: None,
            token_url: None,
        }
    }

    /// Other OAuth endpoints (a mock in tests).
    pub fn endpoints(mut self, authorize: impl Into<String>, token: impl Into<String>) -> Self {
        self.authorize_url = Some(authorize.into());
        self.token_url = Some(token.into());
        self
    }
}

/// The operator's side of calendar connections: where the bot can be reached (for OAuth
/// links) and its OAuth apps.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CalendarApps {
    /// The bot's public base URL, e.g. `https://fa.example.org`: OAuth links point to
    /// `{public_url}/oauth/{provider}/start` and providers return to `…/callback`.
    pub public_url: Option<String>,
    /// The Google OAuth app.
    pub google: Option<OAuthApp>,
    /// The Microsoft OAuth app.
    pub microsoft: Option<OAuthApp>,
    /// Another Google Calendar API endpoint (tests).
    pub google_api: Option<String>,
    /// Another Microsoft Graph endpoint (tests).
    pub graph_api: Option<String>,
}

impl CalendarApps {
    /// No OAuth apps: CalDAV only, until some are set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bot's public base URL.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Signs in to Google with `app`.
    pub fn google(mut self, app: OAuthApp) -> Self {
        self.google = Some(app);
        self
    }

    /// Signs in to Microsoft with `app`.
    pub fn microsoft(mut self, app: OAuthApp) -> Self {
        self.microsoft = Some(app);
        self
    }

    /// Other API endpoints for Google Calendar and Microsoft Graph (mocks in tests).
    pub fn api_endpoints(mut self, google: impl Into<String>, graph: impl Into<String>) -> Self {
        self.google_api = Some(google.into());
        self.graph_api = Some(graph.into());
        self
    }
}

/// What fa keeps about a connection besides its secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CalendarSettings {
    /// CalDAV: the server's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// CalDAV: the user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The calendar new events go to (its provider id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_calendar: Option<String>,
    /// That calendar's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_calendar_name: Option<String>,
    /// The calendars whose events count as busy time (empty: the default calendar).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub busy_calendars: Vec<String>,
    /// Busy time as of the last sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<BusyCache>,
}

/// A household's calendar connections.
pub struct CalendarAccounts {
    store: DynStore,
    vault: Arc<Vault>,
    apps: CalendarApps,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CalendarAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarAccounts")
            .field("public_url", &self.apps.public_url)
            .field("google", &self.apps.google.is_some())
            .field("microsoft", &self.apps.microsoft.is_some())
            .finish_non_exhaustive()
    }
}

/// One opened connection: the provider's calendars of one member, ready to read and write.
#[derive(Clone)]
pub struct CalendarConnection {
    integration: Integration,
    provider: Provider,
    settings: CalendarSettings,
    calendar: Arc<dyn Calendar>,
}

impl std::fmt::Debug for CalendarConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarConnection")
            .field("integration", &self.integration.id)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl CalendarConnection {
    /// The integration.
    pub fn integration(&self) -> &Integration {
        &self.integration
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Its settings.
    pub fn settings(&self) -> &CalendarSettings {
        &self.settings
    }

    /// The provider's calendars, to read and write.
    pub fn calendar(&self) -> &Arc<dyn Calendar> {
        &self.calendar
    }

    /// The calendar new events go to: the one chosen, else the provider's primary or first
    /// writable one.
    pub async fn default_calendar(&self) -> Result<CalendarInfo> {
        if let Some(id) = &self.settings.default_calendar {
            let name = self.settings.default_calendar_name.clone();
            return Ok(CalendarInfo::new(
                id.clone(),
                name.unwrap_or_else(|| id.clone()),
                false,
            ));
        }
        let calendars = self.calendar.calendars().await?;
        pick_default(calendars).ok_or_else(|| {
            Error::invalid(
                "calendar",
                format!(
                    "{} \"{}\" has no calendar fa may write to",
                    self.provider.title(),
                    self.integration.label
                ),
            )
        })
    }

    /// The events of its busy calendars overlapping `[from, to)`, repeating ones expanded.
    pub async fn events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEntry>> {
        let mut out = Vec::new();
        for calendar in self.busy_calendars().await? {
            out.extend(self.calendar.events(&calendar, from, to).await?);
        }
        Ok(out)
    }

    /// The calendars whose events count as busy time.
    pub async fn busy_calendars(&self) -> Result<Vec<String>> {
        if !self.settings.busy_calendars.is_empty() {
            return Ok(self.settings.busy_calendars.clone());
        }
        Ok(vec![self.default_calendar().await?.id])
    }
}

/// The primary calendar (Google's `primary`, or the first writable one).
fn pick_default(calendars: Vec<CalendarInfo>) -> Option<CalendarInfo> {
    let writable: Vec<CalendarInfo> = calendars.into_iter().filter(|c| !c.read_only).collect();
    writable
        .iter()
        .position(|c| c.id == "primary")
        .or(if writable.is_empty() { None } else { Some(0) })
        .and_then(|i| writable.into_iter().nth(i))
}

impl CalendarAccounts {
    /// Connections on `store`, secrets sealed by `vault`, signed in with `apps`.
    pub fn new(store: DynStore, vault: Arc<Vault>, apps: CalendarApps) -> Self {
        Self {
            store,
            vault,
            apps,
            clock: Arc::new(SystemClock),
        }
    }

    /// Uses `clock` for token life, sign-in expiry and the cache's age.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// The apps.
    pub fn apps(&self) -> &CalendarApps {
        &self.apps
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Connects a CalDAV account (iCloud: `https://caldav.icloud.com`, the Apple ID and an
    /// app-specific password). Discovery runs first, so a wrong password or URL is reported
    /// and nothing is stored.
    #[cfg(feature = "caldav")]
    pub async fn connect_caldav(
        &self,
        scope: MemberScope,
        label: &str,
        server: &str,
        username: &str,
        password: Secret,
    ) -> Result<CalendarConnection> {
        let tz = self.timezone(scope).await?;
        let caldav =
            crate::caldav::CalDavCalendar::discover(server, username, password.clone(), tz).await?;
        let default = pick_default(caldav.calendars().await?);
        let settings = CalendarSettings {
            server: Some(server.to_owned()),
            username: Some(username.to_owned()),
            default_calendar: default.as_ref().map(|c| c.id.clone()),
            default_calendar_name: default.map(|c| c.name),
            ..CalendarSettings::default()
        };
        let integration = self
            .store
            .create_integration(
                scope,
                NewIntegration::new(CALDAV_KIND, label).with_settings(json!(settings)),
            )
            .await?;
        self.vault
            .store_credential(self.store.as_ref(), scope, integration.id, &password)
            .await?;
        Ok(CalendarConnection {
            integration,
            provider: Provider::CalDav,
            settings,
            calendar: Arc::new(caldav),
        })
    }

    /// The member's calendar connections (any state), oldest first.
    pub async fn connections(&self, scope: MemberScope) -> Result<Vec<Integration>> {
        Ok(self
            .store
            .integrations(scope)
            .await?
            .into_iter()
            .filter(|i| Provider::of_kind(&i.kind).is_some())
            .collect())
    }

    /// Opens one of the member's connections.
    pub async fn open(&self, scope: MemberScope, id: IntegrationId) -> Result<CalendarConnection> {
        let integration =
            self.store
                .integration(scope, id)
                .await?
                .ok_or(fa_core::Error::NotFound {
                    what: "calendar connection",
                })?;
        let provider = Provider::of_kind(&integration.kind).ok_or(fa_core::Error::NotFound {
            what: "calendar connection",
        })?;
        let settings = settings_of(&integration)?;
        let tz = self.timezone(scope).await?;
        let calendar = self
            .provider_calendar(scope, &integration, provider, &settings, tz)
            .await?;
        Ok(CalendarConnection {
            integration,
            provider,
            settings,
            calendar,
        })
    }

    /// The member's active connections, opened. One that cannot be opened is skipped with a
    /// log line and named in the second list.
    pub async fn open_active(
        &self,
        scope: MemberScope,
    ) -> Result<(Vec<CalendarConnection>, Vec<String>)> {
        let mut open = Vec::new();
        let mut failed = Vec::new();
        for integration in self.connections(scope).await? {
            match integration.status {
                IntegrationStatus::Active => {}
                IntegrationStatus::NeedsReauth
                    if integration.settings.get("default_calendar").is_some() =>
                {
                    failed.push(format!(
                        "{} (needs signing in again: /calendar connect {})",
                        integration.label,
                        Provider::of_kind(&integration.kind).map_or("", Provider::slug)
                    ));
                    continue;
                }
                _ => continue,
            }
            match self.open(scope, integration.id).await {
                Ok(connection) => open.push(connection),
                Err(error) => {
                    tracing::warn!(integration = %integration.id, %error, "a calendar could not be opened");
                    failed.push(format!("{} ({error})", integration.label));
                }
            }
        }
        Ok((open, failed))
    }

    /// The member's events in `[from, to)` from the busy calendars of every active connection,
    /// repeating ones expanded, by start.
    pub async fn events(
        &self,
        scope: MemberScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEntry>> {
        let (open, _) = self.open_active(scope).await?;
        let mut out = Vec::new();
        for connection in open {
            out.extend(connection.events(from, to).await?);
        }
        out.sort_by_key(|e| e.start);
        Ok(out)
    }

    /// Creates `title` from `start` to `end` in the connection's default calendar, written on
    /// the member's clock; returns it as the provider made it (with its link when there is one).
    pub async fn create_event(
        &self,
        scope: MemberScope,
        id: IntegrationId,
        title: &str,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        location: Option<&str>,
    ) -> Result<CalendarEntry> {
        let tz = self.timezone(scope).await?;
        let connection = self.open(scope, id).await?;
        let calendar = connection.default_calendar().await?;
        let mut draft = EventDraft::new(title, start, end, tz);
        if let Some(location) = location {
            draft = draft.location(location);
        }
        let made = connection.calendar.create(&calendar.id, &draft).await?;
        self.forget_busy(scope, id).await?;
        Ok(made)
    }

    /// Makes `calendar` (a provider id, from [`Calendar::calendars`]) the one new events of
    /// this connection go to, and the one whose events count as busy.
    pub async fn set_default_calendar(
        &self,
        scope: MemberScope,
        id: IntegrationId,
        calendar: &CalendarInfo,
    ) -> Result<()> {
        self.change_settings(scope, id, |s| {
            s.default_calendar = Some(calendar.id.clone());
            s.default_calendar_name = Some(calendar.name.clone());
            s.cache = None;
        })
        .await
    }

    /// Makes a new calendar called `name` on a CalDAV connection's server (MKCALENDAR) and makes
    /// it the one new events go to. Google and Microsoft calendars are made in their own apps.
    pub async fn make_calendar(
        &self,
        scope: MemberScope,
        id: IntegrationId,
        name: &str,
    ) -> Result<CalendarInfo> {
        let integration =
            self.store
                .integration(scope, id)
                .await?
                .ok_or(fa_core::Error::NotFound {
                    what: "calendar connection",
                })?;
        if Provider::of_kind(&integration.kind) != Some(Provider::CalDav) {
            return Err(Error::invalid(
                "calendar",
                "make Google and Microsoft calendars in their own apps, then /calendar use <name>",
            ));
        }
        #[cfg(feature = "caldav")]
        {
            let settings = settings_of(&integration)?;
            let tz = self.timezone(scope).await?;
            let password = self
                .vault
                .load_credential(self.store.as_ref(), scope, id)
                .await?
                .ok_or_else(|| Error::invalid("CalDAV connection", "it has no password"))?;
            let (Some(server), Some(username)) = (&settings.server, &settings.username) else {
                return Err(Error::invalid("CalDAV connection", "connect it again"));
            };
            let caldav =
                crate::caldav::CalDavCalendar::discover(server, username.clone(), password, tz)
                    .await?;
            let slug: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            let slug = format!(
                "{}-{}",
                slug.trim_matches('-'),
                &uuid::Uuid::now_v7().simple().to_string()[24..]
            );
            let made = caldav
                .make_calendar(slug.trim_start_matches('-'), name)
                .await?;
            self.set_default_calendar(scope, id, &made).await?;
            Ok(made)
        }
        #[cfg(not(feature = "caldav"))]
        Err(Error::invalid(
            "calendar",
            "this build has no CalDAV support",
        ))
    }

    /// Removes a connection and its secret.
    pub async fn disconnect(&self, scope: MemberScope, id: IntegrationId) -> Result<bool> {
        Ok(self.store.delete_integration(scope, id).await?)
    }

    async fn change_settings(
        &self,
        scope: MemberScope,
        id: IntegrationId,
        change: impl FnOnce(&mut CalendarSettings),
    ) -> Result<()> {
        let integration =
            self.store
                .integration(scope, id)
                .await?
                .ok_or(fa_core::Error::NotFound {
                    what: "calendar connection",
                })?;
        let mut settings = settings_of(&integration)?;
        change(&mut settings);
        self.store
            .update_integration_settings(scope, id, json!(settings))
            .await?;
        Ok(())
    }

    async fn timezone(&self, scope: MemberScope) -> Result<Tz> {
        Ok(self
            .store
            .member(scope)
            .await?
            .ok_or(fa_core::Error::NotFound { what: "member" })?
            .timezone)
    }

    async fn provider_calendar(
        &self,
        scope: MemberScope,
        integration: &Integration,
        provider: Provider,
        settings: &CalendarSettings,
        tz: Tz,
    ) -> Result<Arc<dyn Calendar>> {
        let _ = (tz, settings);
        match provider {
            #[cfg(feature = "caldav")]
            Provider::CalDav => {
                let password = self
                    .vault
                    .load_credential(self.store.as_ref(), scope, integration.id)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid("CalDAV connection", "it has no password; connect it again")
                    })?;
                let (Some(server), Some(username)) = (&settings.server, &settings.username) else {
                    return Err(Error::invalid(
                        "CalDAV connection",
                        "its server or user name is missing; connect it again",
                    ));
                };
                let caldav =
                    crate::caldav::CalDavCalendar::discover(server, username.clone(), password, tz)
                        .await?;
                Ok(Arc::new(caldav))
            }
            #[cfg(feature = "google")]
            Provider::Google => {
                let token = self.token_source(scope, integration, provider);
                let base = self
                    .apps
                    .google_api
                    .clone()
                    .unwrap_or_else(|| crate::google::GOOGLE_API.to_owned());
                Ok(Arc::new(
                    crate::google::GoogleCalendar::with_base(base, token).viewer(tz),
                ))
            }
            #[cfg(feature = "outlook")]
            Provider::Microsoft => {
                let token = self.token_source(scope, integration, provider);
                let base = self
                    .apps
                    .graph_api
                    .clone()
                    .unwrap_or_else(|| crate::outlook::GRAPH_API.to_owned());
                Ok(Arc::new(
                    crate::outlook::OutlookCalendar::with_base(base, token).viewer(tz),
                ))
            }
            #[allow(unreachable_patterns)]
            other => {
                let _ = (scope, integration);
                Err(Error::invalid(
                    "calendar connection",
                    format!(
                        "this build has no {} support (cargo feature `{}`)",
                        other.title(),
                        match other {
                            Provider::Microsoft => "outlook",
                            p => p.slug(),
                        }
                    ),
                ))
            }
        }
    }
}

fn settings_of(integration: &Integration) -> Result<CalendarSettings> {
    serde_json::from_value(integration.settings.clone())
        .map_err(|e| Error::invalid("calendar connection settings", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_named_as_members_and_urls_name_them() {
        for provider in Provider::ALL {
            assert_eq!(Provider::parse(provider.slug()), Some(provider));
            assert_eq!(Provider::of_kind(provider.kind()), Some(provider));
        }
        assert_eq!(Provider::parse("iCloud"), Some(Provider::CalDav));
        assert_eq!(Provider::parse("Outlook"), Some(Provider::Microsoft));
        assert_eq!(Provider::parse("yahoo"), None);
        // Serialized as its slug.
        for provider in Provider::ALL {
            assert_eq!(serde_json::json!(provider), provider.slug());
        }
    }

    #[test]
    fn the_default_calendar_is_the_primary_or_the_first_writable_one() {
        let cal = |id: &str, ro: bool| CalendarInfo::new(id, id, ro);
        assert_eq!(
            pick_default(vec![
                cal("holidays", true),
                cal("work", false),
                cal("primary", false)
            ])
            .map(|c| c.id),
            Some("primary".to_owned())
        );
        assert_eq!(
            pick_default(vec![cal("holidays", true), cal("family", false)]).map(|c| c.id),
            Some("family".to_owned())
        );
        assert_eq!(pick_default(vec![cal("holidays", true)]), None);
    }
}
