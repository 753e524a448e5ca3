//! End-to-end: fa used the way an application and its operator use it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod key_rotation;
mod scheduler_processes;
mod sqs_consumer_crash;
