//! The domain every fa crate speaks: plain data, no I/O.

/// Gives a fieldless enum its stable storage names: `as_str`, `Display`, and `FromStr` with an
/// error that lists the accepted names.
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The stable lower-case name used in storage and configuration.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = crate::Error;

            fn from_str(s: &str) -> crate::Result<Self> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    other => Err(crate::Error::invalid(
                        $what,
                        format!(
                            "{other:?} is not one of {}",
                            [$($name),+].join(", ")
                        ),
                    )),
                }
            }
        }
    };
}

mod assistant;
mod audit;
mod conversation;
mod event;
mod habit;
mod household;
mod integration;
mod job;
mod memory;
mod notification;
mod routing;
mod validate;

pub use assistant::{
    AssistantProfile, ConversationSummary, NewPendingAction, NewProfile, PendingAction,
    PendingActionState,
};
pub use audit::{AuditEntry, NewAuditEntry};
pub use conversation::{Conversation, Message, MessageRole, NewMessage};
pub(crate) use event::validate_inbox;
pub use event::{InboundEvent, InboxBegin, InboxEntry, NewInboundEvent, Recorded};
pub use habit::{CheckIn, CheckInAnswer, Habit, HabitLog, Mood, NewHabit};
pub use household::{
    ChannelIdentity, Household, Invite, Member, MemberScope, NewMember, Role, UnreachableIdentity,
    parse_timezone, validate_locale,
};
pub use integration::{Integration, IntegrationStatus, NewIntegration, StoredCredential};
pub use job::{Job, JobState, MisfirePolicy, Occurrence, OccurrenceState, Upcoming};
pub use memory::{Forgotten, MemoryNote};
pub use notification::{
    DeliveryAttempt, DeliveryReceipt, DeliveryStatus, NewNotification, Notification,
};
pub use routing::{
    DeliveryMode, DigestItem, FailedEvent, NewFailedEvent, PlannedEvent, QuietHours, RouteAction,
    RouteCommit, RouteRule, RouteSpec, RoutedDelivery, RoutedEvent,
};
pub(crate) use validate::{validate_json, validate_name, validate_text};
