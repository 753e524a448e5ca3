//! A member's own data as one JSON document: what `/export` hands them.
//!
//! Everything is read through the member's [`MemberScope`], so the document holds only rows the
//! store files under that member, never another member's. Credentials are not read at all: an
//! integration appears with its kind, label, status and non-secret settings only.
//!
//! The document's shape (`format_version` 1):
//!
//! | field | what |
//! |---|---|
//! | `format_version` | `1`; raised when a field changes meaning or goes away |
//! | `exported_at` | when the export was made (RFC 3339, UTC) |
//! | `member` | the member record |
//! | `identities` | their channel identities (`channel`, `external_id`) |
//! | `notes` | the facts they asked the assistant to remember |
//! | `habits` | their habits, archived ones too, each with its `logs` |
//! | `check_ins` | their check-ins |
//! | `conversations` | their conversations, each with its latest `messages` and its `summary` |
//! | `jobs` | their active and paused scheduled jobs |
//! | `integrations` | their integrations, without credentials |
//! | `pending_actions` | actions still waiting for their confirmation |
//!
//! A conversation carries at most its latest 10,000 messages and `jobs` at most 10,000 jobs: the
//! store's page limit.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    ChannelIdentity, CheckIn, Clock, Conversation, ConversationSummary, Error, Habit, HabitLog,
    Integration, Job, Member, MemberScope, MemoryNote, Message, PendingAction, Result, Store,
    SystemClock,
};

/// The version of the document [`export_member`] writes.
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct MemberExport {
    format_version: u32,
    exported_at: DateTime<Utc>,
    member: Member,
    identities: Vec<ChannelIdentity>,
    notes: Vec<MemoryNote>,
    habits: Vec<HabitExport>,
    check_ins: Vec<CheckIn>,
    conversations: Vec<ConversationExport>,
    jobs: Vec<Job>,
    integrations: Vec<Integration>,
    pending_actions: Vec<PendingAction>,
}

#[derive(Serialize)]
struct HabitExport {
    #[serde(flatten)]
    habit: Habit,
    logs: Vec<HabitLog>,
}

#[derive(Serialize)]
struct ConversationExport {
    #[serde(flatten)]
    conversation: Conversation,
    messages: Vec<Message>,
    summary: Option<ConversationSummary>,
}

/// The member's own data as JSON (the shape is in the [module docs](self)). A member who does not
/// exist in the scope's household is [`Error::NotFound`].
///
/// ```no_run
/// # async fn run(store: &dyn fa_core::Store, member: &fa_core::Member) -> fa_core::Result<()> {
/// let document = fa_core::export_member(store, member.scope()).await?;
/// assert_eq!(document["format_version"], 1);
/// # Ok(()) }
/// ```
pub async fn export_member(store: &dyn Store, scope: MemberScope) -> Result<serde_json::Value> {
    let member = store
        .member(scope)
        .await?
        .ok_or(Error::NotFound { what: "member" })?;
    // Every instant a row can hold lies in this range.
    let (from, to) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);

    let mut habits = Vec::new();
    for habit in store.habits(scope).await? {
        let logs = store.habit_logs(scope, habit.id, from, to).await?;
        habits.push(HabitExport { habit, logs });
    }
    let mut conversations = Vec::new();
    for conversation in store.conversations(scope).await? {
        let messages = store
            .recent_messages(scope, conversation.id, u32::MAX)
            .await?;
        let summary = store.conversation_summary(scope, conversation.id).await?;
        conversations.push(ConversationExport {
            conversation,
            messages,
            summary,
        });
    }
    let export = MemberExport {
        format_version: FORMAT_VERSION,
        exported_at: SystemClock.now(),
        member,
        identities: store.identities(scope).await?,
        notes: store.notes(scope, None).await?,
        habits,
        check_ins: store.check_ins(scope, from, to).await?,
        conversations,
        jobs: store.jobs(scope, u32::MAX).await?,
        integrations: store.integrations(scope).await?,
        pending_actions: store.open_pending_actions(scope).await?,
    };
    // Only fails for a map with non-string keys, which none of these types has.
    serde_json::to_value(export).map_err(|e| Error::corrupt("member export", e.to_string()))
}
