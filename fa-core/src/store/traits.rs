use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::vault::SealedCredential;
use crate::*;

/// Households, members, and channel identities.
#[async_trait]
pub trait HouseholdStore: Send + Sync {
    /// Creates a household.
    async fn create_household(&self, name: &str) -> Result<Household>;

    /// One household.
    async fn household(&self, id: HouseholdId) -> Result<Option<Household>>;

    /// The ids of all households, for operator tasks that visit each (key rotation, migrations of
    /// data). Reveals no household's contents.
    async fn household_ids(&self) -> Result<Vec<HouseholdId>>;

    /// Adds a member. The timezone must be an IANA name and the locale a BCP 47 tag.
    async fn add_member(&self, household: HouseholdId, member: NewMember) -> Result<Member>;

    /// One member of the household.
    async fn member(&self, scope: MemberScope) -> Result<Option<Member>>;

    /// All members of the household, oldest first.
    async fn members(&self, household: HouseholdId) -> Result<Vec<Member>>;

    /// Changes a member's name, role, timezone or locale (ids and creation time are kept).
    async fn update_member(&self, member: &Member) -> Result<()>;

    /// Removes a member and everything that is theirs (messages, notes, habits, check-ins,
    /// integrations and credentials, notifications, invites they created).
    async fn remove_member(&self, scope: MemberScope) -> Result<bool>;

    /// Links a channel identity to a member. An identity belongs to at most one member anywhere.
    async fn link_identity(&self, scope: MemberScope, identity: &ChannelIdentity) -> Result<()>;

    /// Unlinks a channel identity from a member.
    async fn unlink_identity(&self, scope: MemberScope, identity: &ChannelIdentity)
    -> Result<bool>;

    /// A member's channel identities.
    async fn identities(&self, scope: MemberScope) -> Result<Vec<ChannelIdentity>>;

    /// The member a channel identity belongs to: how an inbound message finds its sender.
    async fn member_by_identity(&self, identity: &ChannelIdentity) -> Result<Option<Member>>;

    /// Records whether the assistant can reach `identity` (a Telegram user who blocked the bot
    /// cannot be reached). Marking it unreachable again keeps the first `at`; marking it reachable
    /// clears it. Returns the member whose identity it is, or `None` if no one has it (and nothing
    /// changes).
    async fn set_identity_reachable(
        &self,
        identity: &ChannelIdentity,
        reachable: bool,
        at: DateTime<Utc>,
    ) -> Result<Option<Member>>;

    /// The household's identities marked unreachable, longest unreachable first.
    async fn unreachable_identities(
        &self,
        household: HouseholdId,
    ) -> Result<Vec<UnreachableIdentity>>;

    /// Creates a single-use invite to `household` for a new member with `role`, valid until
    /// `expires_at`. Only the SHA-256 of `code` is stored, so `code` must be unguessable (the
    /// caller generates it; surrounding whitespace is ignored). `created_by` must be a member of
    /// `household` ([`Error::NotFound`](crate::Error::NotFound) otherwise); a blank code is
    /// [`Error::InvalidInput`](crate::Error::InvalidInput), and a code already issued (anywhere)
    /// is [`Error::Conflict`](crate::Error::Conflict).
    async fn create_invite(
        &self,
        household: HouseholdId,
        created_by: MemberId,
        role: Role,
        code: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Invite>;

    /// Accepts an invite, in one transaction: adds `member` to the invite's household with the
    /// invite's role (whatever `member.role` says), links `identity` to them, and marks the invite
    /// used. `None` (and no change) when no unused invite with this code expires after `now`; of
    /// several concurrent accepts of one code exactly one gets the member, the others `None`. An
    /// `identity` already linked to any member is [`Error::Conflict`](crate::Error::Conflict), and
    /// the invite stays unused.
    async fn accept_invite(
        &self,
        code: &str,
        member: NewMember,
        identity: &ChannelIdentity,
        now: DateTime<Utc>,
    ) -> Result<Option<Member>>;

    /// The household's invites, used or not, newest first.
    async fn invites(&self, household: HouseholdId) -> Result<Vec<Invite>>;
}

/// Conversations and their messages.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The member's conversation on `channel` / `chat_id`, created on first use.
    async fn conversation(
        &self,
        scope: MemberScope,
        channel: &str,
        chat_id: &str,
    ) -> Result<Conversation>;

    /// Appends a message to one of the member's conversations.
    async fn append_message(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
        message: NewMessage,
    ) -> Result<Message>;

    /// Appends several messages in order, all or nothing, in one write (one commit): how the
    /// assistant stores a whole turn.
    async fn append_messages(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
        messages: Vec<NewMessage>,
    ) -> Result<Vec<Message>>;

