//! The domain every fa crate speaks: plain data, no I/O.

mod audit;
mod conversation;
mod event;
mod habit;
mod household;
mod integration;
mod memory;
mod notification;

pub use audit::{AuditEntry, NewAuditEntry};
pub use conversation::{Conversation, Message, MessageRole, NewMessage};
pub use event::{InboundEvent, NewInboundEvent, Recorded};
pub use habit::{CheckIn, CheckInAnswer, Habit, HabitLog, Mood, NewHabit};
pub(crate) use household::validate_name;
pub use household::{
    ChannelIdentity, Household, Member, MemberScope, NewMember, Role, parse_timezone,
    validate_locale,
};
pub use integration::{Integration, IntegrationStatus, NewIntegration, StoredCredential};
pub use memory::MemoryNote;
pub use notification::{
    DeliveryAttempt, DeliveryReceipt, DeliveryStatus, NewNotification, Notification,
};
