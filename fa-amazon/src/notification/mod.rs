//! SP-API notifications as they arrive on the SQS queue: the envelope in either spelling
//! Amazon publishes (`NotificationType`/`Payload`/… and `notificationType`/`payload`/…), typed
//! payloads for the types fa reads, and every other type kept whole and routable by its name.
//!
//! ```
//! use fa_amazon::notification::{NotificationPayload, SpApiNotification};
//!
//! let body = r#"{
//!   "NotificationVersion": "1.0", "NotificationType": "FBA_OUTBOUND_SHIPMENT_STATUS",
//!   "PayloadVersion": "1.0", "EventTime": "2020-01-11T00:09:53.109Z",
//!   "Payload": {"FBAOutboundShipmentStatusNotification": {"SellerId": "merchantId",
//!     "AmazonOrderId": "113-2646096-4474645", "AmazonShipmentId": "DrLqQwqvb",
//!     "ShipmentStatus": "Created"}},
//!   "NotificationMetadata": {"ApplicationId": "appId", "SubscriptionId": "subId",
//!     "PublishTime": "2020-01-11T00:02:50.501Z", "NotificationId": "requestId"}}"#;
//! let notification = SpApiNotification::parse(body)?;
//! assert_eq!(notification.notification_type, "FBA_OUTBOUND_SHIPMENT_STATUS");
//! assert!(matches!(notification.payload, NotificationPayload::FbaOutboundShipmentStatus(_)));
//! # Ok::<(), fa_amazon::notification::NotificationError>(())
//! ```

mod payloads;
mod render;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use fa_core::NewInboundEvent;

pub use payloads::*;
pub use render::{AmazonEventRenderer, render_notification};

/// The `source` of every event fa-amazon stores (from the queue and from the reconciliation
/// poll alike, so the two deduplicate against each other).
pub const EVENT_SOURCE: &str = "amazon";

/// The notification types fa reads into typed payloads.
pub const TYPED_NOTIFICATION_TYPES: [&str; 8] = [
    "ORDER_CHANGE",
    "FBA_OUTBOUND_SHIPMENT_STATUS",
    "FULFILLMENT_ORDER_STATUS",
    "ANY_OFFER_CHANGED",
    "REPORT_PROCESSING_FINISHED",
    "FEED_PROCESSING_FINISHED",
    "LISTINGS_ITEM_STATUS_CHANGE",
    "LISTINGS_ITEM_ISSUES_CHANGE",
];

/// Why a message is not a readable notification. The message is kept raw as a failed event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a readable SP-API notification: {reason}")]
pub struct NotificationError {
    /// What is wrong, naming the field.
    pub reason: String,
}

impl NotificationError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Who sent a notification and its id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NotificationMetadata {
    /// The SP-API application the subscription belongs to.
    #[serde(rename = "ApplicationId", alias = "applicationId")]
    pub application_id: String,
    /// The subscription.
    #[serde(rename = "SubscriptionId", alias = "subscriptionId")]
    pub subscription_id: String,
    /// When Amazon published it.
    #[serde(rename = "PublishTime", alias = "publishTime")]
    pub publish_time: String,
    /// Amazon's id for it: the same notification delivered twice has the same id.
    #[serde(rename = "NotificationId", alias = "notificationId")]
    pub notification_id: String,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "NotificationVersion", alias = "notificationVersion")]
    notification_version: String,
    #[serde(rename = "NotificationType", alias = "notificationType")]
    notification_type: String,
    #[serde(rename = "PayloadVersion", alias = "payloadVersion")]
    payload_version: String,
    #[serde(rename = "EventTime", alias = "eventTime")]
    event_time: String,
    // Read in place from the raw value (see `payload_of`), not copied here.
    #[serde(rename = "Payload", alias = "payload")]
    _payload: serde::de::IgnoredAny,
    #[serde(rename = "NotificationMetadata", alias = "notificationMetadata")]
    metadata: NotificationMetadata,
}

/// A notification's payload: typed for the types fa reads, whole JSON for the rest.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NotificationPayload {
    /// `ORDER_CHANGE`.
    OrderChange(OrderChange),
    /// `FBA_OUTBOUND_SHIPMENT_STATUS`.
    FbaOutboundShipmentStatus(FbaOutboundShipmentStatus),
    /// `FULFILLMENT_ORDER_STATUS`.
    FulfillmentOrderStatus(FulfillmentOrderStatus),
    /// `ANY_OFFER_CHANGED`.
    AnyOfferChanged(AnyOfferChanged),
    /// `REPORT_PROCESSING_FINISHED`.
    ReportProcessingFinished(ReportProcessingFinished),
    /// `FEED_PROCESSING_FINISHED`.
    FeedProcessingFinished(FeedProcessingFinished),
    /// `LISTINGS_ITEM_STATUS_CHANGE`.
    ListingsItemStatusChange(ListingsItemStatusChange),
    /// `LISTINGS_ITEM_ISSUES_CHANGE`.
    ListingsItemIssuesChange(ListingsItemIssuesChange),
    /// Any other type, kept whole.
    Other(Value),
}

/// One SP-API notification.
#[derive(Debug, Clone, PartialEq)]
pub struct SpApiNotification {
    /// e.g. `ORDER_CHANGE`.
    pub notification_type: String,
    /// The envelope's version (`1.0`, `2020-09-04`).
    pub notification_version: String,
    /// The payload's version.
    pub payload_version: String,
    /// When the event happened (ISO 8601, as sent).
    pub event_time: String,
    /// Who sent it and its id.
    pub metadata: NotificationMetadata,
    /// What it says.
    pub payload: NotificationPayload,
    /// The message as received.
    pub raw: Value,
}

