#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "sp-api")]
pub mod account;
#[cfg(feature = "sp-api")]
pub mod commands;
mod error;
#[cfg(all(feature = "sp-api", feature = "sqs"))]
pub mod integration;
#[cfg(feature = "sp-api")]
pub mod jobs;
pub mod notification;
pub mod orders;
pub mod reconcile;
#[cfg(feature = "sp-api")]
pub mod sp_api;
#[cfg(feature = "sqs")]
pub mod sqs;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "sp-api")]
pub mod tools;

pub use error::{Error, Result};
pub use notification::{AmazonEventRenderer, NotificationPayload, SpApiNotification};
#[cfg(feature = "sp-api")]
pub use sp_api::{LwaCredentials, Region, SpApiClient, SpApiConfig};
#[cfg(feature = "sqs")]
pub use sqs::{SqsConfig, SqsNotificationSource, SqsOptions};
