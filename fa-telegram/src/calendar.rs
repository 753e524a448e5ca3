//! The `[calendar]` section at work: with the `calendar` feature, a configured section gives
//! the bot the calendar tools, job kinds and `/calendar`, and the HTTP server the OAuth routes
//! ([`fa_calendar::integration::CalendarIntegration`]). Without the feature a configured
//! section is refused with what to do.

use std::sync::Arc;

use fa_core::{Clock, DynStore, Vault};

use crate::bot::BotError;
use crate::config::CalendarConfig;

#[cfg(feature = "calendar")]
pub(crate) use fa_calendar::integration::CalendarIntegration;

/// Stands in for the integration in builds without the `calendar` feature: it cannot be made.
#[cfg(not(feature = "calendar"))]
pub(crate) enum CalendarIntegration {}

/// The integration `config` describes, timed by `clock`.
#[cfg(feature = "calendar")]
pub(crate) fn integration(
    config: &CalendarConfig,
    store: DynStore,
    vault: Arc<Vault>,
    clock: Arc<dyn Clock>,
) -> Result<CalendarIntegration, BotError> {
    use fa_calendar::accounts::{CalendarApps, OAuthApp};

    let text = |url: &url::Url| url.as_str().trim_end_matches('/').to_owned();
    let app = |c: &crate::config::OAuthAppConfig| {
        let app = OAuthApp::new(c.client_id.clone(), c.client_secret.clone());
        match (&c.authorize_url, &c.token_url) {
            (Some(a), Some(t)) => app.endpoints(a.to_string(), t.to_string()),
            _ => app,
        }
    };
    let mut apps = CalendarApps::new();
    if let Some(url) = &config.public_url {
        apps = apps.public_url(text(url));
    }
    if let Some(google) = &config.google {
        apps = apps.google(app(google));
    }
    if let Some(microsoft) = &config.microsoft {
        apps = apps.microsoft(app(microsoft));
    }
    apps.google_api = config.google_api_url.as_ref().map(text);
    apps.graph_api = config.graph_api_url.as_ref().map(text);
    let mut providers = vec!["CalDAV"];
    if config.google.is_some() {
        providers.push("Google");
    }
    if config.microsoft.is_some() {
        providers.push("Microsoft");
    }
    println!("calendar:  {}", providers.join(", "));
    Ok(CalendarIntegration::new(store, vault, apps).with_clock(clock))
}

/// Builds without the `calendar` feature refuse a configured `[calendar]` section.
#[cfg(not(feature = "calendar"))]
pub(crate) fn integration(
    _config: &CalendarConfig,
    _store: DynStore,
    _vault: Arc<Vault>,
    _clock: Arc<dyn Clock>,
) -> Result<CalendarIntegration, BotError> {
    Err(BotError::Other(
        "a [calendar] section is configured, but this build has no calendar support; build with the `calendar` feature or remove the section".to_owned(),
    ))
}

/// The OAuth routes of the integration.
#[cfg(feature = "calendar")]
pub(crate) fn routes(calendar: &CalendarIntegration) -> axum::Router {
    crate::oauth::oauth_router(calendar.accounts().clone())
}

/// The same calls as the real integration, so the bot's code has no feature switches.
#[cfg(not(feature = "calendar"))]
impl CalendarIntegration {
    pub(crate) fn add_tools(&self, _: &mut fa_core::assistant::Toolbox) -> fa_core::Result<()> {
        match *self {}
    }

    pub(crate) fn register_jobs(&self, _: &mut fa_core::scheduler::JobRegistry) {
        match *self {}
    }

    pub(crate) fn command(&self) -> Arc<dyn fa_core::engine::ChatCommand> {
        match *self {}
    }
}

#[cfg(not(feature = "calendar"))]
pub(crate) fn routes(calendar: &CalendarIntegration) -> axum::Router {
    match *calendar {}
}
