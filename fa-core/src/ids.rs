//! Typed identifiers. Every id is a UUID v7 (time-ordered), wrapped so that a member id cannot be
//! passed where a household id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (e.g. one read from elsewhere).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = crate::Error;

            fn from_str(s: &str) -> crate::Result<Self> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|e| crate::Error::invalid(stringify!($name), e.to_string()))
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        // In the bindings an id is its text form; a malformed one is refused when it crosses.
        #[cfg(feature = "uniffi")]
        uniffi::custom_type!($name, String, {
            try_lift: |text| Ok(text.parse::<$name>().map_err(crate::ffi::FaError::from)?),
            lower: |id| id.to_string(),
        });
    };
}

define_id!(
    /// Identifies a household: the unit of isolation. No store query crosses households.
    HouseholdId
);
define_id!(
    /// Identifies a member of a household.
    MemberId
);
define_id!(
    /// Identifies a conversation between a member and the assistant on one channel.
    ConversationId
);
define_id!(
    /// Identifies one message in a conversation.
    MessageId
);
define_id!(
    /// Identifies a saved memory note.
    NoteId
);
define_id!(
    /// Identifies a habit.
    HabitId
);
define_id!(
    /// Identifies one logged completion of a habit.
    HabitLogId
);
define_id!(
    /// Identifies a check-in.
    CheckInId
);
define_id!(
    /// Identifies an integration (a connected calendar, seller account, …).
    IntegrationId
);
define_id!(
    /// Identifies a stored inbound event.
    InboundEventId
);
define_id!(
    /// Identifies a notification in the outbox.
    NotificationId
);
define_id!(
    /// Identifies one recorded delivery attempt.
    DeliveryReceiptId
);
define_id!(
    /// Identifies an audit log entry.
    AuditEntryId
);
define_id!(
    /// Identifies a scheduled job (a reminder, a check-in, a sync…).
    JobId
);
define_id!(
    /// Identifies one planned firing of a job.
    OccurrenceId
);
define_id!(
    /// Identifies an assistant profile.
    ProfileId
);
define_id!(
    /// Identifies a pending action (a tool call waiting for the member's confirmation).
    PendingActionId
);
define_id!(
    /// Identifies an invite code (the code itself is never stored).
    InviteId
);
define_id!(
    /// Identifies an inbound event that could not be read, kept raw.
    FailedEventId
);
define_id!(
    /// Identifies a routing rule (which events a member receives, and how).
    RouteRuleId
);
define_id!(
    /// Identifies a line held for a member's digest.
    DigestItemId
);
