//! The bot's HTTP server (axum): `/healthz`, `/readyz`, `/metrics` (Prometheus text) and the
//! Telegram webhook route.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fa_core::Secret;
use fa_core::engine::App;
use fa_core::llm::DynModel;
use subtle::ConstantTimeEq;

use crate::channel::TelegramChannel;

/// The header Telegram sends the webhook's secret token in
/// (<https://core.telegram.org/bots/api#setwebhook>).
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// How long `/readyz` waits for the model to answer its probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Only the webhook route: POSTed updates with the right secret token go to `channel`; a wrong
/// or missing token gets 401 and nothing is read. A body that is not an update is logged and
/// answered 200, so Telegram does not send it again and again.
pub fn webhook_router(channel: Arc<TelegramChannel>, path: &str, secret: Secret) -> Router {
    let state = Arc::new((channel, secret));
    Router::new().route(path, post(webhook)).with_state(state)
}

async fn webhook(
    State(state): State<Arc<(Arc<TelegramChannel>, Secret)>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let (channel, secret) = state.as_ref();
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(secret.expose().as_bytes())) {
        tracing::warn!("webhook call without the right secret token: refused");
        return StatusCode::UNAUTHORIZED;
    }
    match std::str::from_utf8(&body) {
        Ok(update) => {
            if let Err(error) = channel.receive_json(update).await {
                // Not acknowledged: Telegram delivers it again.
                tracing::error!(%error, "could not journal a webhook update; asking Telegram to retry");
                return StatusCode::SERVICE_UNAVAILABLE;
            }
        }
        Err(_) => {
            tracing::warn!(
                bytes = body.len(),
                "skipped a webhook body that is not UTF-8 text"
            )
        }
    }
    StatusCode::OK
}

/// What the health and metrics routes report on.
#[derive(Clone)]
pub struct Health {
    /// The running app (its store and metrics).
    pub app: App,
    /// The model, probed by `/readyz` (absent: commands only).
    pub model: Option<DynModel>,
    /// The Telegram channel, for its update and delivery counters.
    pub telegram: Option<Arc<TelegramChannel>>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health").finish_non_exhaustive()
    }
}

/// `/healthz` (the process answers), `/readyz` (the store answers; the model answers, or the
/// bot is degraded to commands) and `/metrics`.
pub fn health_router(health: Health) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(Arc::new(health))
}

async fn readyz(State(health): State<Arc<Health>>) -> impl IntoResponse {
    let store = match health.app.store().status().await {
        Ok(status) => format!("ok ({} schema v{})", status.backend, status.schema_version),
        Err(error) => {
            tracing::warn!(%error, "readiness: the store does not answer");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("store: unavailable ({:?})\n", error.kind()),
            );
        }
    };
    let model = match &health.model {
        None => "none (commands only)".to_owned(),
        Some(model) => match tokio::time::timeout(PROBE_TIMEOUT, model.probe()).await {
            Ok(Ok(_)) => format!("ok ({})", model.name()),
            Ok(Err(error)) => format!("degraded: {error}"),
            Err(_) => "degraded: the model did not answer in time".to_owned(),
        },
    };
    (StatusCode::OK, format!("store: {store}\nmodel: {model}\n"))
}

async fn metrics(State(health): State<Arc<Health>>) -> impl IntoResponse {
    let mut text = health.app.metrics().to_prometheus();
    if let Some(telegram) = &health.telegram {
        text.push_str(&telegram_metrics(telegram));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

fn telegram_metrics(channel: &TelegramChannel) -> String {
    let updates = channel.update_stats();
    let sends = channel.sender().stats();
    let mut out = String::from(
        "# HELP fa_telegram_updates_total Telegram updates received, by outcome.\n\
         # TYPE fa_telegram_updates_total counter\n",
    );
    for (outcome, n) in [
        ("received", updates.received),
        ("malformed", updates.malformed),
        ("ignored", updates.ignored),
    ] {
        out.push_str(&format!(
            "fa_telegram_updates_total{{outcome=\"{outcome}\"}} {n}\n"
        ));
    }
    out.push_str(
        "# HELP fa_telegram_deliveries_total Messages sent to Telegram, by status.\n\
         # TYPE fa_telegram_deliveries_total counter\n",
    );
    for (status, n) in [
        ("sent", sends.sent),
        ("failed", sends.failed),
        ("retried", sends.retried),
        ("duplicate", sends.duplicates),
        ("blocked", sends.blocked),
    ] {
        out.push_str(&format!(
            "fa_telegram_deliveries_total{{status=\"{status}\"}} {n}\n"
        ));
    }
    out
}
