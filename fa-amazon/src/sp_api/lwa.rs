//! Login with Amazon: the refresh-token grant, with the access token cached and renewed before
//! its hour ends.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fa_core::{Clock, Secret};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::{Error, Result};

/// LWA's token endpoint.
pub const LWA_TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";

/// Renew this long before the token expires, so no call goes out with a token about to end.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// The app's LWA credentials and the seller's refresh token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LwaCredentials {
    /// The app's LWA client id (`amzn1.application-oa2-client.…`).
    pub client_id: String,
    /// The app's LWA client secret.
    pub client_secret: Secret,
    /// The seller's refresh token (`Atzr|…`), from authorising the app.
    pub refresh_token: Secret,
}

impl LwaCredentials {
    /// Credentials for one seller.
    pub fn new(client_id: impl Into<String>, client_secret: Secret, refresh_token: Secret) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            refresh_token,
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: String,
}

struct Cached {
    token: Secret,
    renew_at: DateTime<Utc>,
}

/// Which grant a token source asks Login with Amazon for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// The seller's refresh token: calls on the seller's data.
    RefreshToken,
    /// The app's own credentials for a scope: grantless calls (e.g. creating a destination).
    ClientCredentials(&'static str),
}

/// Hands out access tokens, refreshing at most one at a time.
pub(crate) struct TokenSource {
    http: reqwest::Client,
    url: String,
    credentials: LwaCredentials,
    grant: Grant,
    clock: Arc<dyn Clock>,
    cached: Mutex<Option<Cached>>,
}

impl TokenSource {
    pub(crate) fn new(
        http: reqwest::Client,
        url: String,
        credentials: LwaCredentials,
        grant: Grant,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            http,
            url,
            credentials,
            grant,
            clock,
            cached: Mutex::new(None),
        }
    }

    /// A valid access token: the cached one, or a new one if it is within five minutes of
    /// expiring.
    pub(crate) async fn access_token(&self) -> Result<Secret> {
        // An async lock: concurrent calls wait for one refresh instead of each making one.
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref()
            && self.clock.now() < current.renew_at
        {
            return Ok(current.token.clone());
        }
        let fresh = self.refresh().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Forgets the cached token (SP-API refused it).
    pub(crate) async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn refresh(&self) -> Result<Cached> {
        const OP: &str = "Login with Amazon";
        let started = self.clock.now();
        let client = [
            ("client_id", self.credentials.client_id.as_str()),
            ("client_secret", self.credentials.client_secret.expose()),
        ];
        let form: Vec<(&str, &str)> = match self.grant {
            Grant::RefreshToken => [
                ("grant_type", "refresh_token"),
                ("refresh_token", self.credentials.refresh_token.expose()),
            ]
            .into_iter()
            .chain(client)
            .collect(),
            Grant::ClientCredentials(scope) => {
                [("grant_type", "client_credentials"), ("scope", scope)]
                    .into_iter()
                    .chain(client)
                    .collect()
            }
        };
        let response = self
            .http
            .post(&self.url)
            .form(&form)
            .send()
            .await
            .map_err(|e| Error::network(OP, e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| Error::network(OP, e))?;
        if status.is_success() {
            let answer: TokenAnswer =
                serde_json::from_slice(&body).map_err(|e| Error::Malformed {
                    operation: OP,
                    reason: e.to_string(),
                })?;
            let lifetime = Duration::from_secs(answer.expires_in).saturating_sub(RENEW_BEFORE);
            tracing::debug!(
                expires_in = answer.expires_in,
                "Login with Amazon issued an access token"
            );
            return Ok(Cached {
                token: Secret::new(answer.access_token),
                renew_at: started + chrono::Duration::from_std(lifetime).unwrap_or_default(),
            });
        }
        let error: Option<ErrorAnswer> = serde_json::from_slice(&body).ok();
        let (code, detail) = error
            .map(|e| (e.error, e.error_description))
            .unwrap_or_else(|| (format!("HTTP {}", status.as_u16()), String::new()));
        Err(match code.as_str() {
            "invalid_grant" => Error::InvalidGrant {
                detail: if detail.is_empty() { code } else { detail },
            },
            "invalid_client" | "unauthorized_client" | "access_denied" => Error::Unauthorized {
                operation: OP,
                code,
                message: detail,
            },
            _ if status.as_u16() == 429 => Error::RateLimited {
                operation: OP,
                retry_after: None,
            },
            _ => Error::Api {
                operation: OP,
                status: status.as_u16(),
                code,
                message: detail,
            },
        })
    }
}
