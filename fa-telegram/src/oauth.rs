//! The OAuth routes of the bot's HTTP server (feature `calendar`): `GET /oauth/{provider}/start`
//! checks the sign-in state and sends the member on to Google or Microsoft;
//! `GET /oauth/{provider}/callback` finishes the sign-in (state checked and used up, code
//! exchanged with the PKCE verifier, tokens sealed) and tells the member in the chat. Pages
//! are short HTML; nothing secret and no state is echoed.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use fa_calendar::accounts::{CalendarAccounts, Provider};

/// `/oauth/{provider}/start` and `/oauth/{provider}/callback` over `accounts`.
pub fn oauth_router(accounts: Arc<CalendarAccounts>) -> Router {
    Router::new()
        .route("/oauth/{provider}/start", get(start))
        .route("/oauth/{provider}/callback", get(callback))
        .with_state(accounts)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>{t}</title></head><body><h1>{t}</h1><p>{x}</p>\
         </body></html>",
        t = escape(title),
        x = escape(text)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

/// What a page may say about a failure: what the member can act on (the link, the provider's
/// answer); a failure on the bot's side only in the log.
fn shown(error: &fa_calendar::Error) -> String {
    match error {
        fa_calendar::Error::Invalid { .. } | fa_calendar::Error::Calendar(_) => error.to_string(),
        _ => "Something went wrong on the bot's side; it has been logged. Start again from the \
              chat in a while."
            .to_owned(),
    }
}

/// The provider a route names exactly: `google` or `microsoft`.
fn provider(name: &str) -> Option<Provider> {
    Provider::parse(name).filter(|p| p.slug() == name && *p != Provider::CalDav)
}

fn unknown_provider() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Unknown provider",
        "fa signs in to Google and Microsoft here.",
    )
}

async fn start(
    State(accounts): State<Arc<CalendarAccounts>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(provider) = provider(&name) else {
        return unknown_provider();
    };
    let state = query.get("state").map(String::as_str).unwrap_or("");
    match accounts.authorization_url(provider, state).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => {
            tracing::info!(%provider, %error, "a sign-in link was refused");
            page(
                StatusCode::BAD_REQUEST,
                "This link does not work",
                &shown(&error),
            )
        }
    }
}

async fn callback(
    State(accounts): State<Arc<CalendarAccounts>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(provider) = provider(&name) else {
        return unknown_provider();
    };
    if let Some(error) = query.get("error") {
        // RFC 6749 4.1.2.1: the member declined, or the provider refused the request.
        tracing::info!(%provider, error = %error, "sign-in ended at the provider");
        return page(
            StatusCode::OK,
            "Nothing was connected",
            &format!(
                "{} answered \"{error}\". Send /calendar connect {provider} in the chat to try again.",
                provider.title()
            ),
        );
    }
    let (Some(state), Some(code)) = (query.get("state"), query.get("code")) else {
        return page(
            StatusCode::BAD_REQUEST,
            "This link does not work",
            "It has no sign-in state or code; start again from the chat.",
        );
    };
    match accounts.finish_sign_in(provider, state, code).await {
        Ok(_) => page(
            StatusCode::OK,
            "Calendar connected",
            &format!(
                "{} is connected. You can close this page; the chat says what comes next.",
                provider.title()
            ),
        ),
        Err(error) => {
            tracing::warn!(%provider, %error, "a sign-in could not be finished");
            page(
                StatusCode::BAD_REQUEST,
                "The calendar was not connected",
                &shown(&error),
            )
        }
    }
}
