#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
pub mod domain;
mod error;
mod ids;
pub mod scheduler;
pub mod store;
pub mod vault;

pub use clock::{Clock, ManualClock, SystemClock};
pub use domain::*;
pub use error::{Error, ErrorKind, Result};
pub use ids::*;
pub use store::*;
pub use vault::{MasterKey, Secret, Vault};
