//! fa-core's integration tests: the store conformance suite on every backend, plus what only a
//! real database file or server can show.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod assistant;
mod assistant_support;
mod llm;
mod postgres;
mod scheduler;
mod sqlite;
mod transcription;
mod weather;
