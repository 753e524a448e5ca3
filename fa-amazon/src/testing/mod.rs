//! Test helpers, for fa-amazon's tests and for applications testing their wiring:
//! [`MockSpApi`], a wiremock server playing the Selling Partner API and Login with Amazon with
//! typed endpoint helpers, and `TestQueue`, a queue with a dead-letter queue on a local SQS
//! server.
//!
//! Bodies are Amazon's own: the sandbox responses and examples of the API models
//! (`amzn/selling-partner-api-models`) and the Login with Amazon examples of the developer
//! guide; `tests/fixtures/sp_api/SOURCES.md` names the file and commit of each.

#[cfg(feature = "sqs")]
mod queue;

#[cfg(feature = "sqs")]
pub use queue::{TestQueue, sqs_endpoint};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::sp_api::{LwaCredentials, SpApiConfig};

/// Fixture bodies, as published by Amazon (see `tests/fixtures/sp_api/SOURCES.md`).
pub mod fixtures {
    /// LWA refresh-token grant answer (developer guide, "Request a Login with Amazon access
    /// token").
    pub const LWA_TOKEN: &str = include_str!("../../tests/fixtures/sp_api/lwa_token.json");
    /// LWA `invalid_grant` answer (HTTP 400).
    pub const LWA_INVALID_GRANT: &str =
        include_str!("../../tests/fixtures/sp_api/lwa_invalid_grant.json");
    /// getOrders page 1 (ordersV0 sandbox, with a `NextToken`).
    pub const GET_ORDERS: &str = include_str!("../../tests/fixtures/sp_api/get_orders.json");
    /// getOrders page 2 (ordersV0 sandbox, last page).
    pub const GET_ORDERS_PAGE2: &str =
        include_str!("../../tests/fixtures/sp_api/get_orders_page2.json");
    /// getOrder (ordersV0 sandbox).
    pub const GET_ORDER: &str = include_str!("../../tests/fixtures/sp_api/get_order.json");
    /// getOrderItems (ordersV0 sandbox).
    pub const GET_ORDER_ITEMS: &str =
        include_str!("../../tests/fixtures/sp_api/get_order_items.json");
    /// createDestination (notifications sandbox).
    pub const CREATE_DESTINATION: &str =
        include_str!("../../tests/fixtures/sp_api/create_destination.json");
    /// createSubscription (notifications sandbox).
    pub const CREATE_SUBSCRIPTION: &str =
        include_str!("../../tests/fixtures/sp_api/create_subscription.json");
    /// createReport (reports sandbox).
    pub const CREATE_REPORT: &str = include_str!("../../tests/fixtures/sp_api/create_report.json");
    /// getReport, `DONE` (reports guide).
    pub const GET_REPORT: &str = include_str!("../../tests/fixtures/sp_api/get_report.json");
    /// getReportDocument (reports guide).
    pub const GET_REPORT_DOCUMENT: &str =
        include_str!("../../tests/fixtures/sp_api/get_report_document.json");
    /// A seller feedback report (header as published; rows invented).
    pub const SELLER_FEEDBACK_REPORT: &str =
        include_str!("../../tests/fixtures/sp_api/seller_feedback_report.tsv");
    /// getItemReviewTopics (customer feedback sandbox).
    pub const GET_ITEM_REVIEW_TOPICS: &str =
        include_str!("../../tests/fixtures/sp_api/get_item_review_topics.json");
    /// The 429 error body.
    pub const QUOTA_EXCEEDED: &str =
        include_str!("../../tests/fixtures/sp_api/error_quota_exceeded.json");
    /// The 403 error body.
    pub const UNAUTHORIZED: &str =
        include_str!("../../tests/fixtures/sp_api/error_unauthorized.json");
}

/// Amazon's published example of each typed notification type (`schemas/notifications/` in
/// amzn/selling-partner-api-models; `tests/fixtures/notifications/SOURCES.md`).
pub const NOTIFICATION_EXAMPLES: [&str; 8] = [
    include_str!("../../tests/fixtures/notifications/order_change.json"),
    include_str!("../../tests/fixtures/notifications/fba_outbound_shipment_status.json"),
    include_str!("../../tests/fixtures/notifications/fulfillment_order_status.json"),
    include_str!("../../tests/fixtures/notifications/any_offer_changed.json"),
    include_str!("../../tests/fixtures/notifications/report_processing_finished.json"),
    include_str!("../../tests/fixtures/notifications/feed_processing_finished.json"),
    include_str!("../../tests/fixtures/notifications/listings_item_status_change.json"),
    include_str!("../../tests/fixtures/notifications/listings_item_issues_change.json"),
];

