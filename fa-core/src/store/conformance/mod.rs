//! The store conformance suite: the behaviour every [`Store`](crate::Store) backend must show.
//! Backends run it with [`store_conformance_tests!`](crate::store_conformance_tests).
//!
//! The checks are plain async functions so they read as ordinary tests; the macro turns each into
//! a `#[tokio::test]` in the caller's module.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod access;
mod assistant;
mod inbox;
mod isolation;
mod people;
mod personal;
mod plumbing;
mod routing;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

pub use access::*;
pub use assistant::*;
pub use inbox::*;
pub use isolation::*;
pub use people::*;
pub use personal::*;
pub use plumbing::*;
pub use routing::*;

use crate::{DynStore, Household, ManualClock, Member, NewMember, Role};

/// The instant every suite clock starts at: 2026-03-01 12:00 UTC.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// A clock at [`start`].
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(start()))
}

/// Everything a check needs: the store under test and the clock it stamps rows with.
pub struct Fixture {
    pub store: DynStore,
    pub clock: Arc<ManualClock>,
}

impl Fixture {
    /// A household with one owner.
    pub async fn household(&self, name: &str) -> (Household, Member) {
        let household = self.store.create_household(name).await.unwrap();
        let owner = self
            .store
            .add_member(
                household.id,
                NewMember::new(format!("{name} owner"), Role::Owner).with_timezone("Europe/Berlin"),
            )
            .await
            .unwrap();
        (household, owner)
    }

    /// Another member of `household`.
    pub async fn member(&self, household: &Household, name: &str, role: Role) -> Member {
        self.store
            .add_member(household.id, NewMember::new(name, role))
            .await
            .unwrap()
    }
}

/// Expands to one `#[tokio::test]` per conformance check. Needs, in scope,
/// `async fn make_store(clock: Arc<dyn fa_core::Clock>) -> Option<fa_core::DynStore>` returning a
/// fresh, empty store stamping rows with `clock` (or `None` to skip, e.g. when no server is
/// configured), and `tokio` as a dependency with the `macros` and `rt` features.
#[macro_export]
macro_rules! store_conformance_tests {
    () => {
        $crate::store_conformance_tests!(@each
            household_round_trip,
            household_name_is_validated,
            members_round_trip,
            member_input_is_validated_and_nothing_stored,
            member_needs_an_existing_household,
            identities_link_find_and_unlink,
            an_identity_belongs_to_one_member,
            conversation_is_created_once,
            messages_come_back_in_order,
            messages_need_the_members_own_conversation,
            notes_are_saved_searched_and_forgotten,
            habits_are_created_logged_and_archived,
            habit_input_is_validated,
            check_ins_are_recorded_by_range,
            integrations_have_a_lifecycle,
            credentials_are_stored_sealed_and_replaced_only_if_unchanged,
            credentials_cannot_be_put_on_another_members_integration,
            vault_rotation_reseals_every_credential,
            events_are_stored_once_per_key,
            text_with_nul_characters_is_refused,
            notifications_are_enqueued_once_and_come_due,
            delivery_attempts_are_recorded_in_order,
            audit_log_is_newest_first,
            another_household_sees_nothing,
            another_member_sees_nothing_personal,
            forged_scopes_cannot_write,
            idempotency_keys_are_per_member,
            removing_a_member_removes_their_data,
            status_reports_backend_and_schema,
            concurrent_conversation_creation_yields_one,
            profiles_are_saved_replaced_and_deleted,
            pending_actions_are_answered_once,
            concurrent_confirmations_succeed_once,
            tool_preferences_and_summaries_round_trip,
            another_member_sees_no_assistant_state,
            invites_are_created_accepted_and_used_once,
            expired_invites_add_nobody,
            an_invite_stays_unused_when_the_identity_is_taken,
            concurrent_invite_accepts_add_one_member,
            identity_reachability_is_set_and_cleared,
            forgetting_memory_spares_other_members,
            export_holds_only_the_members_own_data,
            event_batches_are_stored_once_per_key,
            failed_events_are_kept_raw_and_counted,
            route_rules_are_added_listed_and_deleted_in_scope,
            routed_events_are_delivered_once,
            digests_flush_once,
            recent_events_are_newest_first_by_kind,
            integration_settings_are_replaced_in_scope,
            events_are_recorded_and_routed_together,
            inbox_journals_once_and_counts_attempts,
            another_household_sees_no_inbox,
        );
    };
    (@each $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let clock = $crate::store::conformance::clock();
                let Some(store) = make_store(clock.clone()).await else {
                    eprintln!("skipped {}: backend not configured", stringify!($name));
                    return;
                };
                $crate::store::conformance::$name($crate::store::conformance::Fixture {
                    store,
                    clock,
                })
                .await;
            }
        )*
    };
}
