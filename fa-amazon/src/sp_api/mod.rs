//! [`SpApiClient`]: the Selling Partner API for one seller.
//!
//! Every call takes a token from its operation's bucket ([`RateLimits`]), carries an access
//! token from Login with Amazon (cached, renewed five minutes before its hour ends), and is
//! retried on 429 and 5xx with backoff: after a 429 the operation's bucket is emptied, so that
//! operation — and only that one — waits for its published rate. Other errors map to
//! [`Error`] variants whose [`kind`](Error::kind) says what to do. An `invalid_grant` from
//! Login with Amazon is [`Error::InvalidGrant`]: the seller must authorise the app again.

mod feedback;
mod lwa;
mod notifications;
mod orders;
mod rate_limit;
mod reports;

use std::sync::Arc;
use std::time::Duration;

use fa_core::{Clock, SystemClock};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use feedback::{ReviewTopic, ReviewTopics, TopicLists, TopicMetrics};
pub use lwa::{LWA_TOKEN_URL, LwaCredentials};
pub use notifications::{Destination, Subscription, payload_version};
pub use orders::{OrderQuery, OrdersPage};
pub use rate_limit::{PUBLISHED_RATES, RateLimits, TokenBucket};
pub use reports::{
    FeedbackEntry, Report, ReportDocument, SELLER_FEEDBACK_REPORT, parse_seller_feedback,
};

use crate::{Error, Result};
use lwa::{Grant, TokenSource};

/// The Login with Amazon scope of the grantless Notifications API operations.
pub const NOTIFICATIONS_SCOPE: &str = "sellingpartnerapi::notifications";

/// The SP-API regions and their endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    /// North America: Canada, US, Mexico, Brazil (AWS us-east-1).
    Na,
    /// Europe, the Middle East and India (AWS eu-west-1).
    Eu,
    /// Far East: Singapore, Australia, Japan (AWS us-west-2).
    Fe,
}

impl Region {
    /// The production endpoint.
    pub const fn endpoint(self) -> &'static str {
        match self {
            Region::Na => "https://sellingpartnerapi-na.amazon.com",
            Region::Eu => "https://sellingpartnerapi-eu.amazon.com",
            Region::Fe => "https://sellingpartnerapi-fe.amazon.com",
        }
    }

    /// The sandbox endpoint (static answers from the API models).
    pub const fn sandbox_endpoint(self) -> &'static str {
        match self {
            Region::Na => "https://sandbox.sellingpartnerapi-na.amazon.com",
            Region::Eu => "https://sandbox.sellingpartnerapi-eu.amazon.com",
            Region::Fe => "https://sandbox.sellingpartnerapi-fe.amazon.com",
        }
    }

    /// The AWS region of the endpoint (where the SQS queue usually lives).
    pub const fn aws_region(self) -> &'static str {
        match self {
            Region::Na => "us-east-1",
            Region::Eu => "eu-west-1",
            Region::Fe => "us-west-2",
        }
    }
}

impl std::str::FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "na" => Ok(Region::Na),
            "eu" => Ok(Region::Eu),
            "fe" => Ok(Region::Fe),
            other => Err(Error::invalid(
                "region",
                format!("{other:?} is not one of na, eu, fe"),
            )),
        }
    }
}

/// Where and how the client talks to Amazon.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SpApiConfig {
    /// The SP-API endpoint (a region's, its sandbox's, or a mock server's).
    pub endpoint: String,
    /// Login with Amazon's token endpoint.
    pub lwa_url: String,
    /// The app's and the seller's credentials.
    pub credentials: LwaCredentials,
    /// Retries after 429 or 5xx before the error is returned (default 4).
    pub max_retries: u32,
    /// The first backoff after a 5xx or a network error; doubled each time (default 1 s).
    pub backoff: Duration,
    /// Per-request timeout (default 30 s).
    pub timeout: Duration,
}

impl SpApiConfig {
    /// Production in `region`.
    pub fn new(region: Region, credentials: LwaCredentials) -> Self {
        Self::with_endpoint(region.endpoint(), credentials)
    }

    /// The sandbox of `region`.
    pub fn sandbox(region: Region, credentials: LwaCredentials) -> Self {
        Self::with_endpoint(region.sandbox_endpoint(), credentials)
    }

    /// Any endpoint (a mock server in tests).
    pub fn with_endpoint(endpoint: impl Into<String>, credentials: LwaCredentials) -> Self {
        Self {
            endpoint: endpoint.into().trim_end_matches('/').to_owned(),
            lwa_url: LWA_TOKEN_URL.to_owned(),
            credentials,
            max_retries: 4,
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(30),
        }
    }

    /// Uses another Login with Amazon endpoint.
    pub fn lwa_url(mut self, url: impl Into<String>) -> Self {
        self.lwa_url = url.into();
        self
    }

    /// Sets the retries after 429 or 5xx.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the first backoff.
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }
}

