//! fa-core's integration tests: the store conformance suite on every backend, plus what only a
//! real database file or server can show.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod postgres;
mod scheduler;
mod sqlite;
