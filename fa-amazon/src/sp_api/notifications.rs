//! Notifications API v1: an SQS destination and subscriptions to it.
//!
//! `createDestination` is a grantless operation: Amazon expects a token from the
//! `client_credentials` grant with scope `sellingpartnerapi::notifications`. fa asks Login with
//! Amazon for that token itself; the seller's refresh token is not used for it.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::SpApiClient;
use super::orders::encode;
use crate::Result;

/// A notification destination (an SQS queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// Amazon's id for it.
    pub destination_id: String,
    /// Its name.
    pub name: String,
}

/// A subscription of the seller to one notification type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Amazon's id for it.
    pub subscription_id: String,
    /// The payload version delivered.
    pub payload_version: String,
    /// Where notifications go.
    pub destination_id: String,
}

#[derive(Deserialize)]
struct Payload<T> {
    payload: T,
}

/// The payload version Amazon's schemas use for each type fa reads.
pub fn payload_version(notification_type: &str) -> &'static str {
    match notification_type {
        "REPORT_PROCESSING_FINISHED" | "FEED_PROCESSING_FINISHED" => "2020-09-04",
        _ => "1.0",
    }
}

impl SpApiClient {
    /// Creates a destination for the SQS queue `queue_arn` (grantless).
    pub async fn create_sqs_destination(&self, name: &str, queue_arn: &str) -> Result<Destination> {
        let request = json!({"name": name, "resourceSpecification": {"sqs": {"arn": queue_arn}}});
        let body = self
            .call_raw(
                "createDestination",
                super::Auth::Grantless,
                Method::POST,
                "/notifications/v1/destinations",
                |r| r.json(&request),
            )
            .await?;
        let answer: Payload<Destination> = super::read_json("createDestination", &body)?;
        Ok(answer.payload)
    }

    /// Subscribes the seller to `notification_type`, delivered to `destination_id`.
    pub async fn create_subscription(
        &self,
        notification_type: &str,
        destination_id: &str,
    ) -> Result<Subscription> {
        let path = format!(
            "/notifications/v1/subscriptions/{}",
            encode(notification_type)
        );
        let body = json!({
            "payloadVersion": payload_version(notification_type),
            "destinationId": destination_id,
        });
        let answer: Payload<Subscription> = self
            .call("createSubscription", Method::POST, &path, |r| r.json(&body))
            .await?;
        Ok(answer.payload)
    }

    /// The seller's subscription to `notification_type`.
    pub async fn get_subscription(&self, notification_type: &str) -> Result<Subscription> {
        let path = format!(
            "/notifications/v1/subscriptions/{}",
            encode(notification_type)
        );
        let version = payload_version(notification_type);
        let answer: Payload<Subscription> = self
            .call("getSubscription", Method::GET, &path, |r| {
                r.query(&[("payloadVersion", version)])
            })
            .await?;
        Ok(answer.payload)
    }
}
