//! Conversations and their messages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ConversationId, HouseholdId, MemberId, MessageId};

/// One member's conversation with the assistant on one chat of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Conversation {
    /// Its id.
    pub id: ConversationId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member who owns it.
    pub member_id: MemberId,
    /// The channel, e.g. `telegram` or `console`.
    pub channel: String,
    /// The chat on that channel, as the channel spells it.
    pub chat_id: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    /// Instructions for the model.
    System,
    /// The member.
    User,
    /// The assistant.
    Assistant,
    /// The result of a tool call.
    Tool,
}

named_enum!(MessageRole, "message role", {
    System => "system",
    User => "user",
    Assistant => "assistant",
    Tool => "tool",
});

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Message {
    /// Its id.
    pub id: MessageId,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Who wrote it.
    pub role: MessageRole,
    /// Its text.
    pub content: String,
    /// Structured extras (tool calls, tool call ids, channel message ids).
    pub metadata: Option<serde_json::Value>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// A message to append.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewMessage {
    /// Who wrote it.
    pub role: MessageRole,
    /// Its text.
    pub content: String,
    /// Structured extras.
    pub metadata: Option<serde_json::Value>,
}

impl NewMessage {
    /// A message without metadata.
    pub fn new(role: MessageRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            metadata: None,
        }
    }

    /// Attaches structured extras.
    pub fn with_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = Some(metadata);
        self
    }

    pub(crate) fn validate(&self) -> crate::Result<()> {
        super::validate_text("content", &self.content, 100_000)?;
        match &self.metadata {
            Some(metadata) => super::validate_json("metadata", metadata, 1024 * 1024),
            None => Ok(()),
        }
    }
}
