//! Rows as the database returns them, and their conversion into domain values. A row that does
//! not convert (unknown enum text, bad timezone) is reported as [`Error::CorruptRow`].

use sqlx::types::Json;
use uuid::Uuid;

use super::instant;
use crate::vault::SealedCredential;
use crate::*;

fn parse<T: std::str::FromStr<Err = Error>>(what: &'static str, text: &str) -> Result<T> {
    text.parse()
        .map_err(|e: Error| Error::corrupt(what, e.to_string()))
}

fn count(what: &'static str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::corrupt(what, format!("count {value} is out of range")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct HouseholdRow {
    id: Uuid,
    name: String,
    created_at: i64,
}

impl TryFrom<HouseholdRow> for Household {
    type Error = Error;

    fn try_from(row: HouseholdRow) -> Result<Self> {
        Ok(Household {
            id: row.id.into(),
            name: row.name,
            created_at: instant("household", row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    id: Uuid,
    household_id: Uuid,
    display_name: String,
    role: String,
    timezone: String,
    locale: String,
    created_at: i64,
}

impl TryFrom<MemberRow> for Member {
    type Error = Error;

    fn try_from(row: MemberRow) -> Result<Self> {
        Ok(Member {
            id: row.id.into(),
            household_id: row.household_id.into(),
            display_name: row.display_name,
            role: parse("member", &row.role)?,
            timezone: parse_timezone(&row.timezone)
                .map_err(|e| Error::corrupt("member", e.to_string()))?,
            locale: row.locale,
            created_at: instant("member", row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConversationRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    channel: String,
    chat_id: String,
    created_at: i64,
}

impl TryFrom<ConversationRow> for Conversation {
    type Error = Error;

    fn try_from(row: ConversationRow) -> Result<Self> {
        Ok(Conversation {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            channel: row.channel,
            chat_id: row.chat_id,
            created_at: instant("conversation", row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: Uuid,
    conversation_id: Uuid,
    role: String,
    content: String,
    metadata: Option<Json<serde_json::Value>>,
    created_at: i64,
}

impl TryFrom<MessageRow> for Message {
    type Error = Error;

    fn try_from(row: MessageRow) -> Result<Self> {
        Ok(Message {
            id: row.id.into(),
            conversation_id: row.conversation_id.into(),
            role: parse("message", &row.role)?,
            content: row.content,
            metadata: row.metadata.map(|j| j.0),
            created_at: instant("message", row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NoteRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    content: String,
    created_at: i64,
}

impl TryFrom<NoteRow> for MemoryNote {
    type Error = Error;

    fn try_from(row: NoteRow) -> Result<Self> {
        Ok(MemoryNote {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            content: row.content,
            created_at: instant("memory note", row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HabitRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    name: String,
    target_per_week: Option<i32>,
    archived: bool,
    created_at: i64,
}

impl TryFrom<HabitRow> for Habit {
    type Error = Error;

    fn try_from(row: HabitRow) -> Result<Self> {
        let target_per_week = row
            .target_per_week
            .map(|t| u8::try_from(t).map_err(|_| Error::corrupt("habit", format!("target {t}"))))
            .transpose()?;
        Ok(Habit {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            name: row.name,
            target_per_week,
            archived: row.archived,
            created_at: instant("habit", row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HabitLogRow {
    id: Uuid,
    habit_id: Uuid,
    done_at: i64,
    note: Option<String>,
}

impl TryFrom<HabitLogRow> for HabitLog {
    type Error = Error;

    fn try_from(row: HabitLogRow) -> Result<Self> {
        Ok(HabitLog {
            id: row.id.into(),
            habit_id: row.habit_id.into(),
            done_at: instant("habit log", row.done_at)?,
            note: row.note,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CheckInRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    mood: i32,
    answers: Json<Vec<CheckInAnswer>>,
    recorded_at: i64,
}

impl TryFrom<CheckInRow> for CheckIn {
    type Error = Error;

    fn try_from(row: CheckInRow) -> Result<Self> {
        let mood = u8::try_from(row.mood)
            .ok()
            .and_then(|m| Mood::new(m).ok())
            .ok_or_else(|| Error::corrupt("check-in", format!("mood {}", row.mood)))?;
        Ok(CheckIn {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            mood,
            answers: row.answers.0,
            recorded_at: instant("check-in", row.recorded_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IntegrationRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    kind: String,
    label: String,
    status: String,
    settings: Json<serde_json::Value>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<IntegrationRow> for Integration {
    type Error = Error;

    fn try_from(row: IntegrationRow) -> Result<Self> {
        Ok(Integration {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            kind: row.kind,
            label: row.label,
            status: parse("integration", &row.status)?,
            settings: row.settings.0,
            created_at: instant("integration", row.created_at)?,
            updated_at: instant("integration", row.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialRow {
    household_id: Uuid,
    member_id: Uuid,
    integration_id: Uuid,
    sealed: Vec<u8>,
}

impl TryFrom<CredentialRow> for StoredCredential {
    type Error = Error;

    fn try_from(row: CredentialRow) -> Result<Self> {
        Ok(StoredCredential {
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            integration_id: row.integration_id.into(),
            sealed: SealedCredential::from_bytes(row.sealed)
                .map_err(|e| Error::corrupt("credential", e.to_string()))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: Uuid,
    household_id: Uuid,
    source: String,
    idempotency_key: String,
    kind: String,
    payload: Json<serde_json::Value>,
    received_at: i64,
    processed_at: Option<i64>,
}

impl TryFrom<EventRow> for InboundEvent {
    type Error = Error;

    fn try_from(row: EventRow) -> Result<Self> {
        Ok(InboundEvent {
            id: row.id.into(),
            household_id: row.household_id.into(),
            source: row.source,
            idempotency_key: row.idempotency_key,
            kind: row.kind,
            payload: row.payload.0,
            received_at: instant("inbound event", row.received_at)?,
            processed_at: row
                .processed_at
                .map(|t| instant("inbound event", t))
                .transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct InboxRow {
    household_id: Uuid,
    channel: String,
    delivery_key: String,
    payload: String,
    received_at: i64,
    attempts: i64,
}

impl TryFrom<InboxRow> for InboxEntry {
    type Error = Error;

    fn try_from(row: InboxRow) -> Result<Self> {
        Ok(InboxEntry {
            household_id: row.household_id.into(),
            channel: row.channel,
            key: row.delivery_key,
            payload: row.payload,
            received_at: instant("inbox entry", row.received_at)?,
            attempts: u32::try_from(row.attempts)
                .map_err(|_| Error::corrupt("inbox entry", "attempts out of range"))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NotificationRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    channel: String,
    idempotency_key: String,
    body: String,
    status: String,
    attempts: i64,
    next_attempt_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = Error;

    fn try_from(row: NotificationRow) -> Result<Self> {
        Ok(Notification {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            channel: row.channel,
            idempotency_key: row.idempotency_key,
            body: row.body,
            status: parse("notification", &row.status)?,
            attempts: count("notification", row.attempts)?,
            next_attempt_at: row
                .next_attempt_at
                .map(|t| instant("notification", t))
                .transpose()?,
            created_at: instant("notification", row.created_at)?,
            updated_at: instant("notification", row.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReceiptRow {
    id: Uuid,
    notification_id: Uuid,
    attempt: i64,
    status: String,
    detail: Option<String>,
    retry_at: Option<i64>,
    recorded_at: i64,
}

impl TryFrom<ReceiptRow> for DeliveryReceipt {
    type Error = Error;

    fn try_from(row: ReceiptRow) -> Result<Self> {
        Ok(DeliveryReceipt {
            id: row.id.into(),
            notification_id: row.notification_id.into(),
            attempt: count("delivery receipt", row.attempt)?,
            status: parse("delivery receipt", &row.status)?,
            detail: row.detail,
            retry_at: row
                .retry_at
                .map(|t| instant("delivery receipt", t))
                .transpose()?,
            recorded_at: instant("delivery receipt", row.recorded_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: Uuid,
    household_id: Uuid,
    actor: Option<Uuid>,
    action: String,
    subject: Option<String>,
    detail: Json<serde_json::Value>,
    at: i64,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = Error;

    fn try_from(row: AuditRow) -> Result<Self> {
        Ok(AuditEntry {
            id: row.id.into(),
            household_id: row.household_id.into(),
            actor: row.actor.map(Into::into),
            action: row.action,
            subject: row.subject,
            detail: row.detail.0,
            at: instant("audit entry", row.at)?,
        })
    }
}

/// Converts every row, failing on the first that does not convert.
pub(crate) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>>
where
    T: TryFrom<R, Error = Error>,
{
    rows.into_iter().map(T::try_from).collect()
}
