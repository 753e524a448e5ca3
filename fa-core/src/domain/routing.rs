//! Routing inbound events to members: the owner's rules, events that could not be read, and
//! lines held back for a digest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::scheduler::DEFAULT_CHANNEL;
use crate::{
    DigestItemId, Error, FailedEventId, HouseholdId, InboundEventId, MemberId, NewNotification,
    Result, RouteRuleId,
};

/// Something a source received but could not read (a malformed queue message, say), kept raw so
/// nothing is dropped silently. Stored once per `(source, external_id)`; every further sighting
/// bumps `attempts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FailedEvent {
    /// Its id.
    pub id: FailedEventId,
    /// The household whose source received it.
    pub household_id: HouseholdId,
    /// Where it came from, e.g. `amazon_sqs`.
    pub source: String,
    /// The source's id for it (an SQS message id).
    pub external_id: String,
    /// What was received, unchanged.
    pub raw: String,
    /// Why it could not be read.
    pub reason: String,
    /// How many times it was received.
    pub attempts: u32,
    /// When it was first received.
    pub first_seen: DateTime<Utc>,
    /// When it was last received.
    pub last_seen: DateTime<Utc>,
}

/// Something received that could not be read, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewFailedEvent {
    /// Where it came from.
    pub source: String,
    /// The source's id for it.
    pub external_id: String,
    /// What was received.
    pub raw: String,
    /// Why it could not be read.
    pub reason: String,
}

impl NewFailedEvent {
    /// A failed event from `source`.
    pub fn new(
        source: impl Into<String>,
        external_id: impl Into<String>,
        raw: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            source: source.into(),
            external_id: external_id.into(),
            raw: raw.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        super::validate_name("event source", &self.source, 64)?;
        super::validate_name("external_id", &self.external_id, 512)?;
        // SQS bodies are at most 256 KiB; leave room for other sources.
        if self.raw.len() > 1024 * 1024 {
            return Err(Error::invalid("raw", "is longer than 1 MiB"));
        }
        super::validate_text("reason", &self.reason, 2_000)
    }
}

/// When a member is not to be disturbed, as minutes after local midnight in the member's time
/// zone. `start > end` spans midnight (22:00–07:00); `start == end` is never quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QuietHours {
    /// Start, in minutes after midnight (0..1440).
    pub start_minute: u16,
    /// End, in minutes after midnight (0..1440); messages held during quiet hours go out then.
    pub end_minute: u16,
}

impl QuietHours {
    /// Quiet from `start` to `end`, each `(hour, minute)` on the member's wall clock.
    pub fn new(start: (u16, u16), end: (u16, u16)) -> Self {
        Self {
            start_minute: start.0 * 60 + start.1,
            end_minute: end.0 * 60 + end.1,
        }
    }

    /// Whether `minute` (after local midnight) falls in the quiet window.
    pub fn contains(&self, minute: u16) -> bool {
        let (start, end) = (self.start_minute, self.end_minute);
        if start <= end {
            (start..end).contains(&minute)
        } else {
            minute >= start || minute < end
        }
    }

    fn validate(&self) -> Result<()> {
        if self.start_minute >= 24 * 60 || self.end_minute >= 24 * 60 {
            return Err(Error::invalid(
                "quiet_hours",
                "start and end are minutes after midnight, 0 to 1439",
            ));
        }
        Ok(())
    }
}

/// How a member receives the events a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "mode", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryMode {
    /// One message per event, as it arrives (after quiet hours, if any).
    Immediate,
    /// One message at the top of each hour listing that hour's events.
    HourlyDigest,
    /// One message a day, at `minute` after local midnight, listing the day's events.
    DailyDigest {
        /// When the digest goes out, in minutes after local midnight.
        minute: u16,
    },
}

/// Which events a member receives, and how. Every condition must hold for an event to match;
/// an empty list or a `None` matches everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct RouteSpec {
    /// Event kinds, e.g. `ORDER_CHANGE` (empty: every kind, including ones fa cannot read).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Only events whose amount is at least this much; events without an amount always pass.
    #[serde(default)]
    pub min_amount: Option<f64>,
    /// Only events from these marketplaces (e.g. `ATVPDKIKX0DER`); events without one pass.
    #[serde(default)]
    pub marketplaces: Vec<String>,
    /// Hold messages during these hours and send them when the hours end.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// One message per event or a digest.
    pub delivery: DeliveryMode,
    /// The channel to deliver on ([`DEFAULT_CHANNEL`]: the member's first one).
    pub channel: String,
}

impl RouteSpec {
    /// Every event, immediately, on the member's default channel.
    pub fn all() -> Self {
        Self {
            kinds: Vec::new(),
            min_amount: None,
            marketplaces: Vec::new(),
            quiet_hours: None,
            delivery: DeliveryMode::Immediate,
            channel: DEFAULT_CHANNEL.to_owned(),
        }
    }

