#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod amazon;
mod assistant;
mod bot;
mod calendar;
mod clock;
mod dates;
mod error;
mod model;
mod runtime;
mod scheduler;
mod secret;
mod store;
#[cfg(feature = "openai")]
mod transcribe;

pub use amazon::{
    AmazonAppSettings, EventRouter, ParsedNotification, ReconcileCounts, SalesCounts,
    SellerAccountInfo, SellerAccountSettings, SellerAccounts, SqsBatch, SqsConsumer,
    SqsQueueSettings, SqsTotals, parse_notification,
};
pub use assistant::{Assistant, AssistantSettings, ToolDefinition};
pub use bot::{Bot, TelegramUser, verify_telegram_login};
pub use calendar::{
    BusyTime, CalendarAccounts, CalendarAppSettings, CalendarConnectionInfo, CalendarEvent,
    CalendarListing, CalendarSyncCounts, FreeSlot, SignInLinkInfo, SlotAttendee, SlotSearch,
    TimeSpan, TokenRefreshCounts, find_free_slots,
};
pub use clock::ManualClock;
pub use dates::{ParsedReminder, ParsedWhen, parse_reminder, parse_when};
pub use error::FaError;
pub use fa_core::ffi::{
    Firing, HostJobKind, HostModel, HostNotifier, HostTool, ReplyListener, ToolInvocation,
};
pub use model::Model;
pub use scheduler::{
    JobPlan, JobSettings, Runner, RunnerSettings, Scheduler, Subscription, TickCounts, UpcomingJob,
    preview_trigger,
};
pub use secret::SecretText;
pub use store::{
    CredentialRotation, Store, StoreInfo, StoreSettings, generate_master_key, open_store,
};
#[cfg(feature = "openai")]
pub use transcribe::{Transcriber, TranscriptText};

uniffi::setup_scaffolding!("fa_ffi");

// The bridges fa-core defines for chrono, chrono-tz and serde_json types.
use fa_core::ffi::{Json, TimeZone, UtcTime, WallTime};
uniffi::use_remote_type!(fa_core::UtcTime);
uniffi::use_remote_type!(fa_core::TimeZone);
uniffi::use_remote_type!(fa_core::Json);
uniffi::use_remote_type!(fa_core::WallTime);

/// The version of fa inside this library.
#[uniffi::export]
pub fn fa_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
