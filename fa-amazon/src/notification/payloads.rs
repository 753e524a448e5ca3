//! The typed payloads, field for field as Amazon's notification schemas name them
//! (`amzn/selling-partner-api-models`, `schemas/notifications/`). Only the fields a message
//! needs are typed; the whole body stays available as JSON. Unknown fields are accepted: the
//! schemas allow additional properties.

use serde::{Deserialize, Serialize};

/// A sum of money as the notifications carry it (`Amount` may be an integer or a decimal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Money {
    /// The amount.
    pub amount: f64,
    /// ISO 4217 currency code.
    pub currency_code: String,
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2} {}", self.amount, self.currency_code)
    }
}

/// `ORDER_CHANGE`: an order's status changed, or the buyer asked for a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChange {
    /// The seller.
    pub seller_id: String,
    /// The order.
    pub amazon_order_id: String,
    /// `OrderLevel` or `OrderItemLevel`.
    pub notification_level: String,
    /// `OrderStatusChange`, `BuyerRequestedChange`, `DeliveryTipChange`.
    pub order_change_type: String,
    /// What triggered it.
    pub order_change_trigger: OrderChangeTrigger,
    /// The order after the change.
    pub summary: OrderChangeSummary,
}

/// What triggered an order change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChangeTrigger {
    /// When the change happened.
    pub time_of_order_change: Option<String>,
    /// Why, e.g. "Buyer Requested Cancel".
    pub change_reason: String,
}

/// The order after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChangeSummary {
    /// The marketplace.
    pub marketplace_id: String,
    /// `Pending`, `Unshipped`, `Shipped`, `Canceled`, …
    pub order_status: String,
    /// When it was bought.
    pub purchase_date: Option<String>,
    /// `AFN` (fulfilled by Amazon) or `MFN` (by the seller).
    pub fulfillment_type: String,
    /// `StandardOrder`, …
    pub order_type: String,
    /// Items shipped so far.
    pub number_of_items_shipped: Option<u32>,
    /// Items not yet shipped.
    pub number_of_items_unshipped: Option<u32>,
    /// The latest ship date promised.
    pub latest_ship_date: Option<String>,
    /// The order's items.
    #[serde(default)]
    pub order_items: Vec<OrderChangeItem>,
}

/// One item of a changed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChangeItem {
    /// The item.
    pub order_item_id: String,
    /// The seller's SKU.
    #[serde(rename = "SellerSKU")]
    pub seller_sku: String,
    /// How many.
    pub quantity: u32,
    /// Whether the buyer asked to cancel it.
    pub is_buyer_requested_cancel: Option<bool>,
}

/// `FBA_OUTBOUND_SHIPMENT_STATUS`: an Amazon-fulfilled shipment was created or cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FbaOutboundShipmentStatus {
    /// The seller.
    pub seller_id: String,
    /// The order.
    pub amazon_order_id: String,
    /// The shipment.
    pub amazon_shipment_id: String,
    /// `Created` or `Cancelled`.
    pub shipment_status: String,
}

/// `FULFILLMENT_ORDER_STATUS`: a multi-channel fulfillment order changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FulfillmentOrderStatus {
    /// The seller.
    pub seller_id: String,
    /// `Order`, `Shipment` or `Return`.
    pub event_type: String,
    /// When the status changed.
    pub status_updated_date_time: String,
    /// The seller's id for the fulfillment order.
    pub seller_fulfillment_order_id: String,
    /// `Received`, `Planning`, `Processing`, `Complete`, …
    pub fulfillment_order_status: String,
    /// The shipment, with `EventType` `Shipment`.
    pub fulfillment_shipment: Option<FulfillmentShipment>,
}

/// A multi-channel fulfillment shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FulfillmentShipment {
    /// Its status.
    pub fulfillment_shipment_status: String,
    /// The shipment.
    pub amazon_shipment_id: String,
    /// When it should arrive.
    pub estimated_arrival_date_time: Option<String>,
    /// Its packages and their tracking numbers.
    #[serde(default)]
    pub fulfillment_shipment_packages: Vec<ShipmentPackage>,
}

