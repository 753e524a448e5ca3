//! [`Channel`]: where members' messages come from and replies go.

use async_trait::async_trait;

use crate::scheduler::{DeliveryError, Sent};
use crate::transcription::Audio;
use crate::{Notification, PendingAction, PendingActionId};

/// What a member sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InboundContent {
    /// A text message.
    Text(String),
    /// A voice message, to transcribe.
    Voice(Audio),
    /// A tap on confirm or cancel of a pending action.
    Answer {
        /// The action.
        action: PendingActionId,
        /// Confirm (`true`) or cancel.
        confirm: bool,
    },
}

/// A message from a member on a channel.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Inbound {
    /// The chat it arrived in, as the channel spells it.
    pub chat_id: String,
    /// The sender's id on the channel (looked up as a
    /// [`ChannelIdentity`](crate::ChannelIdentity) with the channel's name).
    pub sender: String,
    /// What they sent.
    pub content: InboundContent,
}

impl Inbound {
    /// A text message from `sender` in `chat_id`.
    pub fn text(
        chat_id: impl Into<String>,
        sender: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            chat_id: chat_id.into(),
            sender: sender.into(),
            content: InboundContent::Text(text.into()),
        }
    }

    /// A confirm / cancel tap.
    pub fn answer(
        chat_id: impl Into<String>,
        sender: impl Into<String>,
        action: PendingActionId,
        confirm: bool,
    ) -> Self {
        Self {
            chat_id: chat_id.into(),
            sender: sender.into(),
            content: InboundContent::Answer { action, confirm },
        }
    }

    /// A voice message.
    pub fn voice(chat_id: impl Into<String>, sender: impl Into<String>, audio: Audio) -> Self {
        Self {
            chat_id: chat_id.into(),
            sender: sender.into(),
            content: InboundContent::Voice(audio),
        }
    }
}

/// What to send to a chat.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outbound {
    /// Text.
    Text(String),
    /// Text with pending actions, each to be shown with confirm and cancel.
    Pending {
        /// The text above the buttons.
        text: String,
        /// The actions.
        actions: Vec<PendingAction>,
    },
    /// A scheduled notification (a reminder firing).
    Notification(Notification),
}

/// A way to talk to members: Telegram, the console, a test double. Hold it as
/// `Arc<dyn Channel>`.
///
/// The engine pulls messages with [`next`](Self::next) and answers with
/// [`send`](Self::send); a channel that can edit sent messages streams replies through
/// [`edit`](Self::edit).
#[async_trait]
pub trait Channel: Send + Sync {
    /// The channel's stable name (`telegram`, `console`): the `channel` of member identities.
    fn name(&self) -> &str;

    /// The next inbound message; `None` once the channel is closed.
    async fn next(&self) -> Option<Inbound>;

    /// Sends a message to a chat.
    async fn send(&self, chat_id: &str, message: Outbound) -> Result<Sent, DeliveryError>;

    /// Whether [`edit`](Self::edit) works (then replies are streamed).
    fn can_edit(&self) -> bool {
        false
    }

    /// Replaces the text of a sent message.
    async fn edit(&self, chat_id: &str, sent: &Sent, text: &str) -> Result<(), DeliveryError> {
        let _ = (chat_id, sent, text);
        Ok(())
    }
}
