//! The rest of `Store`: conversations, memory, habits, check-ins, integrations, events,
//! notifications, the audit log, assistant profiles, pending actions and summaries.

use fa_core::ffi::UtcTime;
use fa_core::{
    AssistantProfile, AuditEntry, CheckIn, CheckInAnswer, Conversation, ConversationId,
    ConversationSummary, DeliveryAttempt, DeliveryReceipt, Forgotten, Habit, HabitId, HabitLog,
    HouseholdId, InboundEvent, InboundEventId, Integration, IntegrationId, IntegrationStatus,
    MemberScope, MemoryNote, Message, MessageId, Mood, NewAuditEntry, NewHabit, NewInboundEvent,
    NewIntegration, NewMessage, NewNotification, NewPendingAction, NewProfile, NoteId,
    Notification, NotificationId, PendingAction, PendingActionId, Recorded,
};

use super::Store;
use crate::error::Result;

#[uniffi::export]
impl Store {
    /// The member's conversation on `channel`/`chat_id`, created on first use.
    pub async fn conversation(
        &self,
        scope: MemberScope,
        channel: String,
        chat_id: String,
    ) -> Result<Conversation> {
        self.with(|s| async move { s.conversation(scope, &channel, &chat_id).await })
            .await
    }

    /// The member's conversations.
    pub async fn conversations(&self, scope: MemberScope) -> Result<Vec<Conversation>> {
        self.with(|s| async move { s.conversations(scope).await })
            .await
    }

    /// Appends a message to one of the member's conversations.
    pub async fn append_message(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
        message: NewMessage,
    ) -> Result<Message> {
        self.with(|s| async move { s.append_message(scope, conversation, message).await })
            .await
    }

    /// Appends several messages at once, all or nothing.
    pub async fn append_messages(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
        messages: Vec<NewMessage>,
    ) -> Result<Vec<Message>> {
        self.with(|s| async move { s.append_messages(scope, conversation, messages).await })
            .await
    }

    /// The last `limit` messages of a conversation, oldest first.
    pub async fn recent_messages(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.with(|s| async move { s.recent_messages(scope, conversation, limit).await })
            .await
    }

    /// Saves a memory note for the member.
    pub async fn save_note(&self, scope: MemberScope, content: String) -> Result<MemoryNote> {
        self.with(|s| async move { s.save_note(scope, &content).await })
            .await
    }

    /// The member's notes, those containing `query` when given.
    #[uniffi::method(default(query = None))]
    pub async fn notes(
        &self,
        scope: MemberScope,
        query: Option<String>,
    ) -> Result<Vec<MemoryNote>> {
        self.with(|s| async move { s.notes(scope, query.as_deref()).await })
            .await
    }

    /// Deletes a note; false if there was none.
    pub async fn delete_note(&self, scope: MemberScope, note: NoteId) -> Result<bool> {
        self.with(|s| async move { s.delete_note(scope, note).await })
            .await
    }

    /// Forgets the member's notes, messages and summaries; says how many of each.
    pub async fn forget_memory(&self, scope: MemberScope) -> Result<Forgotten> {
        self.with(|s| async move { s.forget_memory(scope).await })
            .await
    }

    /// Creates a habit for the member.
    pub async fn create_habit(&self, scope: MemberScope, habit: NewHabit) -> Result<Habit> {
        self.with(|s| async move { s.create_habit(scope, habit).await })
            .await
    }

    /// The member's habits.
    pub async fn habits(&self, scope: MemberScope) -> Result<Vec<Habit>> {
        self.with(|s| async move { s.habits(scope).await }).await
    }

    /// Archives or restores a habit; false if there was none.
    pub async fn set_habit_archived(
        &self,
        scope: MemberScope,
        habit: HabitId,
        archived: bool,
    ) -> Result<bool> {
        self.with(|s| async move { s.set_habit_archived(scope, habit, archived).await })
            .await
    }

    /// Logs a habit done at `done_at`.
    #[uniffi::method(default(note = None))]
    pub async fn log_habit(
        &self,
        scope: MemberScope,
        habit: HabitId,
        done_at: UtcTime,
        note: Option<String>,
    ) -> Result<HabitLog> {
        self.with(|s| async move { s.log_habit(scope, habit, done_at, note.as_deref()).await })
            .await
    }