/// A package of a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShipmentPackage {
    /// Its number in the shipment.
    pub package_number: u32,
    /// The carrier.
    pub carrier_code: String,
    /// The carrier's tracking number.
    pub tracking_number: String,
}

/// `ANY_OFFER_CHANGED`: one of the top offers on an item changed (price, Buy Box).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnyOfferChanged {
    /// The seller subscribed.
    pub seller_id: String,
    /// What changed, where.
    pub offer_change_trigger: OfferChangeTrigger,
    /// Prices after the change (fields are often missing in practice: all optional).
    #[serde(default)]
    pub summary: OfferSummary,
}

/// What changed in an offer, where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfferChangeTrigger {
    /// The marketplace.
    pub marketplace_id: String,
    /// The item.
    #[serde(rename = "ASIN")]
    pub asin: String,
    /// `New`, `Used`, …
    pub item_condition: String,
    /// When.
    pub time_of_offer_change: String,
    /// `Internal`, `External`, `FeaturedOffer`.
    pub offer_change_type: Option<String>,
}

/// Prices of an item's offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfferSummary {
    /// The list price.
    pub list_price: Option<Money>,
    /// The Buy Box prices by condition.
    #[serde(default)]
    pub buy_box_prices: Vec<OfferPrice>,
    /// The lowest prices by condition and channel.
    #[serde(default)]
    pub lowest_prices: Vec<OfferPrice>,
}

/// A price of an offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfferPrice {
    /// `new`, `used`, …
    pub condition: String,
    /// `Amazon` or `Merchant`, where given.
    pub fulfillment_channel: Option<String>,
    /// Price plus shipping.
    pub landed_price: Option<Money>,
    /// The price.
    pub listing_price: Option<Money>,
}

/// `REPORT_PROCESSING_FINISHED`: a requested report is ready (or failed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportProcessingFinished {
    /// The seller (absent for vendors).
    pub seller_id: Option<String>,
    /// The account.
    pub account_id: String,
    /// The report.
    pub report_id: String,
    /// e.g. `GET_SELLER_FEEDBACK_DATA`.
    pub report_type: String,
    /// `DONE`, `CANCELLED` or `FATAL`.
    pub processing_status: String,
    /// The document to download, when done.
    pub report_document_id: Option<String>,
}

/// `FEED_PROCESSING_FINISHED`: a submitted feed was processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedProcessingFinished {
    /// The seller (absent for vendors).
    pub seller_id: Option<String>,
    /// The account.
    pub account_id: String,
    /// The feed.
    pub feed_id: String,
    /// e.g. `POST_PRODUCT_DATA`.
    pub feed_type: String,
    /// `DONE`, `CANCELLED` or `FATAL`.
    pub processing_status: String,
    /// The processing report, when there is one.
    pub result_feed_document_id: Option<String>,
}

/// `LISTINGS_ITEM_STATUS_CHANGE`: a listing became buyable, discoverable, or was deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListingsItemStatusChange {
    /// The seller.
    pub seller_id: String,
    /// The marketplace.
    pub marketplace_id: Option<String>,
    /// The item.
    pub asin: Option<String>,
    /// The seller's SKU.
    pub sku: String,
    /// `BUYABLE`, `DISCOVERABLE`, `DELETED` (empty: neither buyable nor discoverable).
    pub status: Vec<String>,
}

/// `LISTINGS_ITEM_ISSUES_CHANGE`: the issues on a listing changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListingsItemIssuesChange {
    /// The seller.
    pub seller_id: String,
    /// The marketplace.
    pub marketplace_id: Option<String>,
    /// The item.
    pub asin: Option<String>,
    /// The seller's SKU.
    pub sku: String,
    /// The severities of the open issues: `ERROR`, `WARNING`, `NONE`.
    pub severities: Vec<String>,
    /// What Amazon does about them, e.g. `SEARCH_SUPPRESSED`.
    #[serde(default)]
    pub enforcement_actions: Vec<String>,
}
