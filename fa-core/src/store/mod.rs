//! The [`Store`]: everything fa keeps, behind one dyn-first trait, with SQLite and PostgreSQL
//! backends.
//!
//! The trait is split by area ([`HouseholdStore`], [`ConversationStore`], …) so each reads on its
//! own; [`Store`] is all of them together and is what applications hold, as
//! `Arc<dyn Store>`.
//!
//! **Scoping.** Every call names the household (and the member, where data is personal) it acts
//! in, and every query filters on those ids. Rows of members carry the pair
//! `(household_id, member_id)` under a composite foreign key, so the database itself refuses a row
//! that ties a member to a household they are not in. There is no call that lists or reads another
//! household's rows. Three calls start from something other than a household and touch only what
//! that thing names: [`HouseholdStore::member_by_identity`] and
//! [`HouseholdStore::set_identity_reachable`] (a channel identity: they return only its member) and
//! [`HouseholdStore::accept_invite`] (an invite code: it adds a member only to the invite's
//! household).

mod job_store;
mod traits;
mod url;

#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod conformance;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use job_store::*;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteLocation, SqliteOptions, SqliteStore, SqliteSync};
pub use traits::*;
pub use url::open_url;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::migrate::SCHEMA_VERSION;