/// `n` distinct notifications (SQS message bodies): the published examples in turn, each with
/// its own notification id `<prefix>-<i>`.
pub fn distinct_notifications(prefix: &str, n: usize) -> Vec<String> {
    let examples: Vec<Value> = NOTIFICATION_EXAMPLES
        .iter()
        .map(|text| json_body(text))
        .collect();
    (0..n)
        .map(|i| {
            let mut body = examples[i % examples.len()].clone();
            let id = json!(format!("{prefix}-{i}"));
            if body.get("NotificationMetadata").is_some() {
                body["NotificationMetadata"]["NotificationId"] = id;
            } else {
                body["notificationMetadata"]["notificationId"] = id;
            }
            body.to_string()
        })
        .collect()
}

/// A household "Shop" whose owner Ana receives every event as it comes (one rule, all
/// kinds): the smallest setup that routes what a source stores.
pub async fn shop_household(store: &fa_core::DynStore) -> fa_core::Result<fa_core::Household> {
    let home = store.create_household("Shop").await?;
    let owner = store
        .add_member(
            home.id,
            fa_core::NewMember::new("Ana", fa_core::Role::Owner),
        )
        .await?;
    store
        .add_route_rule(owner.scope(), fa_core::RouteSpec::all())
        .await?;
    Ok(home)
}

/// The LWA token path on the mock.
pub const LWA_PATH: &str = "/auth/o2/token";

/// A mock SP-API and LWA on one loopback server.
#[derive(Debug)]
pub struct MockSpApi {
    server: MockServer,
}

