#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
// Without a store backend, the input checks and sealed-credential reading the backends call
// have no caller; an adapter crate that depends on fa-core alone still builds warning-free.
#![cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod assistant;
pub mod calendar;
mod clock;
pub mod connector;
pub mod dates;
pub mod domain;
pub mod engine;
mod error;
pub mod export;
#[cfg(feature = "uniffi")]
pub mod ffi;
mod ids;
pub mod llm;
pub mod recurrence;
pub mod routing;
pub mod scheduler;
pub mod store;
pub mod transcription;
pub mod vault;

pub use clock::{Clock, ManualClock, SystemClock, sleep_until};

/// The guide `docs/WRITING_TOOLS.md`, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/WRITING_TOOLS.md")]
struct WritingToolsGuide;
pub use domain::*;
pub use error::{Error, ErrorKind, Result};
pub use export::export_member;
pub use ids::*;
pub use store::*;
pub use vault::{MasterKey, Secret, Vault};

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("fa_core");