    /// The member's conversations, oldest first.
    async fn conversations(&self, scope: MemberScope) -> Result<Vec<Conversation>>;

    /// The last `limit` messages of a conversation, oldest first (`limit` is capped at 10,000).
    async fn recent_messages(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
        limit: u32,
    ) -> Result<Vec<Message>>;
}

/// Facts a member asked the assistant to remember.
#[async_trait]
pub trait MemoryStore: Send + Sync {
    /// Saves a fact.
    async fn save_note(&self, scope: MemberScope, content: &str) -> Result<MemoryNote>;

    /// The member's facts, oldest first; with `query`, only those containing it (case-insensitive).
    async fn notes(&self, scope: MemberScope, query: Option<&str>) -> Result<Vec<MemoryNote>>;

    /// Forgets a fact.
    async fn delete_note(&self, scope: MemberScope, note: NoteId) -> Result<bool>;

    /// Forgets everything the assistant remembers of the member, in one transaction: their saved
    /// facts, the messages of their conversations and the summaries of those conversations. The
    /// conversations themselves (which channel and chat) stay, empty, as do their habits, jobs
    /// and other data. Other members' rows are untouched.
    async fn forget_memory(&self, scope: MemberScope) -> Result<Forgotten>;
}

/// Habits, their completions, and check-ins.
#[async_trait]
pub trait HabitStore: Send + Sync {
    /// Creates a habit.
    async fn create_habit(&self, scope: MemberScope, habit: NewHabit) -> Result<Habit>;

    /// The member's habits, oldest first, including archived ones.
    async fn habits(&self, scope: MemberScope) -> Result<Vec<Habit>>;

    /// Archives or restores a habit.
    async fn set_habit_archived(
        &self,
        scope: MemberScope,
        habit: HabitId,
        archived: bool,
    ) -> Result<bool>;

    /// Logs a completion of one of the member's habits.
    async fn log_habit(
        &self,
        scope: MemberScope,
        habit: HabitId,
        done_at: DateTime<Utc>,
        note: Option<&str>,
    ) -> Result<HabitLog>;

