//! Assistant profiles, pending actions, tool preferences and conversation summaries.

use sqlx::types::Json;
use uuid::Uuid;

use super::instant;
use crate::{
    AssistantProfile, ConversationSummary, Error, PendingAction, PendingActionState, Result,
};

#[derive(sqlx::FromRow)]
pub(crate) struct ProfileRow {
    id: Uuid,
    household_id: Uuid,
    name: String,
    system_prompt: String,
    model: Option<String>,
    allowed_tools: Option<Json<Vec<String>>>,
    temperature: Option<f64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ProfileRow> for AssistantProfile {
    type Error = Error;

    fn try_from(row: ProfileRow) -> Result<Self> {
        Ok(AssistantProfile {
            id: row.id.into(),
            household_id: row.household_id.into(),
            name: row.name,
            system_prompt: row.system_prompt,
            model: row.model,
            allowed_tools: row.allowed_tools.map(|tools| tools.0),
            // Stored from an f32, so the narrowing gives the value back exactly.
            #[allow(clippy::cast_possible_truncation)]
            temperature: row.temperature.map(|t| t as f32),
            created_at: instant("assistant profile", row.created_at)?,
            updated_at: instant("assistant profile", row.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PendingActionRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    conversation_id: Option<Uuid>,
    tool: String,
    arguments: Json<serde_json::Value>,
    summary: String,
    state: String,
    created_at: i64,
    expires_at: i64,
    resolved_at: Option<i64>,
}

impl TryFrom<PendingActionRow> for PendingAction {
    type Error = Error;

    fn try_from(row: PendingActionRow) -> Result<Self> {
        Ok(PendingAction {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            conversation_id: row.conversation_id.map(Into::into),
            tool: row.tool,
            arguments: row.arguments.0,
            summary: row.summary,
            state: row
                .state
                .parse::<PendingActionState>()
                .map_err(|e| Error::corrupt("pending action", e.to_string()))?,
            created_at: instant("pending action", row.created_at)?,
            expires_at: instant("pending action", row.expires_at)?,
            resolved_at: row
                .resolved_at
                .map(|at| instant("pending action", at))
                .transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    conversation_id: Uuid,
    summary: String,
    through_message: Uuid,
    updated_at: i64,
}

impl TryFrom<SummaryRow> for ConversationSummary {
    type Error = Error;

    fn try_from(row: SummaryRow) -> Result<Self> {
        Ok(ConversationSummary {
            conversation_id: row.conversation_id.into(),
            summary: row.summary,
            through_message: row.through_message.into(),
            updated_at: instant("conversation summary", row.updated_at)?,
        })
    }
}

/// Why a pending action that exists could not be answered.
pub(crate) fn not_open(action: &PendingAction, now: chrono::DateTime<chrono::Utc>) -> Error {
    let reason = match action.state {
        PendingActionState::Confirmed => "was already confirmed".to_owned(),
        PendingActionState::Cancelled => "was already cancelled".to_owned(),
        PendingActionState::Pending if action.expires_at <= now => format!(
            "expired at {}; ask the assistant again",
            action.expires_at.format("%Y-%m-%d %H:%M UTC")
        ),
        PendingActionState::Pending => "is still pending".to_owned(),
    };
    Error::WrongState {
        what: "pending action",
        reason,
    }
}

macro_rules! profile_select {
    ($where:literal) => {
        concat!(
            "SELECT id, household_id, name, system_prompt, model, allowed_tools, temperature, \
             created_at, updated_at FROM fa_assistant_profiles WHERE household_id = $1",
            $where
        )
    };
}

macro_rules! action_select {
    ($where:literal) => {
        concat!(
            "SELECT id, household_id, member_id, conversation_id, tool, arguments, summary, state, \
             created_at, expires_at, resolved_at FROM fa_pending_actions \
             WHERE household_id = $1 AND member_id = $2",
            $where
        )
    };
}

pub(crate) use {action_select, profile_select};

macro_rules! impl_assistant_store {
    ($store:ty) => {
        impl $store {
            async fn pending_action_impl(
                &self,
                scope: $crate::MemberScope,
                id: $crate::PendingActionId,
            ) -> $crate::Result<Option<$crate::PendingAction>> {
                sqlx::query_as::<_, $crate::store::sql::PendingActionRow>(
                    $crate::store::sql::action_select!(" AND id = $3"),
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }
        }

        #[async_trait::async_trait]
        impl $crate::AssistantStore for $store {
            async fn save_profile(
                &self,
                household: $crate::HouseholdId,
                profile: $crate::NewProfile,
            ) -> $crate::Result<$crate::AssistantProfile> {
                profile.validate()?;
                let now = $crate::store::sql::micros(self.now());
                sqlx::query(
                    "INSERT INTO fa_assistant_profiles (id, household_id, name, system_prompt, model, \
                     allowed_tools, temperature, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                     ON CONFLICT (household_id, name) DO UPDATE SET \
                     system_prompt = excluded.system_prompt, model = excluded.model, \
                     allowed_tools = excluded.allowed_tools, temperature = excluded.temperature, \
                     updated_at = excluded.updated_at",
                )
                .bind($crate::ProfileId::new().as_uuid())
                .bind(household.as_uuid())
                .bind(profile.name.trim())
                .bind(&profile.system_prompt)
                .bind(&profile.model)
                .bind(profile.allowed_tools.as_ref().map(sqlx::types::Json))
                .bind(profile.temperature.map(f64::from))
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "assistant profile", profile.name.clone(), "household"))?;
                self.profile(household, profile.name.trim())
                    .await?
                    .ok_or($crate::Error::NotFound { what: "assistant profile" })
            }

            async fn profile(
                &self,
                household: $crate::HouseholdId,
                name: &str,
            ) -> $crate::Result<Option<$crate::AssistantProfile>> {
                sqlx::query_as::<_, $crate::store::sql::ProfileRow>(
                    $crate::store::sql::profile_select!(" AND name = $2"),
                )
                .bind(household.as_uuid())
                .bind(name.trim())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn profiles(
                &self,
                household: $crate::HouseholdId,
            ) -> $crate::Result<Vec<$crate::AssistantProfile>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::ProfileRow>(
                    $crate::store::sql::profile_select!(" ORDER BY name"),
                )
                .bind(household.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn delete_profile(
                &self,
                household: $crate::HouseholdId,
                name: &str,
            ) -> $crate::Result<bool> {
                let deleted = sqlx::query(
                    "DELETE FROM fa_assistant_profiles WHERE household_id = $1 AND name = $2",
                )
                .bind(household.as_uuid())
                .bind(name.trim())
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn create_pending_action(
                &self,
                scope: $crate::MemberScope,
                action: $crate::NewPendingAction,
            ) -> $crate::Result<$crate::PendingAction> {
                action.validate()?;
                let now = self.now();
                let created = $crate::PendingAction {
                    id: $crate::PendingActionId::new(),
                    household_id: scope.household,
                    member_id: scope.member,
                    conversation_id: action.conversation_id,
                    tool: action.tool,
                    arguments: action.arguments,
                    summary: action.summary.trim().to_owned(),
                    state: $crate::PendingActionState::Pending,
                    created_at: now,
                    expires_at: $crate::store::sql::truncate(action.expires_at),
                    resolved_at: None,
                };
                sqlx::query(
                    "INSERT INTO fa_pending_actions (id, household_id, member_id, conversation_id, \
                     tool, arguments, summary, state, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(created.id.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(created.conversation_id.map(|c| *c.as_uuid()))
                .bind(&created.tool)
                .bind(sqlx::types::Json(&created.arguments))
                .bind(&created.summary)
                .bind(created.state.as_str())
                .bind($crate::store::sql::micros(now))
                .bind($crate::store::sql::micros(created.expires_at))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "pending action", created.id.to_string(), "member"))?;
                Ok(created)
            }

            async fn pending_action(
                &self,
                scope: $crate::MemberScope,
                id: $crate::PendingActionId,
            ) -> $crate::Result<Option<$crate::PendingAction>> {
                self.pending_action_impl(scope, id).await
            }

            async fn open_pending_actions(
                &self,
                scope: $crate::MemberScope,
            ) -> $crate::Result<Vec<$crate::PendingAction>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::PendingActionRow>(
                    $crate::store::sql::action_select!(
                        " AND state = 'pending' AND expires_at > $3 ORDER BY created_at, id"
                    ),
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind($crate::store::sql::micros(self.now()))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn resolve_pending_action(
                &self,
                scope: $crate::MemberScope,
                id: $crate::PendingActionId,
                confirm: bool,
            ) -> $crate::Result<$crate::PendingAction> {
                let now = self.now();
                let state = if confirm {
                    $crate::PendingActionState::Confirmed
                } else {
                    $crate::PendingActionState::Cancelled
                };
                // One conditional update: of two concurrent answers exactly one wins.
                let changed = sqlx::query(
                    "UPDATE fa_pending_actions SET state = $4, resolved_at = $5 \
                     WHERE household_id = $1 AND member_id = $2 AND id = $3 \
                     AND state = 'pending' AND expires_at > $5",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(id.as_uuid())
                .bind(state.as_str())
                .bind($crate::store::sql::micros(now))
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .rows_affected();
                let action = self
                    .pending_action_impl(scope, id)
                    .await?
                    .ok_or($crate::Error::NotFound { what: "pending action" })?;
                if changed == 1 {
                    Ok(action)
                } else {
                    Err($crate::store::sql::not_open(&action, now))
                }
            }

            async fn set_tool_confirmation(
                &self,
                scope: $crate::MemberScope,
                tool: &str,
                confirm: bool,
            ) -> $crate::Result<()> {
                $crate::domain::validate_name("tool", tool, 64)?;
                sqlx::query(
                    "INSERT INTO fa_tool_preferences (household_id, member_id, tool, confirm, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (household_id, member_id, tool) DO UPDATE SET \
                     confirm = excluded.confirm, updated_at = excluded.updated_at",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(tool.trim())
                .bind(confirm)
                .bind($crate::store::sql::micros(self.now()))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "tool preference", tool.to_owned(), "member"))?;
                Ok(())
            }

            async fn tools_without_confirmation(
                &self,
                scope: $crate::MemberScope,
            ) -> $crate::Result<Vec<String>> {
                sqlx::query_scalar::<_, String>(
                    "SELECT tool FROM fa_tool_preferences \
                     WHERE household_id = $1 AND member_id = $2 AND confirm = $3 ORDER BY tool",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(false)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))
            }

            async fn conversation_summary(
                &self,
                scope: $crate::MemberScope,
                conversation: $crate::ConversationId,
            ) -> $crate::Result<Option<$crate::ConversationSummary>> {
                sqlx::query_as::<_, $crate::store::sql::SummaryRow>(
                    "SELECT conversation_id, summary, through_message, updated_at \
                     FROM fa_conversation_summaries \
                     WHERE household_id = $1 AND member_id = $2 AND conversation_id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(conversation.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn save_conversation_summary(
                &self,
                scope: $crate::MemberScope,
                conversation: $crate::ConversationId,
                summary: &str,
                through_message: $crate::MessageId,
            ) -> $crate::Result<$crate::ConversationSummary> {
                $crate::domain::validate_text("summary", summary, 32_000)?;
                let saved = $crate::ConversationSummary {
                    conversation_id: conversation,
                    summary: summary.to_owned(),
                    through_message,
                    updated_at: self.now(),
                };
                let written = sqlx::query(
                    "INSERT INTO fa_conversation_summaries \
                     (conversation_id, household_id, member_id, summary, through_message, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (conversation_id) DO UPDATE SET summary = excluded.summary, \
                     through_message = excluded.through_message, updated_at = excluded.updated_at \
                     WHERE fa_conversation_summaries.household_id = excluded.household_id \
                     AND fa_conversation_summaries.member_id = excluded.member_id",
                )
                .bind(conversation.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(&saved.summary)
                .bind(through_message.as_uuid())
                .bind($crate::store::sql::micros(saved.updated_at))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "conversation summary", conversation.to_string(), "conversation"))?;
                // The key is the conversation alone, so another member's write meets the owner's
                // row; the guarded update then leaves it alone and changes nothing.
                if written.rows_affected() == 0 {
                    return Err($crate::Error::NotFound { what: "conversation" });
                }
                Ok(saved)
            }
        }
    };
}

pub(crate) use impl_assistant_store;
