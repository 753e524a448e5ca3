//! The SP-API client against a mock shaped like Amazon's models: LWA token life, invalid_grant,
//! paging, per-operation throttling, retries and error mapping.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fa_amazon::sp_api::{OrderQuery, parse_seller_feedback};
use fa_amazon::testing::{LWA_PATH, MockSpApi, fixtures};
use fa_amazon::{Error, SpApiClient};
use fa_core::ManualClock;
use fa_core::connector::ConnectorErrorKind;

fn start() -> DateTime<Utc> {
    "2026-06-01T08:00:00Z".parse().unwrap()
}

async fn client(mock: &MockSpApi) -> (SpApiClient, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start()));
    let client =
        SpApiClient::with_clock(mock.config().backoff(Duration::ZERO), clock.clone()).unwrap();
    (client, clock)
}

/// Waits (briefly, in real time) until the mock has seen `n` requests to `path`.
async fn until_requests(mock: &MockSpApi, path: &str, n: usize) -> bool {
    for _ in 0..500 {
        if mock.requests_to(path).await >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn access_tokens_are_cached_for_their_hour_and_renewed_before_it_ends() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|first", 3600).await;
    mock.get_order().await;
    let (client, clock) = client(&mock).await;

    let order = client.get_order("902-1845936-5435065").await.unwrap();
    assert_eq!(order.amazon_order_id, "902-1845936-5435065");
    assert_eq!(
        order.order_total.as_ref().and_then(|t| t.value()),
        Some(11.01)
    );
    client.get_order("902-1845936-5435065").await.unwrap();
    assert_eq!(
        mock.requests_to(LWA_PATH).await,
        1,
        "one token for both calls"
    );

    let requests = mock.server().received_requests().await.unwrap();
    let api_call = requests.iter().find(|r| r.url.path() != LWA_PATH).unwrap();
    assert_eq!(
        api_call.headers.get("x-amz-access-token").unwrap(),
        "Atza|first"
    );
    let lwa_call = requests.iter().find(|r| r.url.path() == LWA_PATH).unwrap();
    let form = String::from_utf8_lossy(&lwa_call.body);
    assert!(
        form.contains("grant_type=refresh_token") && form.contains("client_id="),
        "{form}"
    );

    // 54 minutes on: still the same token. 56 minutes on: within 5 minutes of the end, renewed.
    clock.advance(chrono::Duration::minutes(54));
    client.get_order("1").await.unwrap();
    assert_eq!(mock.requests_to(LWA_PATH).await, 1);
    clock.advance(chrono::Duration::minutes(2));
    client.get_order("1").await.unwrap();
    assert_eq!(mock.requests_to(LWA_PATH).await, 2);
}

#[tokio::test]
async fn invalid_grant_says_the_seller_must_authorise_again() {
    let mock = MockSpApi::start().await;
    mock.lwa_refuses().await;
    mock.get_order().await;
    let (client, _) = client(&mock).await;
    let err = client.get_order("1").await.unwrap_err();
    assert!(matches!(err, Error::InvalidGrant { .. }), "{err:?}");
    assert_eq!(err.kind(), ConnectorErrorKind::Unauthorized);
    assert!(err.to_string().contains("authorise the app again"), "{err}");
    assert_eq!(
        mock.requests_to("/orders/v0/orders/1").await,
        0,
        "no call without a token"
    );
    // Secrets never show in the error or the client's Debug.
    assert!(!format!("{err:?}{client:?}").contains("Atzr|refresh-token"));
    assert!(!format!("{client:?}").contains("client-secret"));
}

#[tokio::test]
async fn get_orders_follows_next_token_to_the_last_page() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|t", 3600).await;
    mock.get_orders_two_pages().await;
    let (client, _) = client(&mock).await;
    let marketplaces = vec!["ATVPDKIKX0DER".to_owned()];
    let orders = client
        .get_orders(
            &marketplaces,
            &OrderQuery::LastUpdatedAfter(start() - chrono::Duration::hours(1)),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = orders.iter().map(|o| o.amazon_order_id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(ids[0], "902-1845936-5435065");
    let first = &mock
        .server()
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/orders/v0/orders")
        .collect::<Vec<_>>()[0];
    let query: std::collections::HashMap<_, _> = first.url.query_pairs().into_owned().collect();
    assert_eq!(query["MarketplaceIds"], "ATVPDKIKX0DER");
    assert_eq!(query["LastUpdatedAfter"], "2026-06-01T07:00:00Z");
}

#[tokio::test]
async fn a_throttled_operation_waits_for_its_own_rate_and_others_do_not() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|t", 3600).await;
    mock.throttle("^/orders/v0/orders$", 1).await;
    mock.get_orders_returns(vec![]).await;
    mock.get_order().await;
    let (client, clock) = client(&mock).await;

    let background = client.clone();
    let orders = tokio::spawn(async move {
        background
            .get_orders(
                &["ATVPDKIKX0DER".to_owned()],
                &OrderQuery::CreatedAfter(start()),
            )
            .await
    });
    assert!(until_requests(&mock, "/orders/v0/orders", 1).await);
    // getOrders is throttled: its next try waits for one token at 0.0167/s (about 60 s)…
    clock.advance(chrono::Duration::seconds(50));
    // …while getOrder, another operation, goes straight through.
    client.get_order("1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        mock.requests_to("/orders/v0/orders").await,
        1,
        "retried before its rate allowed"
    );
    clock.advance(chrono::Duration::seconds(11));
    assert!(
        until_requests(&mock, "/orders/v0/orders", 2).await,
        "never retried"
    );
    assert!(orders.await.unwrap().unwrap().is_empty());
}

#[tokio::test]
async fn throttling_that_lasts_is_reported_as_rate_limited() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|t", 3600).await;
    mock.throttle("^/orders/v0/orders/.+$", 100).await;
    let clock = Arc::new(ManualClock::new(start()));
    let client = SpApiClient::with_clock(mock.config().max_retries(0), clock).unwrap();
    let err = client.get_order("1").await.unwrap_err();
    let ConnectorErrorKind::RateLimited {
        retry_after: Some(wait),
    } = err.kind()
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        wait,
        Duration::from_secs(2),
        "getOrder's published rate is 0.5/s"
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_as_transient() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|t", 3600).await;
    wiremock::Mock::given(wiremock::matchers::path_regex("^/orders/v0/orders/.+$"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .mount(mock.server())
        .await;
    let (client, _) = client(&mock).await;
    let err = client.get_order("1").await.unwrap_err();
    assert_eq!(err.kind(), ConnectorErrorKind::Transient, "{err:?}");
    assert_eq!(
        mock.requests_to("/orders/v0/orders/1").await,
        5,
        "1 try + 4 retries"
    );
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_then_reported() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|t", 3600).await;
    mock.refuse("^/orders/v0/orders/.+$").await;
    let (client, _) = client(&mock).await;
    let err = client.get_order("1").await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized { code, .. } if code == "Unauthorized"),
        "{err:?}"
    );
    assert_eq!(mock.requests_to(LWA_PATH).await, 2);
    assert_eq!(mock.requests_to("/orders/v0/orders/1").await, 2);
}