    /// Completions of a habit in `[from, to)`, oldest first.
    async fn habit_logs(
        &self,
        scope: MemberScope,
        habit: HabitId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HabitLog>>;

    /// Records a check-in.
    async fn record_check_in(
        &self,
        scope: MemberScope,
        mood: Mood,
        answers: Vec<CheckInAnswer>,
    ) -> Result<CheckIn>;

    /// Check-ins in `[from, to)`, oldest first.
    async fn check_ins(
        &self,
        scope: MemberScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CheckIn>>;
}

/// Integrations and their sealed credentials.
#[async_trait]
pub trait IntegrationStore: Send + Sync {
    /// Creates an integration (status `active`, no credential yet).
    async fn create_integration(
        &self,
        scope: MemberScope,
        integration: NewIntegration,
    ) -> Result<Integration>;

    /// One of the member's integrations.
    async fn integration(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
    ) -> Result<Option<Integration>>;

    /// The member's integrations, oldest first.
    async fn integrations(&self, scope: MemberScope) -> Result<Vec<Integration>>;

    /// Changes an integration's status. `Revoked` also deletes its credential.
    async fn set_integration_status(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        status: IntegrationStatus,
    ) -> Result<bool>;

    /// Replaces an integration's non-secret settings (connector state such as a sync cursor
    /// lives here too); returns whether the integration exists.
    async fn update_integration_settings(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        settings: serde_json::Value,
    ) -> Result<bool>;

    /// Deletes an integration and its credential.
    async fn delete_integration(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
    ) -> Result<bool>;

    /// Stores (or replaces) the sealed credential of one of the member's integrations.
    async fn put_credential(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        sealed: &SealedCredential,
    ) -> Result<()>;

    /// The sealed credential of one of the member's integrations.
    async fn credential(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
    ) -> Result<Option<SealedCredential>>;

    /// Every sealed credential of the household (for key rotation).
    async fn sealed_credentials(&self, household: HouseholdId) -> Result<Vec<StoredCredential>>;

    /// Replaces a credential only if it still equals `expected`; returns whether it did.
    async fn replace_credential(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        expected: &SealedCredential,
        replacement: &SealedCredential,
    ) -> Result<bool>;
}

/// Inbound events, stored once per idempotency key.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Stores an event unless one with the same `(source, idempotency_key)` is already stored in
    /// the household; says which happened.
    async fn record_event(
        &self,
        household: HouseholdId,
        event: NewInboundEvent,
    ) -> Result<Recorded>;

    /// One stored event.
    async fn event(
        &self,
        household: HouseholdId,
        id: InboundEventId,
    ) -> Result<Option<InboundEvent>>;

    /// Events not yet marked processed, oldest first.
    async fn unprocessed_events(
        &self,
        household: HouseholdId,
        limit: u32,
    ) -> Result<Vec<InboundEvent>>;

    /// Marks an event processed; returns whether it was unprocessed before.
    async fn mark_event_processed(
        &self,
        household: HouseholdId,
        id: InboundEventId,
    ) -> Result<bool>;

    /// The household's most recent events of `source` whose kind is one of `kinds`, newest
    /// first (processed or not).
    async fn recent_events(
        &self,
        household: HouseholdId,
        source: &str,
        kinds: &[String],
        limit: u32,
    ) -> Result<Vec<InboundEvent>>;

    /// Stores a batch of events in one transaction (each once per idempotency key, as
    /// [`record_event`](Self::record_event)); the results are in the batch's order. One invalid
    /// event fails the whole batch and stores nothing.
    async fn record_events(
        &self,
        household: HouseholdId,
        events: Vec<NewInboundEvent>,
    ) -> Result<Vec<Recorded>>;

    /// Journals what `channel` received under the provider's `key` for it, before the channel
    /// acknowledges it to the provider; returns `false`, storing nothing, when the key is already
    /// there (a redelivery).
    async fn journal_inbound(
        &self,
        household: HouseholdId,
        channel: &str,
        key: &str,
        payload: &str,
    ) -> Result<bool>;

    /// Begins a turn for a journaled delivery: counts the attempt and says whether it is the
    /// first, an interrupted one, or already answered.
    async fn begin_inbound(
        &self,
        household: HouseholdId,
        channel: &str,
        key: &str,
    ) -> Result<InboxBegin>;

    /// Marks a delivery answered and empties its payload; returns whether it was open.
    async fn finish_inbound(
        &self,
        household: HouseholdId,
        channel: &str,
        key: &str,
    ) -> Result<bool>;

    /// Deliveries of `channel` not answered and not touched (journaled or begun) since
    /// `untouched_since`, oldest first.
    async fn unfinished_inbound(
        &self,
        household: HouseholdId,
        channel: &str,
        untouched_since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<InboxEntry>>;

    /// Forgets answered deliveries finished before `done_before`; returns how many.
    async fn prune_inbound(
        &self,
        household: HouseholdId,
        done_before: DateTime<Utc>,
    ) -> Result<u64>;
}

/// Routing inbound events to members: rules, unreadable events, and digests.
#[async_trait]
pub trait RoutingStore: Send + Sync {
    /// Keeps something a source could not read; a second sighting of the same
    /// `(source, external_id)` bumps `attempts` and keeps the first copy.
    async fn record_failed_event(
        &self,
        household: HouseholdId,
        event: NewFailedEvent,
    ) -> Result<FailedEvent>;

    /// Unreadable events, most recently seen first.
    async fn failed_events(&self, household: HouseholdId, limit: u32) -> Result<Vec<FailedEvent>>;

    /// Adds a rule for the member.
    async fn add_route_rule(&self, scope: MemberScope, spec: RouteSpec) -> Result<RouteRule>;

    /// Every rule of the household, oldest first.
    async fn route_rules(&self, household: HouseholdId) -> Result<Vec<RouteRule>>;

    /// Deletes one of the member's rules; returns whether it existed.
    async fn delete_route_rule(&self, scope: MemberScope, rule: RouteRuleId) -> Result<bool>;

    /// In one transaction, for each event still unprocessed: writes its deliveries (outbox
    /// messages and digest lines) and marks it processed. Events already processed are skipped
    /// whole, so routing an event twice never delivers twice. Deliveries must go to members of
    /// the household.
    async fn commit_routes(
        &self,
        household: HouseholdId,
        routed: Vec<RoutedEvent>,
    ) -> Result<RouteCommit>;

    /// Stores a batch of events and, in the same transaction, the deliveries planned for each
    /// one that is new; new events are stored already processed, so none is ever seen
    /// unrouted and each is routed once. Duplicates come back as such and their planned
    /// deliveries are dropped. One invalid event or delivery fails the whole batch.
    async fn record_and_route(
        &self,
        household: HouseholdId,
        events: Vec<PlannedEvent>,
    ) -> Result<(Vec<Recorded>, RouteCommit)>;

    /// Digest lines not yet sent whose digest is due at `now`, by member and due instant.
    async fn due_digest_items(
        &self,
        household: HouseholdId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DigestItem>>;

    /// In one transaction: enqueues the digest message for the member and marks the given
    /// lines sent with it. Lines already sent are left alone; a second flush with the same
    /// notification key returns the first message.
    async fn flush_digest(
        &self,
        scope: MemberScope,
        items: Vec<DigestItemId>,
        notification: NewNotification,
    ) -> Result<Notification>;
}

/// The notification outbox and delivery receipts.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Enqueues a notification; a second enqueue with the same idempotency key for the same member
    /// returns the first one unchanged.
    async fn enqueue_notification(
        &self,
        scope: MemberScope,
        notification: NewNotification,
    ) -> Result<Notification>;

    /// One notification of the household.
    async fn notification(
        &self,
        household: HouseholdId,
        id: NotificationId,
    ) -> Result<Option<Notification>>;

    /// Notifications whose next attempt is due at `now`, oldest due first.
    async fn due_notifications(
        &self,
        household: HouseholdId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Notification>>;

    /// Records the outcome of a delivery attempt and updates the notification; refuses attempts
    /// on a notification that is already final.
    async fn record_delivery(
        &self,
        household: HouseholdId,
        id: NotificationId,
        attempt: DeliveryAttempt,
    ) -> Result<DeliveryReceipt>;

    /// All recorded attempts of a notification, in order.
    async fn delivery_receipts(
        &self,
        household: HouseholdId,
        id: NotificationId,
    ) -> Result<Vec<DeliveryReceipt>>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry.
    async fn append_audit(
        &self,
        household: HouseholdId,
        entry: NewAuditEntry,
    ) -> Result<AuditEntry>;

    /// The latest `limit` entries, newest first.
    async fn audit_log(&self, household: HouseholdId, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// Assistant profiles, pending actions, per-member tool preferences and conversation summaries.
#[async_trait]
pub trait AssistantStore: Send + Sync {
    /// Saves a profile; one with the same name in the household is replaced (its id and creation
    /// time are kept).
    async fn save_profile(
        &self,
        household: HouseholdId,
        profile: NewProfile,
    ) -> Result<AssistantProfile>;

    /// The household's profile called `name`.
    async fn profile(&self, household: HouseholdId, name: &str)
    -> Result<Option<AssistantProfile>>;

    /// The household's profiles, by name.
    async fn profiles(&self, household: HouseholdId) -> Result<Vec<AssistantProfile>>;

    /// Deletes a profile.
    async fn delete_profile(&self, household: HouseholdId, name: &str) -> Result<bool>;

    /// Stores a tool call waiting for the member's confirmation.
    async fn create_pending_action(
        &self,
        scope: MemberScope,
        action: NewPendingAction,
    ) -> Result<PendingAction>;

    /// One of the member's pending actions, in whatever state.
    async fn pending_action(
        &self,
        scope: MemberScope,
        id: PendingActionId,
    ) -> Result<Option<PendingAction>>;

    /// The member's actions still waiting and not expired, oldest first.
    async fn open_pending_actions(&self, scope: MemberScope) -> Result<Vec<PendingAction>>;

    /// Confirms or cancels a pending action. Of two concurrent answers exactly one succeeds; an
    /// action already answered or expired is [`Error::WrongState`](crate::Error::WrongState).
    async fn resolve_pending_action(
        &self,
        scope: MemberScope,
        id: PendingActionId,
        confirm: bool,
    ) -> Result<PendingAction>;

    /// Whether the member wants to confirm calls of `tool` (the default) or let them run at once.
    async fn set_tool_confirmation(
        &self,
        scope: MemberScope,
        tool: &str,
        confirm: bool,
    ) -> Result<()>;

    /// The tools whose calls the member lets run without confirming.
    async fn tools_without_confirmation(&self, scope: MemberScope) -> Result<Vec<String>>;

    /// The rolling summary of one of the member's conversations.
    async fn conversation_summary(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
    ) -> Result<Option<ConversationSummary>>;

    /// Replaces the rolling summary of one of the member's conversations.
    async fn save_conversation_summary(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
        summary: &str,
        through_message: MessageId,
    ) -> Result<ConversationSummary>;
}

/// Which backend a store runs on and the state of its schema, for status pages and health checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStatus {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Where the data lives: a file path, `:memory:`, or a server address (never a password).
    pub location: String,
    /// The highest migration applied.
    pub schema_version: i64,
}

/// Everything fa keeps. Hold it as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    HouseholdStore
    + ConversationStore
    + MemoryStore
    + HabitStore
    + IntegrationStore
    + EventStore
    + RoutingStore
    + NotificationStore
    + AuditStore
    + AssistantStore
    + JobStore
    + std::fmt::Debug
{
    /// Backend, location and schema version; also a cheap liveness check (it queries the database).
    async fn status(&self) -> Result<StoreStatus>;
}

/// A shared, type-erased store.
pub type DynStore = Arc<dyn Store>;
