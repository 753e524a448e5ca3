//! [`BotApi`]: a small Telegram Bot API client over reqwest, using teloxide's types for the
//! payloads.
//!
//! fa calls the HTTP API itself rather than through teloxide's `Bot` for three reasons: a
//! failed call keeps its HTTP status and `retry_after` (teloxide folds 5xx into a description
//! and sleeps 10 s of real time before reading them, which the sender's own backoff and an
//! injected clock must control); `getUpdates` results are parsed one update at a time, so one
//! malformed update is skipped instead of failing the batch; and the token, which is part of
//! every URL, never reaches an error message or a log line.

use std::time::Duration;

use axum::body::Bytes;
use fa_core::Secret;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

/// Why a Bot API call failed. `Display` never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Telegram {method}: {kind}")]
#[non_exhaustive]
pub struct ApiError {
    /// The method called, e.g. `sendMessage`.
    pub method: String,
    /// What happened.
    pub kind: ApiErrorKind,
}

/// The kinds of [`ApiError`], by what the caller should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 429: flood control; try again after this long.
    #[error("too many requests; retry after {0:?}")]
    RetryAfter(Duration),
    /// 403 from a chat: the user blocked the bot, or the bot was removed from the group.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 401 or 404 on every method: the token is wrong or revoked.
    #[error("unauthorized: the bot token was not accepted ({0}); check FA_TELEGRAM_TOKEN")]
    Unauthorized(String),
    /// 400: the request was wrong (a bad chat id, a message that cannot be edited, …).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 5xx: Telegram's side; worth retrying.
    #[error("server error {status}: {description}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// What Telegram said.
        description: String,
    },
    /// The request did not complete: connection refused, reset, or timed out.
    #[error("network: {0}")]
    Network(String),
    /// The answer was not the Bot API's JSON.
    #[error("unexpected response: {0}")]
    InvalidResponse(String),
    /// Any other refusal, with its HTTP status.
    #[error("error {status}: {description}")]
    Other {
        /// The HTTP status.
        status: u16,
        /// What Telegram said.
        description: String,
    },
}

impl ApiError {
    fn new(method: &str, kind: ApiErrorKind) -> Self {
        Self {
            method: method.to_owned(),
            kind,
        }
    }

    /// Whether trying again later may succeed (flood control, 5xx, network).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ApiErrorKind::RetryAfter(_) | ApiErrorKind::Server { .. } | ApiErrorKind::Network(_)
        )
    }
}

/// A Telegram Bot API client for one bot. Cheap to clone.
#[derive(Clone)]
pub struct BotApi {
    http: reqwest::Client,
    /// `<api url>/bot<token>/`: secret.
    methods: Secret,
    /// `<api url>/file/bot<token>/`: secret.
    files: Secret,
}

impl std::fmt::Debug for BotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotApi").finish_non_exhaustive()
    }
}

/// How long a call other than a long poll may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

impl BotApi {
    /// A client for the bot with `token`, at `api_url` (`https://api.telegram.org`, or a local
    /// Bot API server or mock).
    pub fn new(api_url: &str, token: &Secret) -> Result<Self, ApiError> {
        let base = api_url.trim_end_matches('/');
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(16)
            .build()
            .map_err(|e| {
                ApiError::new("client", ApiErrorKind::Network(e.without_url().to_string()))
            })?;
        Ok(Self {
            http,
            methods: Secret::new(format!("{base}/bot{}/", token.expose())),
            files: Secret::new(format!("{base}/file/bot{}/", token.expose())),
        })
    }

    /// Calls `method` with a JSON body and returns its `result`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        body: &Value,
    ) -> Result<T, ApiError> {
        let request = self.post(method).timeout(CALL_TIMEOUT).json(body);
        let (status, bytes) = fetch(method, request).await?;
        let result = parse_response(method, status, &bytes)?;
        serde_json::from_value(result)
            .map_err(|e| ApiError::new(method, ApiErrorKind::InvalidResponse(e.to_string())))
    }

    fn post(&self, method: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{method}", self.methods.expose()))
    }

    /// Sends a file (`sendDocument`, multipart).
    pub async fn send_document(
        &self,
        chat_id: i64,
        name: &str,
        bytes: Vec<u8>,
        caption: &str,
    ) -> Result<Value, ApiError> {
        const METHOD: &str = "sendDocument";
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new()
            .text("chat_id", chat_id.to_string())
            .text("caption", caption.to_owned())
            .part("document", part);
        let request = self.post(METHOD).timeout(CALL_TIMEOUT).multipart(form);
        let (status, bytes) = fetch(METHOD, request).await?;
        parse_response(METHOD, status, &bytes)
    }

    /// `getUpdates` from `offset`, long-polling up to `timeout`; the updates come back as raw
    /// JSON, to be parsed one by one.
    pub async fn get_updates(
        &self,
        offset: i64,
        timeout: Duration,
        allowed_updates: &[&str],
    ) -> Result<Vec<Box<RawValue>>, ApiError> {
        const METHOD: &str = "getUpdates";
        #[derive(serde::Deserialize)]
        struct Updates {
            ok: bool,
            result: Vec<Box<RawValue>>,
        }
        let body = serde_json::json!({
            "offset": offset,
            "timeout": timeout.as_secs(),
            "limit": 100,
            "allowed_updates": allowed_updates,
        });
        let request = self
            .post(METHOD)
            .timeout(timeout + Duration::from_secs(10))
            .json(&body);
        let (status, bytes) = fetch(METHOD, request).await?;
        match serde_json::from_slice::<Updates>(&bytes) {
            Ok(Updates { ok: true, result }) => Ok(result),
            _ => {
                parse_response(METHOD, status, &bytes)?;
                Err(ApiError::new(
                    METHOD,
                    ApiErrorKind::InvalidResponse("the result is not a list of updates".to_owned()),
                ))
            }
        }
    }

    /// Downloads a file by the `file_path` that `getFile` gave.
    pub async fn download(&self, file_path: &str) -> Result<Vec<u8>, ApiError> {
        const METHOD: &str = "download";
        let request = self
            .http
            .get(format!("{}{file_path}", self.files.expose()))
            .timeout(CALL_TIMEOUT);
        let (status, bytes) = fetch(METHOD, request).await?;
        if !(200..300).contains(&status) {
            return Err(ApiError::new(
                METHOD,
                ApiErrorKind::Other {
                    status,
                    description: "the file could not be downloaded".to_owned(),
                },
            ));
        }
        Ok(bytes.to_vec())
    }
}

