//! OAuth 2.0 with PKCE against a mock token endpoint that checks the verifier against the
//! challenge of the link (RFC 7636 4.6), then refresh, then a revoked grant.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use fa_calendar::oauth::{OAuthClient, Pkce};
use fa_core::Secret;
use fa_core::connector::ConnectorErrorKind;
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn fixture(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/oauth/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn form(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

fn field(request: &Request, name: &str) -> Option<String> {
    form(request)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Matches a code exchange whose verifier hashes to `challenge`.
struct VerifierMatches(String);

impl wiremock::Match for VerifierMatches {
    fn matches(&self, request: &Request) -> bool {
        field(request, "grant_type").as_deref() == Some("authorization_code")
            && field(request, "code").as_deref() == Some("4/0AeanS0b-code")
            && field(request, "code_verifier")
                .is_some_and(|v| URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == self.0)
    }
}

/// Matches a refresh with this refresh token.
struct RefreshWith(&'static str);

impl wiremock::Match for RefreshWith {
    fn matches(&self, request: &Request) -> bool {
        field(request, "grant_type").as_deref() == Some("refresh_token")
            && field(request, "refresh_token").as_deref() == Some(self.0)
            && field(request, "client_secret").as_deref() == Some("app-secret")
    }
}

#[tokio::test]
async fn link_then_code_exchange_with_pkce_then_refresh_then_a_revoked_grant() {
    let server = MockServer::start().await;
    let client = OAuthClient::google(
        "1234.apps.googleusercontent.com",
        Secret::new("app-secret"),
        "https://fa.example.org/oauth/google/callback",
    )
    .endpoints(
        format!("{}/o/oauth2/v2/auth", server.uri()),
        format!("{}/token", server.uri()),
    );
    let pkce = Pkce::generate().unwrap();
    let link = reqwest::Url::parse(&client.authorization_url("state-ana-1", &pkce)).unwrap();
    let query: std::collections::HashMap<_, _> = link.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["state"], "state-ana-1");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["access_type"], "offline");
    assert_eq!(
        query["redirect_uri"],
        "https://fa.example.org/oauth/google/callback"
    );
    assert!(
        !link.as_str().contains(pkce.verifier.expose()),
        "the verifier never leaves fa"
    );

    Mock::given(method("POST"))
        .and(path("/token"))
        .and(VerifierMatches(query["code_challenge"].clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("google_token.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(RefreshWith("1//0g-test-refresh-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("google_refreshed.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(RefreshWith("1//0g-revoked"))
        .respond_with(ResponseTemplate::new(400).set_body_json(fixture("invalid_grant.json")))
        .expect(1)
        .mount(&server)
        .await;

    let now: DateTime<Utc> = "2026-03-20T10:00:00Z".parse().unwrap();
    // A verifier that does not belong to the link's challenge is refused by the mock (no match).
    let wrong = Pkce::generate().unwrap();
    assert!(
        client
            .exchange("4/0AeanS0b-code", &wrong.verifier, now)
            .await
            .is_err()
    );
    let tokens = client
        .exchange("4/0AeanS0b-code", &pkce.verifier, now)
        .await
        .unwrap();
    assert_eq!(
        tokens.access_token.expose(),
        "ya29.a0AfB_byC-test-access-token"
    );
    assert_eq!(
        tokens.refresh_token.as_ref().unwrap().expose(),
        "1//0g-test-refresh-token"
    );
    assert_eq!(tokens.expires_at, now + Duration::seconds(3599));
    assert!(!format!("{tokens:?}").contains("ya29"));

    let later = now + Duration::minutes(55);
    let refreshed = client
        .refresh(tokens.refresh_token.as_ref().unwrap(), later)
        .await
        .unwrap();
    assert_eq!(
        refreshed.access_token.expose(),
        "ya29.a0AfB_byC-refreshed-access-token"
    );
    // Google sends no new refresh token: the old one is kept.
    assert_eq!(
        refreshed.refresh_token.unwrap().expose(),
        "1//0g-test-refresh-token"
    );
    assert_eq!(refreshed.expires_at, later + Duration::seconds(3599));

    let revoked = client
        .refresh(&Secret::new("1//0g-revoked"), later)
        .await
        .unwrap_err();
    assert_eq!(revoked.kind, ConnectorErrorKind::Unauthorized);
    assert!(
        revoked.message.contains("invalid_grant")
            && revoked.message.contains("connect the account again"),
        "{revoked}"
    );
    assert!(!revoked.message.contains("1//0g-revoked"));
}
