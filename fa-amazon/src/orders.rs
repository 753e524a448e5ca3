//! Orders v0 model types, as `models/orders-api-model/ordersV0.json` names them. Only the
//! fields fa uses are typed; unknown fields are accepted.

use serde::{Deserialize, Serialize};

/// A sum of money in the Orders API (`Amount` is a decimal string, e.g. `"25.99"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderMoney {
    /// ISO 4217 currency code.
    pub currency_code: Option<String>,
    /// The amount, as a decimal string.
    pub amount: Option<String>,
}

impl OrderMoney {
    /// The amount as a number, when there is one that reads.
    pub fn value(&self) -> Option<f64> {
        self.amount.as_deref()?.trim().parse().ok()
    }
}

impl std::fmt::Display for OrderMoney {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.amount.as_deref().unwrap_or("?"),
            self.currency_code.as_deref().unwrap_or("")
        )
    }
}

/// An order (Orders v0 `Order`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Order {
    /// Amazon's order id, e.g. `902-3159896-1390916`.
    pub amazon_order_id: String,
    /// When it was bought (ISO 8601).
    pub purchase_date: String,
    /// When it last changed (ISO 8601).
    pub last_update_date: String,
    /// `Pending`, `Unshipped`, `PartiallyShipped`, `Shipped`, `Canceled`, `Unfulfillable`, …
    pub order_status: String,
    /// `AFN` (Amazon) or `MFN` (the seller).
    pub fulfillment_channel: Option<String>,
    /// The order's total.
    pub order_total: Option<OrderMoney>,
    /// Items shipped.
    pub number_of_items_shipped: Option<u32>,
    /// Items not yet shipped.
    pub number_of_items_unshipped: Option<u32>,
    /// The marketplace.
    pub marketplace_id: Option<String>,
    /// `StandardOrder`, …
    pub order_type: Option<String>,
}

impl Order {
    /// Items in the order (shipped and not).
    pub fn item_count(&self) -> u32 {
        self.number_of_items_shipped.unwrap_or(0) + self.number_of_items_unshipped.unwrap_or(0)
    }
}

/// One item of an order (Orders v0 `OrderItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderItem {
    /// The item's ASIN.
    #[serde(rename = "ASIN")]
    pub asin: String,
    /// The seller's SKU.
    #[serde(rename = "SellerSKU")]
    pub seller_sku: Option<String>,
    /// The item's id in the order.
    pub order_item_id: String,
    /// Its title.
    pub title: Option<String>,
    /// How many were ordered.
    pub quantity_ordered: u32,
    /// How many were shipped.
    pub quantity_shipped: Option<u32>,
    /// The price of the line.
    pub item_price: Option<OrderMoney>,
}