/// The Selling Partner API for one seller. Cheap to clone; clones share the token cache and
/// the rate-limit buckets.
#[derive(Clone)]
pub struct SpApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: SpApiConfig,
    tokens: TokenSource,
    grantless: TokenSource,
    limits: RateLimits,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SpApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpApiClient")
            .field("endpoint", &self.inner.config.endpoint)
            .field("client_id", &self.inner.config.credentials.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ErrorList {
    #[serde(default)]
    errors: Vec<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

impl SpApiClient {
    /// A client on the system clock.
    pub fn new(config: SpApiConfig) -> Result<Self> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A client whose token expiry, rate limits and backoff follow `clock`.
    pub fn with_clock(config: SpApiConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!(
                "fa-amazon/",
                env!("CARGO_PKG_VERSION"),
                " (Language=Rust)"
            ))
            .build()
            .map_err(|e| Error::invalid("HTTP client", e.to_string()))?;
        let source = |grant| {
            TokenSource::new(
                http.clone(),
                config.lwa_url.clone(),
                config.credentials.clone(),
                grant,
                clock.clone(),
            )
        };
        let tokens = source(Grant::RefreshToken);
        let grantless = source(Grant::ClientCredentials(NOTIFICATIONS_SCOPE));
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                tokens,
                grantless,
                limits: RateLimits::new(clock.clone()),
                clock,
            }),
        })
    }

    /// The rate-limit buckets (to read the rates in force).
    pub fn rate_limits(&self) -> &RateLimits {
        &self.inner.limits
    }

    /// Gets a fresh access token now (a connection check that touches no seller data).
    pub async fn check_credentials(&self) -> Result<()> {
        self.inner.tokens.invalidate().await;
        self.inner.tokens.access_token().await.map(|_| ())
    }

    /// Sends one operation with rate limiting and retries and reads its JSON answer.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<T> {
        let body = self
            .call_raw(operation, Auth::Seller, method, path, build)
            .await?;
        read_json(operation, &body)
    }
}

fn read_json<T: DeserializeOwned>(operation: &'static str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Malformed {
        operation,
        reason: e.to_string(),
    })
}

/// Which access token a call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// The seller's (refresh-token grant).
    Seller,
    /// The app's own, for grantless operations.
    Grantless,
}

impl SpApiClient {
    pub(crate) async fn call_raw(
        &self,
        operation: &'static str,
        auth: Auth,
        method: Method,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Vec<u8>> {
        let inner = &self.inner;
        let tokens = match auth {
            Auth::Seller => &inner.tokens,
            Auth::Grantless => &inner.grantless,
        };
        let url = format!("{}{path}", inner.config.endpoint);
        let mut attempt: u32 = 0;
        let mut refreshed_token = false;
        loop {
            inner.limits.acquire(operation).await;
            let token = tokens.access_token().await?;
            let request = build(inner.http.request(method.clone(), &url))
                .header("x-amz-access-token", token.expose());
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    let error = Error::network(operation, error);
                    self.backoff_or_fail(operation, &mut attempt, None, error)
                        .await?;
                    continue;
                }
            };
            let status = response.status();
            if let Some(limit) = response
                .headers()
                .get("x-amzn-RateLimit-Limit")
                .and_then(|v| v.to_str().ok())
            {
                inner.limits.observe_header(operation, limit);
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| Error::network(operation, e))?;
            if status.is_success() {
                return Ok(body.to_vec());
            }
            let (code, message) = first_error(&body);
            match status {
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait = inner.limits.throttled(operation);
                    tracing::info!(operation, ?wait, "SP-API throttled the call; backing off");
                    let error = Error::RateLimited {
                        operation,
                        retry_after: Some(wait),
                    };
                    self.backoff_or_fail(operation, &mut attempt, Some(wait), error)
                        .await?;
                }
                s if s.is_server_error() => {
                    let error = Error::Api {
                        operation,
                        status: s.as_u16(),
                        code,
                        message,
                    };
                    self.backoff_or_fail(operation, &mut attempt, None, error)
                        .await?;
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    // An access token can be revoked before its hour ends: try one new one.
                    if !refreshed_token {
                        refreshed_token = true;
                        tokens.invalidate().await;
                        continue;
                    }
                    return Err(Error::Unauthorized {
                        operation,
                        code,
                        message,
                    });
                }
                StatusCode::NOT_FOUND => return Err(Error::NotFound { operation, message }),
                s => {
                    return Err(Error::Api {
                        operation,
                        status: s.as_u16(),
                        code,
                        message,
                    });
                }
            }
        }
    }

    /// Waits before the next attempt (at least `floor`, else exponential backoff), or returns
    /// `error` when the retries are used up.
    async fn backoff_or_fail(
        &self,
        operation: &'static str,
        attempt: &mut u32,
        floor: Option<Duration>,
        error: Error,
    ) -> Result<()> {
        let inner = &self.inner;
        if *attempt >= inner.config.max_retries {
            return Err(error);
        }
        let exponential = inner.config.backoff.saturating_mul(1 << (*attempt).min(10));
        let wait = floor.map_or(exponential, |floor| floor.max(exponential));
        *attempt += 1;
        tracing::debug!(operation, attempt = *attempt, ?wait, %error, "retrying SP-API call");
        let deadline = inner.clock.now()
            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
        fa_core::sleep_until(inner.clock.as_ref(), deadline).await;
        Ok(())
    }
}

fn first_error(body: &[u8]) -> (String, String) {
    serde_json::from_slice::<ErrorList>(body)
        .ok()
        .and_then(|list| list.errors.into_iter().next())
        .map(|e| (e.code, e.message))
        .unwrap_or_else(|| {
            (
                String::new(),
                String::from_utf8_lossy(body).chars().take(200).collect(),
            )
        })
}