impl SpApiNotification {
    /// Reads an SQS message body.
    pub fn parse(body: &str) -> Result<Self, NotificationError> {
        let raw: Value = serde_json::from_str(body)
            .map_err(|e| NotificationError::new(format!("the body is not JSON ({e})")))?;
        Self::from_value(raw)
    }

    /// Reads a notification already parsed as JSON (e.g. a stored event's payload).
    pub fn from_value(raw: Value) -> Result<Self, NotificationError> {
        let (envelope, payload) = read_envelope(&raw)?;
        Ok(Self {
            notification_type: envelope.notification_type,
            notification_version: envelope.notification_version,
            payload_version: envelope.payload_version,
            event_time: envelope.event_time,
            metadata: envelope.metadata,
            payload,
            raw,
        })
    }

    /// The typed payload and type of a stored notification, read in place (no copy of the
    /// whole body).
    pub fn payload_of(
        raw: &Value,
    ) -> Result<(String, String, NotificationPayload), NotificationError> {
        let (envelope, payload) = read_envelope(raw)?;
        Ok((envelope.notification_type, envelope.event_time, payload))
    }

    /// The key fa stores the notification under. A status change of an order is keyed by the
    /// order and its new status (`order:<id>:<status>`), so the reconciliation poll, which sees
    /// orders and not notifications, finds it already stored; everything else by Amazon's
    /// notification id.
    pub fn idempotency_key(&self) -> String {
        match &self.payload {
            NotificationPayload::OrderChange(change)
                if change.order_change_type == "OrderStatusChange" =>
            {
                order_status_key(&change.amazon_order_id, &change.summary.order_status)
            }
            _ => format!("notification:{}", self.metadata.notification_id),
        }
    }

    /// The event to store for it.
    pub fn to_event(&self) -> NewInboundEvent {
        self.clone().into_event()
    }

    /// The event to store for it, taking the body without copying it.
    pub fn into_event(self) -> NewInboundEvent {
        let key = self.idempotency_key();
        NewInboundEvent::new(EVENT_SOURCE, key, self.notification_type, self.raw)
    }
}

fn read_envelope(raw: &Value) -> Result<(Envelope, NotificationPayload), NotificationError> {
    let envelope =
        Envelope::deserialize(raw).map_err(|e| NotificationError::new(format!("envelope: {e}")))?;
    if envelope.metadata.notification_id.trim().is_empty() {
        return Err(NotificationError::new("NotificationId is empty"));
    }
    let body = raw
        .get("Payload")
        .or_else(|| raw.get("payload"))
        .unwrap_or(&Value::Null);
    let payload = typed_payload(&envelope.notification_type, body)?;
    Ok((envelope, payload))
}

/// The idempotency key of "order `order_id` reached `status`".
pub fn order_status_key(order_id: &str, status: &str) -> String {
    format!("order:{order_id}:{status}")
}

fn typed_payload(kind: &str, payload: &Value) -> Result<NotificationPayload, NotificationError> {
    use NotificationPayload as P;
    Ok(match kind {
        "ORDER_CHANGE" => P::OrderChange(nested(payload, "OrderChangeNotification")?),
        "FBA_OUTBOUND_SHIPMENT_STATUS" => {
            P::FbaOutboundShipmentStatus(nested(payload, "FBAOutboundShipmentStatusNotification")?)
        }
        "FULFILLMENT_ORDER_STATUS" => {
            P::FulfillmentOrderStatus(nested(payload, "FulfillmentOrderStatusNotification")?)
        }
        "ANY_OFFER_CHANGED" => P::AnyOfferChanged(nested(payload, "AnyOfferChangedNotification")?),
        "REPORT_PROCESSING_FINISHED" => {
            P::ReportProcessingFinished(nested(payload, "reportProcessingFinishedNotification")?)
        }
        "FEED_PROCESSING_FINISHED" => {
            P::FeedProcessingFinished(nested(payload, "feedProcessingFinishedNotification")?)
        }
        // The listings types put their fields straight under `Payload`.
        "LISTINGS_ITEM_STATUS_CHANGE" => P::ListingsItemStatusChange(direct(payload, kind)?),
        "LISTINGS_ITEM_ISSUES_CHANGE" => P::ListingsItemIssuesChange(direct(payload, kind)?),
        _ => P::Other(payload.clone()),
    })
}

/// The object under `key` in the payload, accepting the key with either first-letter case.
fn nested<T: DeserializeOwned>(payload: &Value, key: &str) -> Result<T, NotificationError> {
    let flipped = flip_first(key);
    let inner = payload
        .get(key)
        .or_else(|| payload.get(&flipped))
        .ok_or_else(|| NotificationError::new(format!("Payload has no {key}")))?;
    T::deserialize(inner).map_err(|e| NotificationError::new(format!("{key}: {e}")))
}

fn direct<T: DeserializeOwned>(payload: &Value, kind: &str) -> Result<T, NotificationError> {
    T::deserialize(payload).map_err(|e| NotificationError::new(format!("{kind} Payload: {e}")))
}

fn flip_first(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) if first.is_uppercase() => first.to_lowercase().chain(chars).collect(),
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
