//! What the SQLite and PostgreSQL stores share: the SQL (one dialect both accept, with `$n`
//! parameters), row types, time encoding and the migration runner.
//!
//! The SQL text is identical for both backends, but sqlx types each query by its database, so the
//! trait impls are written once as macros (one file per area) and expanded for `SqliteStore` and
//! `PostgresStore`. Each store supplies `pool`, `clock`, `err()` (its error mapping) and
//! `begin_write()` (a transaction that holds the write lock from its first statement).

pub(crate) mod migrate;
mod rows;

mod assistant;
mod audit;
mod conversations;
mod events;
mod habits;
mod households;
mod inbox;
mod integrations;
mod invites;
mod job_rows;
mod jobs;
mod memory;
mod notifications;
mod routing;
mod runs;

pub(crate) use assistant::{
    PendingActionRow, ProfileRow, SummaryRow, action_select, not_open, profile_select,
};
pub(crate) use invites::{InviteRow, invite_code_hash};
pub(crate) use job_rows::*;
pub(crate) use jobs::{INSERT_CHUNK, multi_row_insert, placeholders};
pub(crate) use routing::{DigestItemRow, FailedEventRow, RouteRuleRow};
pub(crate) use rows::*;

use chrono::{DateTime, Utc};

use crate::{Error, Result};

/// Instants are stored as microseconds since the Unix epoch in a 64-bit integer column: exact,
/// compact, ordered, and the same in both backends.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// `at` at the precision stored: microseconds.
pub(crate) fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(6)
}

pub(crate) fn instant(what: &'static str, micros: i64) -> Result<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .ok_or_else(|| Error::corrupt(what, format!("timestamp {micros} is out of range")))
}

pub(crate) fn limit(limit: u32) -> i64 {
    i64::from(limit.min(10_000))
}

/// What each backend supplies to the shared SQL: how its errors read.
pub(crate) trait SqlBackend {
    /// The sqlx database the backend runs on.
    type Db: sqlx::Database;

    /// Whether generated multi-row statements use `?` placeholders instead of `$n`.
    const ANONYMOUS_PARAMETERS: bool;

    /// The clock stamping rows.
    fn clock(&self) -> &dyn crate::Clock;

    /// Now, at the precision stored (microseconds), so values returned from a write equal the
    /// values read back later.
    fn now(&self) -> DateTime<Utc> {
        truncate(self.clock().now())
    }

    /// Maps a driver error that is not a constraint violation of an insert.
    fn err(&self, e: sqlx::Error) -> Error;

    /// Maps an insert's error: a unique violation is a conflict on `what` (`detail` names the
    /// value); a foreign-key violation means `parent` does not exist in this scope.
    fn insert_err(
        &self,
        e: sqlx::Error,
        what: &'static str,
        detail: impl Into<String>,
        parent: &'static str,
    ) -> Error {
        match e.as_database_error().map(|db| db.kind()) {
            Some(sqlx::error::ErrorKind::UniqueViolation) => Error::Conflict {
                what,
                detail: detail.into(),
            },
            Some(sqlx::error::ErrorKind::ForeignKeyViolation) => Error::NotFound { what: parent },
            _ => self.err(e),
        }
    }
}

/// Expands every area's impl for one store type, plus `Store` itself.
macro_rules! impl_sql_store {
    ($store:ty, $backend:literal, $claim_lock:literal) => {
        $crate::store::sql::impl_household_store!($store);
        $crate::store::sql::impl_conversation_store!($store);
        $crate::store::sql::impl_memory_store!($store);
        $crate::store::sql::impl_habit_store!($store);
        $crate::store::sql::impl_integration_store!($store);
        $crate::store::sql::impl_event_store!($store);
        $crate::store::sql::impl_routing_store!($store);
        $crate::store::sql::impl_notification_store!($store);
        $crate::store::sql::impl_audit_store!($store);
        $crate::store::sql::impl_assistant_store!($store);
        $crate::store::sql::impl_job_store!($store, $claim_lock);

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            async fn status(&self) -> $crate::Result<$crate::StoreStatus> {
                let schema_version: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(version) FROM fa_schema_migrations")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(|e| self.err(e))?;
                Ok($crate::StoreStatus {
                    backend: $backend,
                    location: self.location.clone(),
                    schema_version: schema_version.unwrap_or(0),
                })
            }
        }
    };
}

pub(crate) use impl_sql_store;
pub(crate) use {
    assistant::impl_assistant_store, audit::impl_audit_store,
    conversations::impl_conversation_store, events::impl_event_store, habits::impl_habit_store,
    households::impl_household_store, inbox::impl_inbox, integrations::impl_integration_store,
    invites::impl_invites, jobs::impl_job_store, jobs::impl_job_store_member_side,
    memory::impl_memory_store, notifications::impl_notification_store, routing::impl_routing_store,
    runs::impl_job_store_runner_side,
};