    /// A habit's logs in `[from, to)`.
    pub async fn habit_logs(
        &self,
        scope: MemberScope,
        habit: HabitId,
        from: UtcTime,
        to: UtcTime,
    ) -> Result<Vec<HabitLog>> {
        self.with(|s| async move { s.habit_logs(scope, habit, from, to).await })
            .await
    }

    /// Records a check-in: a mood (1–5) and answers.
    pub async fn record_check_in(
        &self,
        scope: MemberScope,
        mood: Mood,
        answers: Vec<CheckInAnswer>,
    ) -> Result<CheckIn> {
        self.with(|s| async move { s.record_check_in(scope, mood, answers).await })
            .await
    }

    /// The member's check-ins in `[from, to)`.
    pub async fn check_ins(
        &self,
        scope: MemberScope,
        from: UtcTime,
        to: UtcTime,
    ) -> Result<Vec<CheckIn>> {
        self.with(|s| async move { s.check_ins(scope, from, to).await })
            .await
    }

    /// Records a connected integration (its credential goes through `store_credential`).
    pub async fn create_integration(
        &self,
        scope: MemberScope,
        integration: NewIntegration,
    ) -> Result<Integration> {
        self.with(|s| async move { s.create_integration(scope, integration).await })
            .await
    }

    /// One of the member's integrations.
    pub async fn integration(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
    ) -> Result<Option<Integration>> {
        self.with(|s| async move { s.integration(scope, integration).await })
            .await
    }

    /// The member's integrations.
    pub async fn integrations(&self, scope: MemberScope) -> Result<Vec<Integration>> {
        self.with(|s| async move { s.integrations(scope).await })
            .await
    }

    /// Sets an integration's status; false if there was none.
    pub async fn set_integration_status(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        status: IntegrationStatus,
    ) -> Result<bool> {
        self.with(|s| async move { s.set_integration_status(scope, integration, status).await })
            .await
    }

    /// Deletes an integration and its credential; false if there was none.
    pub async fn delete_integration(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
    ) -> Result<bool> {
        self.with(|s| async move { s.delete_integration(scope, integration).await })
            .await
    }

    /// Records an inbound event once per idempotency key: `New`, or `Duplicate` with the first.
    pub async fn record_event(
        &self,
        household: HouseholdId,
        event: NewInboundEvent,
    ) -> Result<Recorded> {
        self.with(|s| async move { s.record_event(household, event).await })
            .await
    }

    /// An inbound event by id.
    pub async fn event(
        &self,
        household: HouseholdId,
        event: InboundEventId,
    ) -> Result<Option<InboundEvent>> {
        self.with(|s| async move { s.event(household, event).await })
            .await
    }

    /// Events not yet marked processed, oldest first.
    pub async fn unprocessed_events(
        &self,
        household: HouseholdId,
        limit: u32,
    ) -> Result<Vec<InboundEvent>> {
        self.with(|s| async move { s.unprocessed_events(household, limit).await })
            .await
    }

    /// Marks an event processed; false if it was already (or does not exist).
    pub async fn mark_event_processed(
        &self,
        household: HouseholdId,
        event: InboundEventId,
    ) -> Result<bool> {
        self.with(|s| async move { s.mark_event_processed(household, event).await })
            .await
    }

    /// Puts a notification for the member in the outbox.
    pub async fn enqueue_notification(
        &self,
        scope: MemberScope,
        notification: NewNotification,
    ) -> Result<Notification> {
        self.with(|s| async move { s.enqueue_notification(scope, notification).await })
            .await
    }

    /// A notification by id.
    pub async fn notification(
        &self,
        household: HouseholdId,
        notification: NotificationId,
    ) -> Result<Option<Notification>> {
        self.with(|s| async move { s.notification(household, notification).await })
            .await
    }

    /// Notifications due at `now`, oldest first.
    pub async fn due_notifications(
        &self,
        household: HouseholdId,
        now: UtcTime,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        self.with(|s| async move { s.due_notifications(household, now, limit).await })
            .await
    }

    /// Records a delivery attempt and its outcome.
    pub async fn record_delivery(
        &self,
        household: HouseholdId,
        notification: NotificationId,
        attempt: DeliveryAttempt,
    ) -> Result<DeliveryReceipt> {
        self.with(|s| async move { s.record_delivery(household, notification, attempt).await })
            .await
    }

