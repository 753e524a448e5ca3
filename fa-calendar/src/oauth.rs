//! OAuth 2.0 authorization code flow with PKCE (RFC 6749, RFC 7636) for Google and Microsoft:
//! the link a member opens ([`OAuthClient::authorization_url`], with an S256 code challenge),
//! the code exchanged for tokens at the callback ([`OAuthClient::exchange`]), and access tokens
//! renewed from the refresh token ([`OAuthClient::refresh`]). `invalid_grant` (the member
//! revoked access, or the refresh token expired) comes back as `Unauthorized`, saying to
//! connect again.
//!
//! ```
//! use fa_calendar::oauth::{OAuthClient, Pkce};
//! use fa_core::Secret;
//!
//! let google = OAuthClient::google("1234.apps.googleusercontent.com", Secret::new("secret"),
//!     "https://fa.example.org/oauth/google/callback");
//! let pkce = Pkce::generate().unwrap();
//! let link = google.authorization_url("state-123", &pkce);
//! assert!(link.contains("code_challenge_method=S256"));
//! ```

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use fa_core::Secret;
use fa_core::calendar::CalendarError;
use fa_core::connector::ConnectorErrorKind;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Google's OAuth endpoints.
pub const GOOGLE_AUTHORIZE: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const GOOGLE_TOKEN: &str = "https://oauth2.googleapis.com/token";
/// The scope for reading and writing events.
pub const GOOGLE_SCOPE: &str = "https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.readonly";
/// Microsoft identity platform endpoints (the `common` tenant: work, school and personal
/// accounts).
pub const MICROSOFT_AUTHORIZE: &str =
    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize";
/// Microsoft's token endpoint.
pub const MICROSOFT_TOKEN: &str = "https://login.microsoftonline.com/common/oauth2/v2.0/token";
/// The scopes for calendars, with a refresh token.
pub const MICROSOFT_SCOPE: &str = "offline_access Calendars.ReadWrite Calendars.Read.Shared";

/// A PKCE pair: the verifier kept by fa, the challenge sent in the link.
pub struct Pkce {
    /// The code verifier (43 characters of base64url: 32 random bytes).
    pub verifier: Secret,
    /// `BASE64URL(SHA256(verifier))`.
    pub challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl Pkce {
    /// A fresh random verifier and its S256 challenge.
    pub fn generate() -> Result<Self, CalendarError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            CalendarError::new(
                ConnectorErrorKind::Permanent,
                format!("no randomness for PKCE: {e}"),
            )
        })?;
        Ok(Self::from_verifier(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The pair for a known verifier.
    pub fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier: Secret::new(verifier),
            challenge,
        }
    }
}

/// Tokens from the token endpoint.
#[derive(Clone)]
pub struct Tokens {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token (Google sends it once, at the first consent; Microsoft each time).
    pub refresh_token: Option<Secret>,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
    #[serde(default = "default_expiry")]
    expires_in: i64,
}

fn default_expiry() -> i64 {
    3600
}

#[derive(Deserialize, Default)]
struct TokenError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// One OAuth application (its client id and secret) at one provider.
pub struct OAuthClient {
    http: reqwest::Client,
    provider: &'static str,
    client_id: String,
    client_secret: Secret,
    redirect_uri: String,
    authorize_url: String,
    token_url: String,
    scope: String,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// Google, with the app's client id and secret, returning to `redirect_uri`.
    pub fn google(
        client_id: impl Into<String>,
        client_secret: Secret,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self::new(
            "google",
            client_id,
            client_secret,
            redirect_uri,
            GOOGLE_AUTHORIZE,
            GOOGLE_TOKEN,
            GOOGLE_SCOPE,
        )
    }

    /// Microsoft (the `common` tenant).
    pub fn microsoft(
        client_id: impl Into<String>,
        client_secret: Secret,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self::new(
            "microsoft",
            client_id,
            client_secret,
            redirect_uri,
            MICROSOFT_AUTHORIZE,
            MICROSOFT_TOKEN,
            MICROSOFT_SCOPE,
        )
    }

    fn new(
        provider: &'static str,
        client_id: impl Into<String>,
        client_secret: Secret,
        redirect_uri: impl Into<String>,
        authorize_url: &str,
        token_url: &str,
        scope: &str,
    ) -> Self {
        Self {
            http: reqwest::Client::new(),
            provider,
            client_id: client_id.into(),
            client_secret,
            redirect_uri: redirect_uri.into(),
            authorize_url: authorize_url.to_owned(),
            token_url: token_url.to_owned(),
            scope: scope.to_owned(),
        }
    }

