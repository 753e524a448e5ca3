//! fa-calendar's integration tests: iCalendar read and recurring events expanded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[cfg(feature = "caldav")]
mod caldav;
#[cfg(feature = "google")]
mod google;
#[cfg(feature = "oauth")]
mod oauth;
#[cfg(feature = "outlook")]
mod outlook;
mod recurrence;
#[cfg(feature = "oauth")]
mod sign_in;
#[cfg(feature = "caldav")]
mod tools;

use std::sync::Arc;

use fa_core::{
    DynStore, ManualClock, MasterKey, Member, NewMember, Role, SqliteOptions, SqliteStore, Vault,
};

/// A household on a fresh SQLite store in a temp dir: Ana (owner) and Ben (adult), both in
/// Berlin, on a manual clock at Wed 18 Nov 2026 11:15 Berlin time.
pub struct Home {
    pub _dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub store: DynStore,
    pub vault: Arc<Vault>,
    pub ana: Member,
    pub ben: Member,
}

pub async fn home() -> Home {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-18T10:15:00Z".parse().unwrap()));
    let store: DynStore = Arc::new(
        SqliteStore::open_with(SqliteOptions::file(dir.path().join("fa.db")).clock(clock.clone()))
            .await
            .unwrap(),
    );
    let household = store.create_household("Home").await.unwrap();
    let mut members = Vec::new();
    for (name, role) in [("Ana", Role::Owner), ("Ben", Role::Adult)] {
        members.push(
            store
                .add_member(
                    household.id,
                    NewMember::new(name, role).with_timezone("Europe/Berlin"),
                )
                .await
                .unwrap(),
        );
    }
    let ben = members.pop().unwrap();
    let ana = members.pop().unwrap();
    Home {
        _dir: dir,
        clock,
        store,
        vault: Arc::new(Vault::new(MasterKey::generate().unwrap())),
        ana,
        ben,
    }
}
