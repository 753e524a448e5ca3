//! Inbound events (seller notifications, calendar pushes, webhooks), stored once per idempotency key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{HouseholdId, InboundEventId, Result};

/// An event received from outside, stored before it is acted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InboundEvent {
    /// Its id.
    pub id: InboundEventId,
    /// The household it concerns.
    pub household_id: HouseholdId,
    /// Where it came from, e.g. `amazon_sqs`.
    pub source: String,
    /// The sender's id for it (e.g. the SP-API notification id): an event is stored once per
    /// `(household, source, idempotency_key)`.
    pub idempotency_key: String,
    /// Its type, e.g. `ORDER_CHANGE`.
    pub kind: String,
    /// Its body, kept whole.
    pub payload: serde_json::Value,
    /// When it was stored.
    pub received_at: DateTime<Utc>,
    /// When it was handled, once it has been.
    pub processed_at: Option<DateTime<Utc>>,
}

/// An event to record.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewInboundEvent {
    /// Where it came from.
    pub source: String,
    /// The sender's id for it.
    pub idempotency_key: String,
    /// Its type.
    pub kind: String,
    /// Its body.
    pub payload: serde_json::Value,
}

impl NewInboundEvent {
    /// An event from `source` with the sender's id and type.
    pub fn new(
        source: impl Into<String>,
        idempotency_key: impl Into<String>,
        kind: impl Into<String>,
        payload: serde_json::Value,
    ) -> Self {
        Self {
            source: source.into(),
            idempotency_key: idempotency_key.into(),
            kind: kind.into(),
            payload,
        }
    }

    /// Checks what the store checks before recording it (non-blank names within their lengths,
    /// no control characters, a payload of at most 1 MiB), so a source can set one bad event
    /// aside before it spoils a batch.
    pub fn validate(&self) -> Result<()> {
        super::validate_name("event source", &self.source, 64)?;
        super::validate_name("idempotency_key", &self.idempotency_key, 512)?;
        super::validate_name("event kind", &self.kind, 128)?;
        super::validate_json("event payload", &self.payload, 1024 * 1024)
    }
}

/// What recording an event did.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Recorded {
    /// The event is new and is now stored.
    New(InboundEvent),
    /// An event with the same key was already stored; here it is, unchanged.
    Duplicate(InboundEvent),
}

impl Recorded {
    /// The stored event, new or not.
    pub fn event(&self) -> &InboundEvent {
        match self {
            Recorded::New(e) | Recorded::Duplicate(e) => e,
        }
    }

    /// Whether this call stored it.
    pub fn is_new(&self) -> bool {
        matches!(self, Recorded::New(_))
    }
}