    /// Other endpoints (a mock in tests).
    pub fn endpoints(
        mut self,
        authorize_url: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Self {
        self.authorize_url = authorize_url.into();
        self.token_url = token_url.into();
        self
    }

    /// The link the member opens to grant access; `state` comes back with the code.
    pub fn authorization_url(&self, state: &str, pkce: &Pkce) -> String {
        let mut url = match reqwest::Url::parse(&self.authorize_url) {
            Ok(url) => url,
            Err(_) => return self.authorize_url.clone(),
        };
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("scope", &self.scope)
                .append_pair("state", state)
                .append_pair("code_challenge", &pkce.challenge)
                .append_pair("code_challenge_method", "S256");
            if self.provider == "google" {
                // A refresh token, and the consent screen again so that one is sent.
                query
                    .append_pair("access_type", "offline")
                    .append_pair("prompt", "consent");
            }
        }
        url.to_string()
    }

    /// Exchanges the callback's `code` (with the verifier of the link's challenge) for tokens,
    /// as of `now`.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &Secret,
        now: DateTime<Utc>,
    ) -> Result<Tokens, CalendarError> {
        self.token(
            "code exchange",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", verifier.expose()),
            ],
            now,
        )
        .await
    }

    /// A new access token from `refresh_token`, as of `now`.
    pub async fn refresh(
        &self,
        refresh_token: &Secret,
        now: DateTime<Utc>,
    ) -> Result<Tokens, CalendarError> {
        let mut tokens = self
            .token(
                "token refresh",
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.expose()),
                ],
                now,
            )
            .await?;
        // Google keeps the refresh token; Microsoft may rotate it.
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token.clone());
        }
        Ok(tokens)
    }

    async fn token(
        &self,
        what: &str,
        form: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> Result<Tokens, CalendarError> {
        let mut fields: Vec<(&str, &str)> = vec![
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
        ];
        fields.extend_from_slice(form);
        let response = self
            .http
            .post(&self.token_url)
            .form(&fields)
            .send()
            .await
            .map_err(|e| {
                CalendarError::new(
                    ConnectorErrorKind::Transient,
                    format!(
                        "{} {what}: not reachable ({})",
                        self.provider,
                        e.without_url()
                    ),
                )
            })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| {
            CalendarError::new(
                ConnectorErrorKind::Transient,
                format!("{} {what}: {}", self.provider, e.without_url()),
            )
        })?;
        if status.is_success() {
            let answer: TokenAnswer = serde_json::from_str(&text).map_err(|e| {
                CalendarError::new(
                    ConnectorErrorKind::Permanent,
                    format!("{} {what}: unreadable answer ({e})", self.provider),
                )
            })?;
            return Ok(Tokens {
                access_token: Secret::new(answer.access_token),
                refresh_token: answer.refresh_token.map(Secret::new),
                expires_at: now + Duration::seconds(answer.expires_in.max(0)),
            });
        }
        let refused: TokenError = serde_json::from_str(&text).unwrap_or_default();
        let (kind, hint) = match refused.error.as_str() {
            "invalid_grant" => (
                ConnectorErrorKind::Unauthorized,
                "; the grant was revoked or has expired: connect the account again",
            ),
            // The app's credentials, not the member's grant: nothing for the member to redo.
            "invalid_client" | "unauthorized_client" => (
                ConnectorErrorKind::Permanent,
                "; the operator checks the app's client id and secret (members stay connected)",
            ),
            _ if status.is_server_error() => (ConnectorErrorKind::Transient, ""),
            _ => (ConnectorErrorKind::Permanent, ""),
        };
        Err(CalendarError::new(
            kind,
            format!(
                "{} {what}: {} {} ({}){hint}",
                self.provider,
                status.as_u16(),
                refused.error,
                refused.error_description
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_s256() {
        // RFC 7636, appendix B: the example verifier and its challenge.
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let fresh = Pkce::generate().unwrap();
        assert_eq!(fresh.verifier.expose().len(), 43);
        assert_ne!(
            fresh.verifier.expose(),
            Pkce::generate().unwrap().verifier.expose()
        );
        assert!(!format!("{fresh:?}").contains(fresh.verifier.expose()));
    }
}
