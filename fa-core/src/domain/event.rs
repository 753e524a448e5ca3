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

/// A message a channel received and journaled in its inbox before acknowledging it to its
/// provider, not yet answered.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct InboxEntry {
    /// The household whose channel received it.
    pub household_id: HouseholdId,
    /// The channel, e.g. `telegram`.
    pub channel: String,
    /// The provider's id for the delivery (Telegram: `update:<update_id>`): a delivery is
    /// journaled once per `(household, channel, key)`.
    pub key: String,
    /// What arrived, as the channel will read it again (Telegram: the update's JSON).
    pub payload: String,
    /// When it was journaled.
    pub received_at: DateTime<Utc>,
    /// How many turns have begun for it; more than zero means one was interrupted.
    pub attempts: u32,
}

/// What [`EventStore::begin_inbound`](crate::EventStore::begin_inbound) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboxBegin {
    /// The first turn for this delivery: answer it.
    Fresh,
    /// A turn began before and never finished (the process stopped in the middle): it may have
    /// done part of its work, so the member should be told rather than answered twice.
    Interrupted {
        /// Turns begun before this one.
        attempts: u32,
    },
    /// Already answered: a redelivery, to drop.
    Done,
    /// Not in the inbox (never journaled, or pruned).
    Missing,
}

/// Checks an inbox key and payload as the store does.
pub(crate) fn validate_inbox(channel: &str, key: &str, payload: &str) -> Result<()> {
    super::validate_name("channel", channel, 64)?;
    super::validate_name("inbox key", key, 512)?;
    super::validate_text("inbox payload", payload, 1024 * 1024)
}