fn json_body(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

impl MockSpApi {
    /// Starts a server.
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    /// The server (for custom mocks and received requests).
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// A client config pointing at the mock, with test credentials.
    pub fn config(&self) -> SpApiConfig {
        SpApiConfig::with_endpoint(
            self.server.uri(),
            LwaCredentials::new(
                "amzn1.application-oa2-client.test",
                fa_core::Secret::new("client-secret"),
                fa_core::Secret::new("Atzr|refresh-token"),
            ),
        )
        .lwa_url(format!("{}{LWA_PATH}", self.server.uri()))
    }

    /// LWA issues the documented token, with `expires_in` seconds of life, for the refresh-token
    /// grant.
    pub async fn lwa_grants(&self, access_token: &str, expires_in: u64) {
        let mut body = json_body(fixtures::LWA_TOKEN);
        body["access_token"] = json!(access_token);
        body["expires_in"] = json!(expires_in);
        Mock::given(method("POST"))
            .and(path(LWA_PATH))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&self.server)
            .await;
    }

    /// LWA issues a grantless token for the client-credentials grant.
    pub async fn lwa_grants_grantless(&self, access_token: &str) {
        let mut body = json_body(fixtures::LWA_TOKEN);
        body["access_token"] = json!(access_token);
        if let Some(map) = body.as_object_mut() {
            map.remove("refresh_token");
        }
        Mock::given(method("POST"))
            .and(path(LWA_PATH))
            .and(body_string_contains("grant_type=client_credentials"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&self.server)
            .await;
    }

    /// LWA refuses the refresh token (`invalid_grant`, HTTP 400).
    pub async fn lwa_refuses(&self) {
        Mock::given(method("POST"))
            .and(path(LWA_PATH))
            .respond_with(
                ResponseTemplate::new(400).set_body_json(json_body(fixtures::LWA_INVALID_GRANT)),
            )
            .mount(&self.server)
            .await;
    }

    /// getOrders answers the two sandbox pages (page 2 for the sandbox `NextToken`).
    pub async fn get_orders_two_pages(&self) {
        Mock::given(method("GET"))
            .and(path("/orders/v0/orders"))
            .and(query_param("NextToken", "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json_body(fixtures::GET_ORDERS_PAGE2))
                    .insert_header("x-amzn-RateLimit-Limit", "0.0167"),
            )
            .with_priority(1)
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/orders/v0/orders"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json_body(fixtures::GET_ORDERS))
                    .insert_header("x-amzn-RateLimit-Limit", "0.0167"),
            )
            .with_priority(5)
            .mount(&self.server)
            .await;
    }

    /// getOrders answers one page holding `orders` (Orders v0 `Order` objects).
    pub async fn get_orders_returns(&self, orders: Vec<Value>) {
        Mock::given(method("GET"))
            .and(path("/orders/v0/orders"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"payload": {"Orders": orders}})),
            )
            .mount(&self.server)
            .await;
    }

    /// getOrder answers the sandbox order for any id.
    pub async fn get_order(&self) {
        Mock::given(method("GET"))
            .and(path_regex(r"^/orders/v0/orders/[^/]+$"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json_body(fixtures::GET_ORDER))
                    .insert_header("x-amzn-RateLimit-Limit", "0.5"),
            )
            .mount(&self.server)
            .await;
    }

    /// getOrderItems answers the sandbox items for any order.
    pub async fn get_order_items(&self) {
        Mock::given(method("GET"))
            .and(path_regex(r"^/orders/v0/orders/[^/]+/orderItems$"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json_body(fixtures::GET_ORDER_ITEMS)),
            )
            .mount(&self.server)
            .await;
    }

    /// Requests to `path_regex` are throttled (429, `QuotaExceeded`) `times` times first.
    pub async fn throttle(&self, path_pattern: &str, times: u64) {
        Mock::given(path_regex(path_pattern))
            .respond_with(
                ResponseTemplate::new(429).set_body_json(json_body(fixtures::QUOTA_EXCEEDED)),
            )
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Requests to `path_regex` are refused (403, `Unauthorized`).
    pub async fn refuse(&self, path_pattern: &str) {
        Mock::given(path_regex(path_pattern))
            .respond_with(
                ResponseTemplate::new(403).set_body_json(json_body(fixtures::UNAUTHORIZED)),
            )
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// The Notifications API answers createDestination and createSubscription.
    pub async fn notifications_api(&self) {
        Mock::given(method("POST"))
            .and(path("/notifications/v1/destinations"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json_body(fixtures::CREATE_DESTINATION)),
            )
            .mount(&self.server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"^/notifications/v1/subscriptions/[A-Z_]+$"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json_body(fixtures::CREATE_SUBSCRIPTION)),
            )
            .mount(&self.server)
            .await;
    }

    /// The Reports API serves the seller feedback report `report` (TSV) through createReport,
    /// getReport (DONE) and getReportDocument, with the document on this server.
    pub async fn feedback_report(&self, report: &str) {
        Mock::given(method("POST"))
            .and(path("/reports/2021-06-30/reports"))
            .respond_with(
                ResponseTemplate::new(202).set_body_json(json_body(fixtures::CREATE_REPORT)),
            )
            .mount(&self.server)
            .await;
        let mut done = json_body(fixtures::GET_REPORT);
        done["reportType"] = json!(crate::sp_api::SELLER_FEEDBACK_REPORT);
        Mock::given(method("GET"))
            .and(path_regex(r"^/reports/2021-06-30/reports/[^/]+$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(done))
            .mount(&self.server)
            .await;
        let mut document = json_body(fixtures::GET_REPORT_DOCUMENT);
        document["url"] = json!(format!("{}/documents/feedback.tsv", self.server.uri()));
        Mock::given(method("GET"))
            .and(path_regex(r"^/reports/2021-06-30/documents/[^/]+$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(document))
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/documents/feedback.tsv"))
            .respond_with(ResponseTemplate::new(200).set_body_string(report))
            .mount(&self.server)
            .await;
    }

    /// getItemReviewTopics answers `body` (start from [`fixtures::GET_ITEM_REVIEW_TOPICS`]);
    /// replaces what an earlier call mounted.
    pub async fn review_topics(&self, body: Value) {
        Mock::given(method("GET"))
            .and(path_regex(
                r"^/customerFeedback/2024-06-01/items/[^/]+/reviews/topics$",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&self.server)
            .await;
    }

    /// How many requests reached `path` (exactly).
    pub async fn requests_to(&self, request_path: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == request_path)
            .count()
    }
}