#[tokio::test]
async fn order_items_and_not_found() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|t", 3600).await;
    mock.get_order_items().await;
    let (client, _) = client(&mock).await;
    let items = client.get_order_items("902-1845936-5435065").await.unwrap();
    assert_eq!(items[0].asin, "B00551Q3CS");
    assert_eq!(
        items[0].item_price.as_ref().and_then(|p| p.value()),
        Some(10.0)
    );
    let err = client.get_order("unknown order").await.unwrap_err();
    assert_eq!(err.kind(), ConnectorErrorKind::NotFound, "{err:?}");
    // The id is percent-encoded in the path.
    assert_eq!(
        mock.requests_to("/orders/v0/orders/unknown%20order").await,
        1
    );
}

#[tokio::test]
async fn destinations_use_a_grantless_token_and_subscriptions_the_sellers() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|seller", 3600).await;
    mock.lwa_grants_grantless("Atza|grantless").await;
    mock.notifications_api().await;
    let (client, _) = client(&mock).await;
    let destination = client
        .create_sqs_destination("fa", "arn:aws:sqs:us-east-1:123456789012:fa")
        .await
        .unwrap();
    assert_eq!(destination.destination_id, "TEST_CASE_200_DESTINATION_ID");
    let subscription = client
        .create_subscription("ORDER_CHANGE", &destination.destination_id)
        .await
        .unwrap();
    assert_eq!(
        subscription.subscription_id,
        "TEST_CASE_200_SUBSCRIPTION_ID"
    );
    let requests = mock.server().received_requests().await.unwrap();
    let token_of = |p: &str| {
        requests
            .iter()
            .find(|r| r.url.path() == p)
            .and_then(|r| r.headers.get("x-amz-access-token"))
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        token_of("/notifications/v1/destinations").as_deref(),
        Some("Atza|grantless")
    );
    assert_eq!(
        token_of("/notifications/v1/subscriptions/ORDER_CHANGE").as_deref(),
        Some("Atza|seller")
    );
    let subscribe = requests
        .iter()
        .find(|r| r.url.path() == "/notifications/v1/subscriptions/ORDER_CHANGE")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&subscribe.body).unwrap();
    assert_eq!(body["payloadVersion"], "1.0");
    assert_eq!(body["destinationId"], "TEST_CASE_200_DESTINATION_ID");
}

#[tokio::test]
async fn the_seller_feedback_report_is_requested_fetched_and_read() {
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|t", 3600).await;
    mock.feedback_report(fixtures::SELLER_FEEDBACK_REPORT).await;
    let (client, _) = client(&mock).await;
    let id = client
        .create_report(
            "GET_SELLER_FEEDBACK_DATA",
            &["ATVPDKIKX0DER".to_owned()],
            Some(start()),
        )
        .await
        .unwrap();
    let report = client.get_report(&id).await.unwrap();
    assert_eq!(report.processing_status, "DONE");
    let document = client
        .get_report_document(report.report_document_id.as_deref().unwrap())
        .await
        .unwrap();
    let bytes = client.download_report_document(&document).await.unwrap();
    let (entries, skipped) = parse_seller_feedback(&bytes);
    assert_eq!((entries.len(), skipped), (3, 0));
    let negative: Vec<_> = entries
        .iter()
        .filter(|e| e.is_negative())
        .map(|e| e.order_id.as_str())
        .collect();
    assert_eq!(negative, ["902-1845936-5435065", "902-8745147-1934268"]);
}
