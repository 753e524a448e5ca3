//! fa-amazon's integration tests: notifications from Amazon's published examples, the SP-API
//! client against a mock server shaped like Amazon's models, routing on a real SQLite store,
//! and the SQS consumer against a real SQS implementation (moto) on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account;
mod notifications;
mod routing;
mod sp_api;
mod sqs;

use std::sync::Arc;

use fa_core::{DynStore, ManualClock, Member, NewMember, Role, SqliteOptions, SqliteStore};

/// A notification fixture by file name (`tests/fixtures/notifications/`).
pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/notifications/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fresh SQLite store in a temp dir on `clock`, with a household and its owner.
pub async fn store_with_owner(
    dir: &tempfile::TempDir,
    clock: Arc<ManualClock>,
) -> (DynStore, fa_core::Household, Member) {
    let store: DynStore = Arc::new(
        SqliteStore::open_with(SqliteOptions::file(dir.path().join("fa.db")).clock(clock))
            .await
            .unwrap(),
    );
    let home = store.create_household("Shop").await.unwrap();
    let owner = store
        .add_member(
            home.id,
            NewMember::new("Ana", Role::Owner).with_timezone("Europe/Berlin"),
        )
        .await
        .unwrap();
    (store, home, owner)
}
