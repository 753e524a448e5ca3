//! Signing in to Google and Microsoft (OAuth 2.0 authorization code with PKCE) and keeping the
//! access token fresh.
//!
//! The `state` a link carries is `household.member.integration.secret`: the ids say whose
//! sign-in it is (so the callback reads only that member's row), the 32 random bytes prove the
//! link is the one fa made. Only the secret's SHA-256 is stored, beside the PKCE verifier, in
//! the connection's sealed credential; the callback compares digests in constant time and then
//! swaps the credential for a "used" marker with a compare-and-swap, so a state works once
//! even when two callbacks race.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use fa_core::calendar::CalendarError;
use fa_core::connector::ConnectorErrorKind;
use fa_core::{
    Clock, DynStore, HouseholdId, Integration, IntegrationId, IntegrationStatus, MemberScope,
    NewIntegration, NewNotification, Secret, Vault,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::stored::Stored;
use super::{CalendarAccounts, CalendarApps, CalendarSettings, Provider, pick_default};
use crate::oauth::{OAuthClient, Pkce};
use crate::token::AccessToken;
use crate::{Error, Result};

/// How long a sign-in link works.
pub const SIGN_IN_TTL_MINUTES: i64 = 15;

/// An access token this close to expiry is renewed before use.
const RENEW_BEFORE: Duration = Duration::minutes(5);

/// A sign-in started for a member: the link to send them. Its `Debug` leaves out the link,
/// which carries the state's secret.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignInLink {
    /// The connection being signed in.
    pub integration: IntegrationId,
    /// The bot's `/oauth/{provider}/start` link; it works once, for
    /// [`SIGN_IN_TTL_MINUTES`] minutes.
    pub url: String,
    /// Until when it works.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SignInLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInLink")
            .field("integration", &self.integration)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What a token refresh round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshReport {
    /// Tokens renewed.
    pub refreshed: u32,
    /// Connections the provider refused: now `needs_reauth`, their members told.
    pub refused: u32,
    /// Renewals that failed for now (the provider was unreachable); retried next round.
    pub failed: u32,
}

fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

struct State {
    scope: MemberScope,
    integration: IntegrationId,
    secret: String,
}

fn parse_state(state: &str) -> Result<State> {
    let refused = || Error::invalid("sign-in link", "it is not one fa made; start again");
    let mut parts = state.split('.');
    let (Some(h), Some(m), Some(i), Some(secret), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(refused());
    };
    let household: HouseholdId = h.parse().map_err(|_| refused())?;
    let member = m.parse().map_err(|_| refused())?;
    let integration = i.parse().map_err(|_| refused())?;
    if secret.len() != 43 {
        return Err(refused());
    }
    Ok(State {
        scope: MemberScope::new(household, member),
        integration,
        secret: secret.to_owned(),
    })
}

impl CalendarApps {
    fn oauth_client(&self, provider: Provider) -> Result<OAuthClient> {
        let not_set = |what: &str| {
            Error::invalid(
                "calendar sign-in",
                format!(
                    "{} sign-in is not set up on this bot: the operator sets {what} (see \
                     docs/calendars.md)",
                    provider.title()
                ),
            )
        };
        let public = self
            .public_url
            .as_deref()
            .ok_or_else(|| not_set("calendar.public_url"))?;
        let redirect = format!("{public}/oauth/{}/callback", provider.slug());
        let (app, client) = match provider {
            Provider::Google => {
                let app = self
                    .google
                    .as_ref()
                    .ok_or_else(|| not_set("the Google client id and secret"))?;
                let client =
                    OAuthClient::google(app.client_id.clone(), app.client_secret.clone(), redirect);
                (app, client)
            }
            Provider::Microsoft => {
                let app = self
                    .microsoft
                    .as_ref()
                    .ok_or_else(|| not_set("the Microsoft client id and secret"))?;
                let client = OAuthClient::microsoft(
                    app.client_id.clone(),
                    app.client_secret.clone(),
                    redirect,
                );
                (app, client)
            }
            Provider::CalDav => {
                return Err(Error::invalid(
                    "calendar sign-in",
                    "CalDAV signs in with an app password: /calendar connect caldav <server> <user> <app password>",
                ));
            }
        };
        Ok(match (&app.authorize_url, &app.token_url) {
            (Some(a), Some(t)) => client.endpoints(a.clone(), t.clone()),
            _ => client,
        })
    }
}

impl CalendarAccounts {
    /// Starts signing the member in to `provider` (Google or Microsoft): a connection waiting
    /// for sign-in (a new one, or the member's one that needs it again) and the link to send
    /// them. Starting again makes the previous link stop working.
    pub async fn start_sign_in(
        &self,
        scope: MemberScope,
        provider: Provider,
    ) -> Result<SignInLink> {
        // Refuse early when the app is not configured, before anything is stored.
        self.apps.oauth_client(provider)?;
        let public = self.apps.public_url.clone().unwrap_or_default();
        let waiting = self
            .connections(scope)
            .await?
            .into_iter()
            .find(|i| i.kind == provider.kind() && i.status == IntegrationStatus::NeedsReauth);
        let integration = match waiting {
            Some(integration) => integration,
            None => {
                let new = NewIntegration::new(provider.kind(), provider.title())
                    .with_settings(serde_json::json!(CalendarSettings::default()));
                let created = self.store.create_integration(scope, new).await?;
                self.store
                    .set_integration_status(scope, created.id, IntegrationStatus::NeedsReauth)
                    .await?;
                created
            }
        };
        // 32 random bytes, base64url: the same making as a PKCE verifier.
        let secret = Pkce::generate()?.verifier;
        let verifier = Pkce::generate()?.verifier;
        let expires_at = self.now() + Duration::minutes(SIGN_IN_TTL_MINUTES);
        let stored = Stored::SigningIn {
            verifier: verifier.expose().to_owned(),
            state_digest: digest(secret.expose()),
            expires_at,
        };
        self.vault
            .store_credential(
                self.store.as_ref(),
                scope,
                integration.id,
                &stored.to_secret()?,
            )
            .await?;
        let state = format!(
            "{}.{}.{}.{}",
            scope.household.as_uuid().simple(),
            scope.member.as_uuid().simple(),
            integration.id.as_uuid().simple(),
            secret.expose()
        );
        Ok(SignInLink {
            integration: integration.id,
            url: format!("{public}/oauth/{}/start?state={state}", provider.slug()),
            expires_at,
        })
    }

    /// Checks a sign-in `state` (it must be live and unused) and returns the provider's page
    /// to send the member to. Nothing is used up: the callback does that.
    pub async fn authorization_url(&self, provider: Provider, state: &str) -> Result<String> {
        let (_, _, stored) = self.signing_in(provider, state).await?;
        let Stored::SigningIn { verifier, .. } = stored else {
            return Err(used());
        };
        let pkce = Pkce::from_verifier(verifier);
        Ok(self
            .apps
            .oauth_client(provider)?
            .authorization_url(state, &pkce))
    }

    /// Finishes a sign-in at the provider's callback: checks `state`, uses it up, exchanges
    /// `code` (with the PKCE verifier) for tokens, stores them sealed, and tells the member.
    pub async fn finish_sign_in(
        &self,
        provider: Provider,
        state: &str,
        code: &str,
    ) -> Result<Integration> {
        let (parsed, sealed, stored) = self.signing_in(provider, state).await?;
        let Stored::SigningIn { verifier, .. } = stored else {
            return Err(used());
        };
        let scope = parsed.scope;
        let id = parsed.integration;
        let used_marker = self.vault.seal(scope, id, &Stored::Used.to_secret()?)?;
        if !self
            .store
            .replace_credential(scope, id, &sealed, &used_marker)
            .await?
        {
            return Err(used());
        }
        let client = self.apps.oauth_client(provider)?;
        let tokens = client
            .exchange(code, &Secret::new(verifier), self.now())
            .await?;
        if tokens.refresh_token.is_none() {
            return Err(Error::invalid(
                "calendar sign-in",
                format!(
                    "{} sent no refresh token, so fa could not stay signed in; remove fa's \
                     access in the account's security settings and connect again",
                    provider.title()
                ),
            ));
        }
        self.vault
            .store_credential(
                self.store.as_ref(),
                scope,
                id,
                &Stored::from(tokens).to_secret()?,
            )
            .await?;
        self.store
            .set_integration_status(scope, id, IntegrationStatus::Active)
            .await?;
        let connection = self.open(scope, id).await?;
        let chosen = match &connection.settings.default_calendar {
            Some(_) => connection.default_calendar().await.ok(),
            None => match connection.calendar.calendars().await {
                Ok(calendars) => pick_default(calendars),
                Err(error) => {
                    tracing::warn!(%error, "signed in, but the calendars could not be listed yet");
                    None
                }
            },
        };
        if let Some(calendar) = &chosen {
            self.set_default_calendar(scope, id, calendar).await?;
        }
        let calendar = chosen.map_or_else(
            || "your main calendar".to_owned(),
            |c| format!("\"{}\"", c.name),
        );
        let message = format!(
            "{} is connected. Events you ask me to add go to {calendar}; /calendar use <name> \
             picks another of your calendars (a name I do not know lists them).",
            provider.title()
        );
        self.tell(
            scope,
            format!("calendar-connected:{id}:{}", self.now().timestamp()),
            message,
        )
        .await?;
        self.store
            .integration(scope, id)
            .await?
            .ok_or(Error::Store(fa_core::Error::NotFound {
                what: "calendar connection",
            }))
    }

    /// The stored sign-in `state` names, checked: the provider matches, the secret matches (in
    /// constant time), it has not expired.
    async fn signing_in(
        &self,
        provider: Provider,
        state: &str,
    ) -> Result<(State, fa_core::vault::SealedCredential, Stored)> {
        let parsed = parse_state(state)?;
        let integration = self
            .store
            .integration(parsed.scope, parsed.integration)
            .await?
            .filter(|i| i.kind == provider.kind())
            .ok_or_else(|| Error::invalid("sign-in link", "it is not one fa made; start again"))?;
        let sealed = self
            .store
            .credential(parsed.scope, integration.id)
            .await?
            .ok_or_else(used)?;
        let stored = Stored::read(&self.vault.open(parsed.scope, integration.id, &sealed)?)?;
        match &stored {
            Stored::SigningIn {
                state_digest,
                expires_at,
                ..
            } => {
                let given = digest(&parsed.secret);
                if !bool::from(given.as_bytes().ct_eq(state_digest.as_bytes())) {
                    return Err(Error::invalid(
                        "sign-in link",
                        "it is not the latest one fa made; use the newest link or start again",
                    ));
                }
                if *expires_at <= self.now() {
                    return Err(Error::invalid(
                        "sign-in link",
                        format!(
                            "it expired ({SIGN_IN_TTL_MINUTES} minutes); send /calendar connect {provider} for a new one"
                        ),
                    ));
                }
            }
            _ => return Err(used()),
        }
        Ok((parsed, sealed, stored))
    }

    /// Renews the member's access tokens that expire within `ahead` (the token refresh job).
    pub async fn refresh_tokens(
        &self,
        scope: MemberScope,
        ahead: std::time::Duration,
    ) -> Result<RefreshReport> {
        let ahead = Duration::from_std(ahead).unwrap_or(RENEW_BEFORE);
        let mut report = RefreshReport::default();
        for integration in self.connections(scope).await? {
            let provider = Provider::of_kind(&integration.kind);
            if integration.status != IntegrationStatus::Active
                || !matches!(provider, Some(Provider::Google | Provider::Microsoft))
            {
                continue;
            }
            match self.token_parts(scope, &integration).fresh(ahead).await {
                Ok(true) => report.refreshed += 1,
                Ok(false) => {}
                Err(e) if e.kind == ConnectorErrorKind::Unauthorized => report.refused += 1,
                Err(error) => {
                    tracing::warn!(integration = %integration.id, %error, "token refresh failed; retried next round");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    pub(super) fn token_source(
        &self,
        scope: MemberScope,
        integration: &Integration,
        _provider: Provider,
    ) -> Arc<dyn AccessToken> {
        Arc::new(self.token_parts(scope, integration))
    }

    fn token_parts(&self, scope: MemberScope, integration: &Integration) -> StoredToken {
        StoredToken {
            store: self.store.clone(),
            vault: self.vault.clone(),
            apps: self.apps.clone(),
            clock: self.clock.clone(),
            scope,
            integration: integration.clone(),
            cached: Mutex::new(None),
        }
    }

    pub(super) async fn tell(
        &self,
        scope: MemberScope,
        key: String,
        message: String,
    ) -> Result<()> {
        self.store
            .enqueue_notification(
                scope,
                NewNotification::new(fa_core::scheduler::DEFAULT_CHANNEL, key, message),
            )
            .await?;
        Ok(())
    }
}

fn used() -> Error {
    Error::invalid(
        "sign-in link",
        "it was already used; send /calendar connect again for a new one",
    )
}

/// Access tokens of one connection, from the vault, renewed when near expiry. Renewals are
/// written back with a compare-and-swap, so two renewing at once keep one token set.
struct StoredToken {
    store: DynStore,
    vault: Arc<Vault>,
    apps: CalendarApps,
    clock: Arc<dyn Clock>,
    scope: MemberScope,
    integration: Integration,
    cached: Mutex<Option<(Secret, DateTime<Utc>)>>,
}

impl StoredToken {
    fn provider(&self) -> Provider {
        Provider::of_kind(&self.integration.kind).unwrap_or(Provider::Google)
    }

    fn refused(&self, what: &str) -> CalendarError {
        CalendarError::new(
            ConnectorErrorKind::Unauthorized,
            format!(
                "{} \"{}\" {what}; connect it again with /calendar connect {}",
                self.provider().title(),
                self.integration.label,
                self.provider()
            ),
        )
    }

    /// Fa has no usable tokens for the connection (never signed in, or unreadable): the member
    /// connects again, but the provider refused nothing, so the state is left as it is.
    fn not_signed_in(&self) -> CalendarError {
        CalendarError::new(
            ConnectorErrorKind::Permanent,
            format!(
                "{} \"{}\" is not signed in; connect it with /calendar connect {}",
                self.provider().title(),
                self.integration.label,
                self.provider()
            ),
        )
    }

    fn internal(error: impl std::fmt::Display) -> CalendarError {
        CalendarError::new(ConnectorErrorKind::Permanent, error.to_string())
    }

    /// The stored tokens, renewed if they expire within `ahead`; `true` if renewed.
    async fn fresh(&self, ahead: Duration) -> Result<bool, CalendarError> {
        let id = self.integration.id;
        let sealed = self
            .store
            .credential(self.scope, id)
            .await
            .map_err(Self::internal)?
            .ok_or_else(|| self.not_signed_in())?;
        let opened = self
            .vault
            .open(self.scope, id, &sealed)
            .map_err(Self::internal)?;
        let Ok(Stored::Tokens {
            access_token,
            refresh_token,
            expires_at,
        }) = Stored::read(&opened)
        else {
            return Err(self.not_signed_in());
        };
        let now = self.clock.now();
        if expires_at > now + ahead {
            self.remember(Secret::new(access_token), expires_at);
            return Ok(false);
        }
        let refresh_token = refresh_token.ok_or_else(|| self.not_signed_in())?;
        let client = self
            .apps
            .oauth_client(self.provider())
            .map_err(|e| CalendarError::new(ConnectorErrorKind::Permanent, e.to_string()))?;
        let tokens = match client.refresh(&Secret::new(refresh_token), now).await {
            Ok(tokens) => tokens,
            Err(error) if error.kind == ConnectorErrorKind::Unauthorized => {
                self.needs_reauth().await;
                return Err(self.refused("no longer lets fa in"));
            }
            Err(error) => return Err(error),
        };
        let (access, expires_at) = (tokens.access_token.clone(), tokens.expires_at);
        let renewed = Stored::from(tokens).to_secret().map_err(Self::internal)?;
        let sealed_new = self
            .vault
            .seal(self.scope, id, &renewed)
            .map_err(Self::internal)?;
        let swapped = self
            .store
            .replace_credential(self.scope, id, &sealed, &sealed_new)
            .await
            .map_err(Self::internal)?;
        if !swapped {
            // Someone renewed at the same time: theirs is stored; use it.
            return Box::pin(self.fresh(Duration::zero())).await.map(|_| true);
        }
        self.remember(access, expires_at);
        Ok(true)
    }

    fn remember(&self, token: Secret, expires_at: DateTime<Utc>) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((token, expires_at));
        }
    }

    /// Marks the connection `needs_reauth` and tells the member, once a day.
    async fn needs_reauth(&self) {
        let id = self.integration.id;
        let marked = self
            .store
            .set_integration_status(self.scope, id, IntegrationStatus::NeedsReauth)
            .await;
        let today = self.clock.now().date_naive();
        let provider = self.provider();
        let message = format!(
            "{} no longer lets me into your calendar \"{}\" (access was removed or expired). \
             Send /calendar connect {provider} to sign in again; until then I cannot read or add \
             events there.",
            provider.title(),
            self.integration.label
        );
        let told = self
            .store
            .enqueue_notification(
                self.scope,
                NewNotification::new(
                    fa_core::scheduler::DEFAULT_CHANNEL,
                    format!("calendar-reauth:{id}:{today}"),
                    message,
                ),
            )
            .await;
        if let Err(error) = marked.and(told.map(|_| ())) {
            tracing::error!(integration = %id, %error, "could not mark a refused calendar connection");
        }
    }
}

#[async_trait]
impl AccessToken for StoredToken {
    async fn access_token(&self) -> Result<Secret, CalendarError> {
        let now = self.clock.now();
        if let Ok(cached) = self.cached.lock()
            && let Some((token, expires_at)) = cached.as_ref()
            && *expires_at > now + RENEW_BEFORE
        {
            return Ok(token.clone());
        }
        self.fresh(RENEW_BEFORE).await?;
        self.cached
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(|(t, _)| t.clone()))
            .ok_or_else(|| self.not_signed_in())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_read_strictly() {
        let h = HouseholdId::new();
        let m = fa_core::MemberId::new();
        let i = IntegrationId::new();
        let secret = "a".repeat(43);
        let state = format!(
            "{}.{}.{}.{secret}",
            h.as_uuid().simple(),
            m.as_uuid().simple(),
            i.as_uuid().simple()
        );
        let parsed = parse_state(&state).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.scope, MemberScope::new(h, m));
        assert_eq!(parsed.integration, i);
        for bad in [
            "",
            "x.y.z.w",
            &format!("{state}.extra"),
            &state[..state.len() - 1],
            &state.replacen('.', "-", 1),
        ] {
            assert!(parse_state(bad).is_err(), "{bad:?}");
        }
    }
}