    /// Events of these kinds only.
    pub fn kinds<I, S>(mut self, kinds: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.kinds = kinds.into_iter().map(Into::into).collect();
        self
    }

    /// Events with an amount of at least `amount` (events without an amount still match).
    pub fn min_amount(mut self, amount: f64) -> Self {
        self.min_amount = Some(amount);
        self
    }

    /// Events from these marketplaces only.
    pub fn marketplaces<I, S>(mut self, marketplaces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.marketplaces = marketplaces.into_iter().map(Into::into).collect();
        self
    }

    /// Holds messages during `hours`.
    pub fn quiet_hours(mut self, hours: QuietHours) -> Self {
        self.quiet_hours = Some(hours);
        self
    }

    /// How the events are delivered.
    pub fn delivery(mut self, mode: DeliveryMode) -> Self {
        self.delivery = mode;
        self
    }

    /// Delivers on `channel`.
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = channel.into();
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.kinds.len() > 64 || self.marketplaces.len() > 64 {
            return Err(Error::invalid(
                "route rule",
                "at most 64 kinds and 64 marketplaces",
            ));
        }
        for kind in &self.kinds {
            super::validate_name("event kind", kind, 128)?;
        }
        for marketplace in &self.marketplaces {
            super::validate_name("marketplace", marketplace, 64)?;
        }
        if let Some(amount) = self.min_amount
            && !(amount.is_finite() && amount >= 0.0)
        {
            return Err(Error::invalid(
                "min_amount",
                "must be a number of at least 0",
            ));
        }
        if let Some(hours) = &self.quiet_hours {
            hours.validate()?;
        }
        if let DeliveryMode::DailyDigest { minute } = self.delivery
            && minute >= 24 * 60
        {
            return Err(Error::invalid(
                "delivery",
                "a daily digest's minute is after midnight, 0 to 1439",
            ));
        }
        super::validate_name("channel", &self.channel, 64)
    }
}

/// A stored rule: one member receives the events its spec matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RouteRule {
    /// Its id.
    pub id: RouteRuleId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member who receives what it matches.
    pub member_id: MemberId,
    /// What it matches and how it delivers.
    pub spec: RouteSpec,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// What routing decided for one member and one event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RouteAction {
    /// Put this message in the outbox (held until `not_before` when set).
    Notify(NewNotification),
    /// Hold this line for the member's digest due at `due_at`.
    Digest {
        /// The channel the digest goes out on.
        channel: String,
        /// The event's line in the digest.
        line: String,
        /// When the digest is due.
        due_at: DateTime<Utc>,
    },
}

/// One member's delivery of a routed event.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutedDelivery {
    /// Who receives it.
    pub member_id: MemberId,
    /// How.
    pub action: RouteAction,
}

/// An event with what routing decided for it, to commit in one go: the deliveries are written
/// and the event is marked processed together, so an event is routed once even across a crash.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutedEvent {
    /// The event.
    pub event_id: InboundEventId,
    /// Its deliveries (none: nobody's rules matched; it is still marked processed).
    pub deliveries: Vec<RoutedDelivery>,
}

/// An event to store together with the deliveries planned for it (see
/// [`RoutingStore::record_and_route`](crate::RoutingStore::record_and_route)). The id is
/// chosen by the caller, because the planned deliveries name it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEvent {
    /// The id the event gets if it is new.
    pub id: InboundEventId,
    /// The event.
    pub event: crate::NewInboundEvent,
    /// Its deliveries, written only if the event is new.
    pub deliveries: Vec<RoutedDelivery>,
}

/// What committing routed events did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RouteCommit {
    /// Events marked processed by this commit.
    pub events: u32,
    /// Events skipped because they were already processed (another worker, or a retry).
    pub already_processed: u32,
    /// Messages written to the outbox.
    pub notifications: u32,
    /// Lines held for digests.
    pub digest_items: u32,
}

/// A line held for a member's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DigestItem {
    /// Its id.
    pub id: DigestItemId,
    /// The household.
    pub household_id: HouseholdId,
    /// Who receives the digest.
    pub member_id: MemberId,
    /// The event it reports.
    pub event_id: InboundEventId,
    /// The channel the digest goes out on.
    pub channel: String,
    /// The line.
    pub line: String,
    /// When the digest is due.
    pub due_at: DateTime<Utc>,
    /// When the line was held.
    pub created_at: DateTime<Utc>,
}

impl RoutedEvent {
    pub(crate) fn validate(&self) -> Result<()> {
        for delivery in &self.deliveries {
            match &delivery.action {
                RouteAction::Notify(notification) => notification.validate()?,
                RouteAction::Digest { channel, line, .. } => {
                    super::validate_name("channel", channel, 64)?;
                    if line.is_empty() {
                        return Err(Error::invalid("digest line", "must not be empty"));
                    }
                    super::validate_text("digest line", line, 2_000)?;
                }
            }
        }
        Ok(())
    }
}
