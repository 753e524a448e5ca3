//! The notification outbox and the record of every delivery attempt.
//!
//! A notification is written before anything is sent; each attempt to send it is recorded as a
//! [`DeliveryReceipt`]. "Delivered" is only ever recorded after a channel said it sent the message.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DeliveryReceiptId, Error, HouseholdId, MemberId, NotificationId, Result};

/// Where a notification stands, and the outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Waiting to be sent.
    Queued,
    /// The channel accepted it.
    Sent,
    /// An attempt failed (the receipt says why); another is planned at `retry_at`.
    Retrying,
    /// No more attempts will be made.
    GivenUp,
}

impl DeliveryStatus {
    /// Whether nothing more will happen to the notification.
    pub const fn is_final(self) -> bool {
        matches!(self, DeliveryStatus::Sent | DeliveryStatus::GivenUp)
    }
}

named_enum!(DeliveryStatus, "delivery status", {
    Queued => "queued",
    Sent => "sent",
    Retrying => "retrying",
    GivenUp => "given_up",
});

/// A message to deliver to a member, kept in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Notification {
    /// Its id.
    pub id: NotificationId,
    /// The household.
    pub household_id: HouseholdId,
    /// The recipient.
    pub member_id: MemberId,
    /// The channel to use, e.g. `telegram`.
    pub channel: String,
    /// Unique per member: a second enqueue with the same key is the same notification. Channels
    /// receive it too, so they can drop a duplicate send after a crash.
    pub idempotency_key: String,
    /// The text to send.
    pub body: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// How many attempts were recorded.
    pub attempts: u32,
    /// When the next attempt is due (`None` once final).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A notification to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewNotification {
    /// The channel to use.
    pub channel: String,
    /// Unique per member.
    pub idempotency_key: String,
    /// The text to send.
    pub body: String,
    /// Do not send before this instant (`None`: as soon as possible).
    pub not_before: Option<DateTime<Utc>>,
}

impl NewNotification {
    /// A notification to send as soon as possible.
    pub fn new(
        channel: impl Into<String>,
        idempotency_key: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Self {
            channel: channel.into(),
            idempotency_key: idempotency_key.into(),
            body: body.into(),
            not_before: None,
        }
    }

    /// Holds it back until `at`.
    pub fn not_before(mut self, at: DateTime<Utc>) -> Self {
        self.not_before = Some(at);
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        super::validate_name("channel", &self.channel, 64)?;
        super::validate_name("idempotency_key", &self.idempotency_key, 512)?;
        if self.body.is_empty() {
            return Err(Error::invalid("body", "must not be empty"));
        }
        super::validate_text("body", &self.body, 10_000)
    }
}

/// The outcome of one delivery attempt, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// What happened: [`DeliveryStatus::Sent`], [`Retrying`](DeliveryStatus::Retrying) or
    /// [`GivenUp`](DeliveryStatus::GivenUp).
    pub status: DeliveryStatus,
    /// Why it failed, or the channel's message id when sent. Never message text.
    pub detail: Option<String>,
    /// With `Retrying`: when to try again.
    pub retry_at: Option<DateTime<Utc>>,
}

impl DeliveryAttempt {
    /// The channel accepted the message; `detail` may carry its message id.
    pub fn sent(detail: Option<String>) -> Self {
        Self {
            status: DeliveryStatus::Sent,
            detail,
            retry_at: None,
        }
    }

    /// The attempt failed for `reason`; try again at `at`.
    pub fn retry_at(reason: impl Into<String>, at: DateTime<Utc>) -> Self {
        Self {
            status: DeliveryStatus::Retrying,
            detail: Some(reason.into()),
            retry_at: Some(at),
        }
    }

    /// The attempt failed for `reason` and no more attempts will be made.
    pub fn given_up(reason: impl Into<String>) -> Self {
        Self {
            status: DeliveryStatus::GivenUp,
            detail: Some(reason.into()),
            retry_at: None,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(detail) = &self.detail {
            super::validate_text("detail", detail, 2_000)?;
        }
        match (self.status, self.retry_at) {
            (DeliveryStatus::Queued, _) => Err(Error::invalid(
                "delivery status",
                "an attempt's outcome cannot be `queued`",
            )),
            (DeliveryStatus::Retrying, None) => Err(Error::invalid(
                "retry_at",
                "a `retrying` outcome needs the instant of the next attempt",
            )),
            _ => Ok(()),
        }
    }
}

/// One recorded delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DeliveryReceipt {
    /// Its id.
    pub id: DeliveryReceiptId,
    /// The notification.
    pub notification_id: NotificationId,
    /// 1 for the first attempt, and so on.
    pub attempt: u32,
    /// The outcome.
    pub status: DeliveryStatus,
    /// Why it failed, or the channel's message id.
    pub detail: Option<String>,
    /// With `Retrying`: when the next attempt is due.
    pub retry_at: Option<DateTime<Utc>>,
    /// When the outcome was recorded.
    pub recorded_at: DateTime<Utc>,
}
