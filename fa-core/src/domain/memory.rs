//! Facts a member asked the assistant to remember.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{HouseholdId, MemberId, NoteId};

/// A saved fact, private to one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MemoryNote {
    /// Its id.
    pub id: NoteId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member it belongs to.
    pub member_id: MemberId,
    /// The fact, in words.
    pub content: String,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
}

/// What [`crate::MemoryStore::forget_memory`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Forgotten {
    /// Saved facts.
    pub notes: u64,
    /// Messages, across all the member's conversations.
    pub messages: u64,
    /// Rolling conversation summaries.
    pub summaries: u64,
}
