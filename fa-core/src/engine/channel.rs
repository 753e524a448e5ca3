//! [`Channel`]: where members' messages come from and replies go.

use async_trait::async_trait;

use super::InboundReceipt;
use crate::scheduler::{DeliveryError, Sent};
use crate::transcription::Audio;
use crate::{Notification, NotificationId, PendingAction, PendingActionId};

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
    /// A tap on edit of a pending action: it is withdrawn, and the member is asked what to
    /// change; their next message goes to the assistant with the proposal in the history.
    Edit {
        /// The action.
        action: PendingActionId,
    },
    /// A tap on a reminder's button: done, or snooze.
    Reminder {
        /// The notification the button was on (it names the job and the firing).
        notification: NotificationId,
        /// What was tapped.
        action: ReminderAction,
    },
    /// The member blocked (`false`) or unblocked (`true`) the assistant on this channel.
    Reachability {
        /// Whether messages can reach the member again.
        reachable: bool,
    },
}

/// A button on a delivered reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReminderAction {
    /// The member did it: the firing is acknowledged and its pending snoozes are cancelled.
    Done,
    /// Remind again after this long.
    Snooze(std::time::Duration),
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
    /// How the sender calls themselves on the channel (used as the display name when they
    /// join with an invite code).
    pub sender_name: Option<String>,
    /// Where the channel journaled it before acknowledging it (see
    /// [`InboundJournal`](crate::engine::InboundJournal)): the engine begins and finishes the
    /// turn on it, so a redelivery is dropped and an interrupted turn is reported.
    pub receipt: Option<InboundReceipt>,
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
            sender_name: None,
            receipt: None,
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
            sender_name: None,
            receipt: None,
        }
    }

    /// A voice message.
    pub fn voice(chat_id: impl Into<String>, sender: impl Into<String>, audio: Audio) -> Self {
        Self {
            chat_id: chat_id.into(),
            sender: sender.into(),
            content: InboundContent::Voice(audio),
            sender_name: None,
            receipt: None,
        }
    }

    /// Any content from `sender` in `chat_id`.
    pub fn new(
        chat_id: impl Into<String>,
        sender: impl Into<String>,
        content: InboundContent,
    ) -> Self {
        Self {
            chat_id: chat_id.into(),
            sender: sender.into(),
            content,
            sender_name: None,
            receipt: None,
        }
    }

    /// Sets the sender's display name on the channel.
    pub fn with_sender_name(mut self, name: impl Into<String>) -> Self {
        self.sender_name = Some(name.into());
        self
    }

    /// Attaches the receipt of the journaled delivery it came in.
    pub fn with_receipt(mut self, receipt: InboundReceipt) -> Self {
        self.receipt = Some(receipt);
        self
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
    /// A scheduled notification (a reminder firing). Channels with buttons offer "done" and
    /// "snooze" on reminders (answered as [`InboundContent::Reminder`]).
    Notification(Notification),
    /// A file, e.g. a member's data export.
    Document {
        /// The file name, e.g. `fa-export-2026-11-21.json`.
        name: String,
        /// A line shown with it.
        caption: String,
        /// The content.
        bytes: Vec<u8>,
    },
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

    /// Shows that an answer is being prepared (Telegram's "typing…"); best effort.
    async fn typing(&self, chat_id: &str) {
        let _ = chat_id;
    }

    /// Replaces the text of a sent message.
    async fn edit(&self, chat_id: &str, sent: &Sent, text: &str) -> Result<(), DeliveryError> {
        let _ = (chat_id, sent, text);
        Ok(())
    }
}
