//! What the model sees of a conversation: a token budget filled with the system prompt, the
//! rolling summary, the member's relevant saved facts and as much recent history as fits.

use std::collections::HashSet;

use crate::llm::{ChatMessage, ChatRole, ToolCall};
use crate::{MemoryNote, Message, MessageRole};

/// Tokens a text costs, estimated at four bytes a token (plus a little per message for the
/// chat template). Exact counts need the model's tokenizer; the estimate errs high for English
/// so a request stays inside `num_ctx`.
pub fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

pub(crate) fn message_tokens(message: &ChatMessage) -> usize {
    let calls: usize = message
        .tool_calls
        .iter()
        .map(|c| estimate_tokens(&c.name) + estimate_tokens(&c.arguments.to_string()))
        .sum();
    4 + estimate_tokens(&message.content) + calls
}

/// Metadata keys on stored messages.
pub(crate) mod meta {
    /// A user message that reached no model (it was offline); kept, answered only on `/retry`.
    pub const KEPT: &str = "kept_offline";
    /// On a user message: the id of the kept message it retries.
    pub const RETRY_OF: &str = "retry_of";
    /// On an assistant message: the tool calls it made.
    pub const TOOL_CALLS: &str = "tool_calls";
    /// On a tool message: the call it answers.
    pub const TOOL_CALL_ID: &str = "tool_call_id";
    /// On a tool message: the tool's name.
    pub const TOOL_NAME: &str = "tool_name";
}

fn flag(message: &Message, key: &str) -> bool {
    message
        .metadata
        .as_ref()
        .and_then(|m| m.get(key))
        .is_some_and(|v| v.as_bool() == Some(true))
}

pub(crate) fn is_kept(message: &Message) -> bool {
    flag(message, meta::KEPT)
}

/// A stored message as the model sees it; `None` for messages it must not see (kept offline
/// messages, system notes).
pub(crate) fn to_chat(message: &Message) -> Option<ChatMessage> {
    let metadata = message.metadata.as_ref();
    match message.role {
        MessageRole::User if is_kept(message) => None,
        MessageRole::User => Some(ChatMessage::user(&message.content)),
        MessageRole::Assistant => {
            let calls: Vec<ToolCall> = metadata
                .and_then(|m| m.get(meta::TOOL_CALLS))
                .and_then(|c| serde_json::from_value(c.clone()).ok())
                .unwrap_or_default();
            Some(ChatMessage::assistant_calls(&message.content, calls))
        }
        MessageRole::Tool => {
            let text = |key: &str| {
                metadata
                    .and_then(|m| m.get(key))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let call = ToolCall {
                id: text(meta::TOOL_CALL_ID),
                name: text(meta::TOOL_NAME),
                arguments: serde_json::Value::Null,
            };
            Some(ChatMessage::tool_result(&call, &message.content))
        }
        MessageRole::System => None,
    }
}

/// The messages after the summary's last one (all of them if it is not among them).
pub(crate) fn after_summary(history: &[Message], through: Option<crate::MessageId>) -> &[Message] {
    match through.and_then(|id| history.iter().position(|m| m.id == id)) {
        Some(i) => &history[i + 1..],
        None => history,
    }
}

/// How many of the newest `history` messages fit in `budget` tokens, cut so the kept part does
/// not start with a tool result whose call was cut off.
pub(crate) fn fitting_tail(history: &[ChatMessage], budget: usize) -> usize {
    let mut used = 0;
    let mut keep = 0;
    for message in history.iter().rev() {
        let cost = message_tokens(message);
        if used + cost > budget {
            break;
        }
        used += cost;
        keep += 1;
    }
    let start = history.len() - keep;
    let orphaned = history[start..]
        .iter()
        .take_while(|m| m.role == ChatRole::Tool)
        .count();
    keep - orphaned
}

/// The member's saved facts that share words with `text`, best first, at most `limit`; all of
/// them (newest first) if they are few.
pub(crate) fn relevant_facts(notes: &[MemoryNote], text: &str, limit: usize) -> Vec<String> {
    if notes.len() <= limit {
        return notes.iter().rev().map(|n| n.content.clone()).collect();
    }
    let words = |s: &str| -> HashSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 2)
            .map(str::to_lowercase)
            .collect()
    };
    let wanted = words(text);
    let mut scored: Vec<(usize, usize, &MemoryNote)> = notes
        .iter()
        .enumerate()
        .map(|(i, n)| (words(&n.content).intersection(&wanted).count(), i, n))
        .filter(|(score, _, _)| *score > 0)
        .collect();
    // Most shared words first; among equals, the newest.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, _, n)| n.content.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_tail_never_starts_with_an_orphaned_tool_result() {
        let call = ToolCall {
            id: "c1".into(),
            name: "recall".into(),
            arguments: serde_json::json!({}),
        };
        let history = vec![
            ChatMessage::user("x".repeat(400)),
            ChatMessage::assistant_calls("", vec![call.clone()]),
            ChatMessage::tool_result(&call, "y".repeat(40)),
            ChatMessage::user("hi"),
        ];
        let all: usize = history.iter().map(message_tokens).sum();
        assert_eq!(fitting_tail(&history, all), 4);
        // Room for the last two only: the tool result would lead, so it is dropped too.
        let last_two = message_tokens(&history[2]) + message_tokens(&history[3]);
        assert_eq!(fitting_tail(&history, last_two), 1);
        assert_eq!(fitting_tail(&history, 0), 0);
    }

    #[test]
    fn facts_sharing_words_come_first() {
        let note = |content: &str| MemoryNote {
            id: crate::NoteId::new(),
            household_id: crate::HouseholdId::new(),
            member_id: crate::MemberId::new(),
            content: content.into(),
            created_at: chrono::Utc::now(),
        };
        let notes = vec![
            note("locker code is 4411"),
            note("favourite colour is green"),
            note("dentist is Dr. Weber on Main Street"),
        ];
        assert_eq!(
            relevant_facts(&notes, "what is my locker code?", 1),
            ["locker code is 4411"]
        );
        assert!(relevant_facts(&notes, "unrelated", 1).is_empty());
        assert_eq!(relevant_facts(&notes, "anything", 5).len(), 3);
    }
}
