//! Signing a member in to Google through `CalendarAccounts`: the start link, the state (bound to
//! the member, checked, single use, expiring), the code exchange with PKCE verified by the mock
//! token endpoint, tokens sealed in the store, the refresh job's renewal, and `invalid_grant`
//! marking the connection for signing in again and telling the member.
//!
//! Token bodies: tests/fixtures/oauth/SOURCES.md; Calendar API bodies:
//! tests/fixtures/google/SOURCES.md.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fa_calendar::accounts::{CalendarAccounts, CalendarApps, OAuthApp, Provider};
use fa_core::{Clock, IntegrationStatus, Secret};
use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::{Home, home};

fn fixture(dir: &str, name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn field(request: &Request, name: &str) -> Option<String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A code exchange whose verifier hashes to the link's challenge (RFC 7636 4.6).
struct Exchange(String);

impl wiremock::Match for Exchange {
    fn matches(&self, request: &Request) -> bool {
        field(request, "grant_type").as_deref() == Some("authorization_code")
            && field(request, "code").as_deref() == Some("4/0AeanS0b-code")
            && field(request, "redirect_uri").as_deref()
                == Some("https://fa.example.org/oauth/google/callback")
            && field(request, "code_verifier")
                .is_some_and(|v| URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == self.0)
    }
}

struct Refresh;

impl wiremock::Match for Refresh {
    fn matches(&self, request: &Request) -> bool {
        field(request, "grant_type").as_deref() == Some("refresh_token")
            && field(request, "refresh_token").as_deref() == Some("1//0g-test-refresh-token")
    }
}

async fn setup() -> (Home, MockServer, CalendarAccounts) {
    let h = home().await;
    let server = MockServer::start().await;
    let apps = CalendarApps::new()
        .public_url("https://fa.example.org/")
        .google(
            OAuthApp::new("1234.apps.googleusercontent.com", Secret::new("app-secret")).endpoints(
                format!("{}/o/oauth2/v2/auth", server.uri()),
                format!("{}/token", server.uri()),
            ),
        )
        .api_endpoints(server.uri(), server.uri());
    let accounts =
        CalendarAccounts::new(h.store.clone(), h.vault.clone(), apps).with_clock(h.clock.clone());
    (h, server, accounts)
}

fn query(url: &str) -> HashMap<String, String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

async fn calendar_list_for(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/calendar/v3/users/me/calendarList"))
        .and(header("Authorization", format!("Bearer {token}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("google", "calendar_list.json")),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn google_sign_in_then_refresh_then_invalid_grant() {
    let (h, server, accounts) = setup().await;
    let scope = h.ana.scope();

    // The start link the bot sends: the bot's own /oauth/google/start, with a state.
    let link = accounts
        .start_sign_in(scope, Provider::Google)
        .await
        .unwrap();
    assert!(
        link.url
            .starts_with("https://fa.example.org/oauth/google/start?state="),
        "{}",
        link.url
    );
    let state = query(&link.url)["state"].clone();
    let waiting = h
        .store
        .integration(scope, link.integration)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiting.status, IntegrationStatus::NeedsReauth);

    // /start sends the member on to Google with the PKCE challenge.
    let to_google = accounts
        .authorization_url(Provider::Google, &state)
        .await
        .unwrap();
    let q = query(&to_google);
    assert!(to_google.starts_with(&format!("{}/o/oauth2/v2/auth?", server.uri())));
    assert_eq!(q["state"], state);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(
        q["redirect_uri"],
        "https://fa.example.org/oauth/google/callback"
    );

    // A state changed by one character, or moved to Ben's scope, or sent to the other
    // provider's route, is refused.
    let mut forged = state.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let as_ben = state.replacen(
        &h.ana.id.as_uuid().simple().to_string(),
        &h.ben.id.as_uuid().simple().to_string(),
        1,
    );
    for (provider, bad) in [
        (Provider::Google, forged.as_str()),
        (Provider::Google, as_ben.as_str()),
        (Provider::Microsoft, state.as_str()),
        (Provider::Google, "state"),
    ] {
        let refused = accounts
            .finish_sign_in(provider, bad, "4/0AeanS0b-code")
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("sign-in link"), "{refused}");
    }

    // The callback: the mock answers only the verifier of the link's challenge.
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(Exchange(q["code_challenge"].clone()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("oauth", "google_token.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    calendar_list_for(&server, "ya29.a0AfB_byC-test-access-token").await;
    let connected = accounts
        .finish_sign_in(Provider::Google, &state, "4/0AeanS0b-code")
        .await
        .unwrap();
    assert_eq!(connected.status, IntegrationStatus::Active);
    assert_eq!(connected.settings["default_calendar"], "ana@example.com");

    // Single use: the same state again is refused, before any call to Google.
    let again = accounts
        .finish_sign_in(Provider::Google, &state, "4/0AeanS0b-code")
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already used"), "{again}");
    assert!(
        accounts
            .authorization_url(Provider::Google, &state)
            .await
            .is_err()
    );

    // Tokens are sealed: neither token is in the stored bytes.
    let sealed = h
        .store
        .credential(scope, connected.id)
        .await
        .unwrap()
        .unwrap();
    let bytes = sealed.as_bytes();
    for token in [&b"ya29.a0AfB_byC"[..], &b"1//0g-test-refresh"[..]] {
        assert!(!bytes.windows(token.len()).any(|w| w == token));
    }
    // The member is told.
    let told = h
        .store
        .due_notifications(h.ana.household_id, h.clock.now(), 10)
        .await
        .unwrap();
    assert!(
        told.iter().any(|n| n.member_id == h.ana.id
            && n.body.contains("Google Calendar is connected")
            && n.body.contains("ana@example.com")),
        "{told:?}"
    );

    // 58 minutes on, the refresh job renews the token that expires within 45 minutes.
    h.clock.advance(chrono::Duration::minutes(58));
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(Refresh)
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("oauth", "google_refreshed.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let report = accounts
        .refresh_tokens(scope, Duration::from_secs(45 * 60))
        .await
        .unwrap();
    assert_eq!((report.refreshed, report.refused, report.failed), (1, 0, 0));
    // A second round finds nothing to renew.
    let report = accounts
        .refresh_tokens(scope, Duration::from_secs(45 * 60))
        .await
        .unwrap();
    assert_eq!(report.refreshed, 0);
    // Calls now carry the renewed token (the refresh token was kept: Google sends none).
    calendar_list_for(&server, "ya29.a0AfB_byC-refreshed-access-token").await;
    let connection = accounts.open(scope, connected.id).await.unwrap();
    assert_eq!(connection.calendar().calendars().await.unwrap().len(), 3);

    // Two hours on, Google refuses the refresh token: needs_reauth, and Ana is told once.
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(fixture("oauth", "invalid_grant.json")),
        )
        .mount(&server)
        .await;
    h.clock.advance(chrono::Duration::hours(2));
    let report = accounts
        .refresh_tokens(scope, Duration::from_secs(45 * 60))
        .await
        .unwrap();
    assert_eq!((report.refreshed, report.refused), (0, 1));
    let marked = h
        .store
        .integration(scope, connected.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(marked.status, IntegrationStatus::NeedsReauth);
    let told = h
        .store
        .due_notifications(h.ana.household_id, h.clock.now(), 10)
        .await
        .unwrap();
    let reauth: Vec<_> = told
        .iter()
        .filter(|n| n.body.contains("/calendar connect google"))
        .collect();
    assert_eq!(reauth.len(), 1, "{told:?}");
    // The tools see it as needing sign-in, not as connected.
    let (open, failed) = accounts.open_active(scope).await.unwrap();
    assert!(open.is_empty());
    assert!(failed[0].contains("needs signing in again"), "{failed:?}");
    // Connecting again reuses the connection (its chosen calendar is kept).
    let again = accounts
        .start_sign_in(scope, Provider::Google)
        .await
        .unwrap();
    assert_eq!(again.integration, connected.id);
}

#[tokio::test]
async fn a_sign_in_link_expires_after_15_minutes_and_needs_a_configured_app() {
    let (h, _server, accounts) = setup().await;
    let link = accounts
        .start_sign_in(h.ana.scope(), Provider::Google)
        .await
        .unwrap();
    let state = query(&link.url)["state"].clone();
    h.clock.advance(chrono::Duration::minutes(16));
    let expired = accounts
        .authorization_url(Provider::Google, &state)
        .await
        .unwrap_err();
    assert!(expired.to_string().contains("expired"), "{expired}");
    // Microsoft is not configured: refused with what to set, and nothing stored.
    let before = accounts.connections(h.ana.scope()).await.unwrap().len();
    let refused = accounts
        .start_sign_in(h.ana.scope(), Provider::Microsoft)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("Microsoft client id"),
        "{refused}"
    );
    assert_eq!(
        accounts.connections(h.ana.scope()).await.unwrap().len(),
        before
    );
}

/// A refresh with this refresh token.
struct RefreshWith(&'static str);

impl wiremock::Match for RefreshWith {
    fn matches(&self, request: &Request) -> bool {
        field(request, "grant_type").as_deref() == Some("refresh_token")
            && field(request, "refresh_token").as_deref() == Some(self.0)
    }
}

#[tokio::test]
async fn microsoft_rotates_the_refresh_token_and_the_rotated_one_is_kept() {
    let h = home().await;
    let server = MockServer::start().await;
    let apps = CalendarApps::new()
        .public_url("https://fa.example.org")
        .microsoft(
            OAuthApp::new(
                "00000000-0000-0000-0000-00000000a11c",
                Secret::new("ms-secret"),
            )
            .endpoints(
                format!("{}/common/oauth2/v2.0/authorize", server.uri()),
                format!("{}/common/oauth2/v2.0/token", server.uri()),
            ),
        )
        .api_endpoints(server.uri(), server.uri());
    let accounts =
        CalendarAccounts::new(h.store.clone(), h.vault.clone(), apps).with_clock(h.clock.clone());
    let scope = h.ben.scope();
    let link = accounts
        .start_sign_in(scope, Provider::Microsoft)
        .await
        .unwrap();
    assert!(
        link.url
            .starts_with("https://fa.example.org/oauth/microsoft/start?state=")
    );
    let state = query(&link.url)["state"].clone();
    let to_microsoft = accounts
        .authorization_url(Provider::Microsoft, &state)
        .await
        .unwrap();
    let q = query(&to_microsoft);
    assert_eq!(
        q["scope"],
        "offline_access Calendars.ReadWrite Calendars.Read.Shared"
    );
    assert_eq!(
        q["redirect_uri"],
        "https://fa.example.org/oauth/microsoft/callback"
    );

    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/token"))
        .and(field_is("grant_type", "authorization_code"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("oauth", "microsoft_token.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    for token in ["test-access-token", "refreshed-access-token"] {
        Mock::given(method("GET"))
            .and(path("/v1.0/me/calendars"))
            .and(header(
                "Authorization",
                format!("Bearer EwBwA8l6BAAUbDba3x2OMJElkF7gJ4z-{token}").as_str(),
            ))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(fixture("graph", "calendars.json")),
            )
            .mount(&server)
            .await;
    }
    let connected = accounts
        .finish_sign_in(Provider::Microsoft, &state, "M.C105_BAY.code")
        .await
        .unwrap();
    assert_eq!(connected.kind, "outlook_calendar");
    assert_eq!(connected.settings["default_calendar_name"], "Calendar");

    // The first refresh rotates the refresh token; the second uses the rotated one.
    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/token"))
        .and(RefreshWith("M.C105_BAY.-test-refresh-token-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("oauth", "microsoft_refreshed.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/token"))
        .and(RefreshWith("M.C105_BAY.-test-refresh-token-2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("oauth", "microsoft_refreshed.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    for _ in 0..2 {
        h.clock.advance(chrono::Duration::minutes(58));
        let report = accounts
            .refresh_tokens(scope, Duration::from_secs(45 * 60))
            .await
            .unwrap();
        assert_eq!(report.refreshed, 1);
    }
    let connection = accounts.open(scope, connected.id).await.unwrap();
    assert_eq!(connection.calendar().calendars().await.unwrap().len(), 2);
}

fn field_is(name: &'static str, value: &'static str) -> impl wiremock::Match {
    struct FieldIs(&'static str, &'static str);
    impl wiremock::Match for FieldIs {
        fn matches(&self, request: &Request) -> bool {
            field(request, self.0).as_deref() == Some(self.1)
        }
    }
    FieldIs(name, value)
}

#[tokio::test]
async fn two_callbacks_racing_with_one_state_connect_once() {
    let (h, server, accounts) = setup().await;
    let link = accounts
        .start_sign_in(h.ana.scope(), Provider::Google)
        .await
        .unwrap();
    let state = query(&link.url)["state"].clone();
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("oauth", "google_token.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    calendar_list_for(&server, "ya29.a0AfB_byC-test-access-token").await;
    let (a, b) = tokio::join!(
        accounts.finish_sign_in(Provider::Google, &state, "4/0AeanS0b-code"),
        accounts.finish_sign_in(Provider::Google, &state, "4/0AeanS0b-code"),
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let refused = if outcomes[0] { b } else { a };
    assert!(refused.unwrap_err().to_string().contains("already used"));
    // The mock's expect(1): the code was exchanged once.
}