/// Sends `request` and reads the whole answer: its HTTP status and body. Failures name the
/// method, never the URL (it holds the token).
async fn fetch(method: &str, request: reqwest::RequestBuilder) -> Result<(u16, Bytes), ApiError> {
    let response = request.send().await.map_err(|e| network(method, e))?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| network(method, e))?;
    Ok((status, body))
}

fn network(method: &str, error: reqwest::Error) -> ApiError {
    let timeout = error.is_timeout();
    let error = error.without_url();
    let text = if timeout {
        "timed out".to_owned()
    } else {
        // The source chain says why (connection refused, reset) without the URL.
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        text
    };
    ApiError::new(method, ApiErrorKind::Network(text))
}

/// The Bot API's answer: `{"ok": true, "result": …}` or `{"ok": false, "error_code": …,
/// "description": …, "parameters": {"retry_after": …}}`
/// (<https://core.telegram.org/bots/api#making-requests>).
fn parse_response(method: &str, status: u16, body: &[u8]) -> Result<Value, ApiError> {
    let error = |kind| ApiError::new(method, kind);
    let json: Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(_) if status >= 500 => {
            return Err(error(ApiErrorKind::Server {
                status,
                description: "no JSON body".to_owned(),
            }));
        }
        Err(e) => {
            return Err(error(ApiErrorKind::InvalidResponse(format!(
                "HTTP {status}, not JSON: {e}"
            ))));
        }
    };
    if json.get("ok").and_then(Value::as_bool) == Some(true) {
        return json
            .get("result")
            .cloned()
            .ok_or_else(|| error(ApiErrorKind::InvalidResponse("no result".to_owned())));
    }
    let code = json
        .get("error_code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(status);
    let description = json
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("no description")
        .to_owned();
    let retry_after = json
        .pointer("/parameters/retry_after")
        .and_then(Value::as_u64);
    Err(error(match (code, retry_after) {
        (_, Some(secs)) => ApiErrorKind::RetryAfter(Duration::from_secs(secs)),
        (429, None) => ApiErrorKind::RetryAfter(Duration::from_secs(1)),
        (401, _) => ApiErrorKind::Unauthorized(description),
        (404, _) if description.eq_ignore_ascii_case("not found") => {
            ApiErrorKind::Unauthorized(description)
        }
        (403, _) => ApiErrorKind::Forbidden(description),
        (400, _) => ApiErrorKind::BadRequest(description),
        (500..=599, _) => ApiErrorKind::Server {
            status: code,
            description,
        },
        _ => ApiErrorKind::Other {
            status: code,
            description,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: u16, body: &str) -> ApiErrorKind {
        match parse_response("sendMessage", status, body.as_bytes()) {
            Err(e) => e.kind,
            Ok(v) => ApiErrorKind::InvalidResponse(format!("unexpected success {v}")),
        }
    }

    #[test]
    fn bot_api_errors_are_classified_by_code_and_parameters() {
        // Shapes from https://core.telegram.org/bots/api#making-requests and
        // https://core.telegram.org/bots/api#responseparameters.
        assert_eq!(
            kind(
                429,
                r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#
            ),
            ApiErrorKind::RetryAfter(Duration::from_secs(7))
        );
        assert_eq!(
            kind(
                403,
                r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#
            ),
            ApiErrorKind::Forbidden("Forbidden: bot was blocked by the user".to_owned())
        );
        assert_eq!(
            kind(
                401,
                r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#
            ),
            ApiErrorKind::Unauthorized("Unauthorized".to_owned())
        );
        assert_eq!(
            kind(502, "<html>Bad Gateway</html>"),
            ApiErrorKind::Server {
                status: 502,
                description: "no JSON body".to_owned()
            }
        );
        assert!(matches!(
            kind(
                400,
                r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#
            ),
            ApiErrorKind::BadRequest(_)
        ));
        assert!(matches!(kind(200, "{"), ApiErrorKind::InvalidResponse(_)));
    }

    #[test]
    fn the_token_is_not_in_debug_output() -> Result<(), ApiError> {
        let api = BotApi::new("http://127.0.0.1:9", &Secret::new("123:SECRET-TOKEN"))?;
        assert!(!format!("{api:?}").contains("SECRET"));
        Ok(())
    }
}