    /// A notification's delivery receipts, in order.
    pub async fn delivery_receipts(
        &self,
        household: HouseholdId,
        notification: NotificationId,
    ) -> Result<Vec<DeliveryReceipt>> {
        self.with(|s| async move { s.delivery_receipts(household, notification).await })
            .await
    }

    /// Appends to the household's audit log.
    pub async fn append_audit(
        &self,
        household: HouseholdId,
        entry: NewAuditEntry,
    ) -> Result<AuditEntry> {
        self.with(|s| async move { s.append_audit(household, entry).await })
            .await
    }

    /// The newest `limit` audit entries, newest first.
    pub async fn audit_log(&self, household: HouseholdId, limit: u32) -> Result<Vec<AuditEntry>> {
        self.with(|s| async move { s.audit_log(household, limit).await })
            .await
    }

    /// Saves (creates or replaces) an assistant profile by name.
    pub async fn save_profile(
        &self,
        household: HouseholdId,
        profile: NewProfile,
    ) -> Result<AssistantProfile> {
        self.with(|s| async move { s.save_profile(household, profile).await })
            .await
    }

    /// An assistant profile by name.
    pub async fn profile(
        &self,
        household: HouseholdId,
        name: String,
    ) -> Result<Option<AssistantProfile>> {
        self.with(|s| async move { s.profile(household, &name).await })
            .await
    }

    /// The household's assistant profiles.
    pub async fn profiles(&self, household: HouseholdId) -> Result<Vec<AssistantProfile>> {
        self.with(|s| async move { s.profiles(household).await })
            .await
    }

    /// Deletes a profile; false if there was none.
    pub async fn delete_profile(&self, household: HouseholdId, name: String) -> Result<bool> {
        self.with(|s| async move { s.delete_profile(household, &name).await })
            .await
    }

    /// Stores a change waiting for the member's confirmation.
    pub async fn create_pending_action(
        &self,
        scope: MemberScope,
        action: NewPendingAction,
    ) -> Result<PendingAction> {
        self.with(|s| async move { s.create_pending_action(scope, action).await })
            .await
    }

    /// A pending action by id.
    pub async fn pending_action(
        &self,
        scope: MemberScope,
        action: PendingActionId,
    ) -> Result<Option<PendingAction>> {
        self.with(|s| async move { s.pending_action(scope, action).await })
            .await
    }

    /// The member's actions still waiting.
    pub async fn open_pending_actions(&self, scope: MemberScope) -> Result<Vec<PendingAction>> {
        self.with(|s| async move { s.open_pending_actions(scope).await })
            .await
    }

    /// Marks a pending action confirmed or cancelled (without running it: see
    /// `Assistant.confirm`).
    pub async fn resolve_pending_action(
        &self,
        scope: MemberScope,
        action: PendingActionId,
        confirm: bool,
    ) -> Result<PendingAction> {
        self.with(|s| async move { s.resolve_pending_action(scope, action, confirm).await })
            .await
    }

    /// Whether the member wants to confirm `tool`'s changes (`confirm = false` opts out).
    pub async fn set_tool_confirmation(
        &self,
        scope: MemberScope,
        tool: String,
        confirm: bool,
    ) -> Result<()> {
        self.with(|s| async move { s.set_tool_confirmation(scope, &tool, confirm).await })
            .await
    }

    /// The tools the member opted out of confirming.
    pub async fn tools_without_confirmation(&self, scope: MemberScope) -> Result<Vec<String>> {
        self.with(|s| async move { s.tools_without_confirmation(scope).await })
            .await
    }

    /// A conversation's rolling summary.
    pub async fn conversation_summary(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
    ) -> Result<Option<ConversationSummary>> {
        self.with(|s| async move { s.conversation_summary(scope, conversation).await })
            .await
    }

    /// Saves a conversation's rolling summary, covering messages through `through_message`.
    pub async fn save_conversation_summary(
        &self,
        scope: MemberScope,
        conversation: ConversationId,
        summary: String,
        through_message: MessageId,
    ) -> Result<ConversationSummary> {
        self.with(|s| async move {
            s.save_conversation_summary(scope, conversation, &summary, through_message)
                .await
        })
        .await
    }
}
