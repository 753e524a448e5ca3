//! Assistant profiles, pending actions and conversation summaries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    ConversationId, Error, HouseholdId, MemberId, MessageId, PendingActionId, ProfileId, Result,
};

/// A named assistant of a household ("family helper", "shop assistant"): its instructions, model,
/// tools and temperature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AssistantProfile {
    /// Its id.
    pub id: ProfileId,
    /// The household.
    pub household_id: HouseholdId,
    /// Its name, unique in the household.
    pub name: String,
    /// The system prompt.
    pub system_prompt: String,
    /// The model to use, by the name it was registered under; `None`: the default model.
    pub model: Option<String>,
    /// The tools it may use; `None`: every tool the member's role allows.
    pub allowed_tools: Option<Vec<String>>,
    /// Sampling temperature; `None`: the model's default.
    pub temperature: Option<f32>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// A profile to save.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewProfile {
    /// Its name, 1–64 characters.
    pub name: String,
    /// The system prompt, at most 16,000 characters.
    pub system_prompt: String,
    /// The model's registered name.
    pub model: Option<String>,
    /// The tools it may use.
    pub allowed_tools: Option<Vec<String>>,
    /// Sampling temperature, 0–2.
    pub temperature: Option<f32>,
}

impl NewProfile {
    /// A profile with a name and a system prompt, the default model and every allowed tool.
    pub fn new(name: impl Into<String>, system_prompt: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            system_prompt: system_prompt.into(),
            model: None,
            allowed_tools: None,
            temperature: None,
        }
    }

    /// Uses the model registered as `model`.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Limits it to these tools.
    pub fn tools<I, S>(mut self, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_tools = Some(tools.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        super::validate_name("profile name", &self.name, 64)?;
        super::validate_text("system_prompt", &self.system_prompt, 16_000)?;
        if let Some(model) = &self.model {
            super::validate_name("model", model, 200)?;
        }
        if let Some(tools) = &self.allowed_tools {
            if tools.len() > 200 {
                return Err(Error::invalid("allowed_tools", "at most 200 tools"));
            }
            for tool in tools {
                super::validate_name("allowed_tools", tool, 64)?;
            }
        }
        match self.temperature {
            Some(t) if !(0.0..=2.0).contains(&t) => {
                Err(Error::invalid("temperature", format!("{t} is outside 0–2")))
            }
            _ => Ok(()),
        }
    }
}

/// Where a pending action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PendingActionState {
    /// Waiting for the member (until it expires).
    Pending,
    /// The member confirmed it.
    Confirmed,
    /// The member cancelled it.
    Cancelled,
}

named_enum!(PendingActionState, "pending action state", {
    Pending => "pending",
    Confirmed => "confirmed",
    Cancelled => "cancelled",
});

/// A change a tool proposed, shown to the member as confirm / cancel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PendingAction {
    /// Its id (the channel puts it in the buttons).
    pub id: PendingActionId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member who must confirm it.
    pub member_id: MemberId,
    /// The conversation it came from.
    pub conversation_id: Option<ConversationId>,
    /// The tool to run.
    pub tool: String,
    /// Its arguments.
    pub arguments: serde_json::Value,
    /// What will happen, in words.
    pub summary: String,
    /// Where it stands.
    pub state: PendingActionState,
    /// When it was proposed.
    pub created_at: DateTime<Utc>,
    /// After this it can no longer be confirmed.
    pub expires_at: DateTime<Utc>,
    /// When the member answered.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A pending action to store.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewPendingAction {
    /// The conversation it came from.
    pub conversation_id: Option<ConversationId>,
    /// The tool to run.
    pub tool: String,
    /// Its arguments.
    pub arguments: serde_json::Value,
    /// What will happen, in words.
    pub summary: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

impl NewPendingAction {
    /// An action running `tool` with `arguments`, described by `summary`, open until `expires_at`.
    pub fn new(
        tool: impl Into<String>,
        arguments: serde_json::Value,
        summary: impl Into<String>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            conversation_id: None,
            tool: tool.into(),
            arguments,
            summary: summary.into(),
            expires_at,
        }
    }

    /// Ties it to a conversation.
    pub fn in_conversation(mut self, conversation: ConversationId) -> Self {
        self.conversation_id = Some(conversation);
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        super::validate_name("tool", &self.tool, 64)?;
        super::validate_name("summary", &self.summary, 4_000)?;
        super::validate_json("arguments", &self.arguments, 64 * 1024)
    }
}

/// The model's summary of a conversation's older messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ConversationSummary {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The summary text.
    pub summary: String,
    /// The last message it covers.
    pub through_message: MessageId,
    /// When it was written.
    pub updated_at: DateTime<Utc>,
}
