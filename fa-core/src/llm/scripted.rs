//! [`ScriptedModel`]: a model that answers from a script, for tests and benchmarks (feature
//! `testing`).

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::{
    ChatMessage, ChatRequest, ChatResponse, LanguageModel, ModelError, ModelErrorKind, ModelInfo,
    StreamEvent, ToolCall,
};

/// One scripted answer.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum ScriptedReply {
    /// A text answer.
    Text(String),
    /// Tool calls (with optional text).
    Calls(Vec<ToolCall>),
    /// A whole assistant message.
    Message(ChatMessage),
    /// An error of this kind.
    Error(ModelErrorKind),
}

impl ScriptedReply {
    /// A text answer.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// One tool call with these arguments.
    pub fn call(name: impl Into<String>, arguments: serde_json::Value) -> Self {
        Self::Calls(vec![ToolCall {
            id: "call_0".to_owned(),
            name: name.into(),
            arguments,
        }])
    }
}

#[derive(Debug, Default)]
struct Script {
    replies: VecDeque<ScriptedReply>,
    cycle: bool,
    requests: Vec<ChatRequest>,
}

/// A [`LanguageModel`] that answers with scripted replies in order, and records every request
/// it received. When the script runs out it answers with an `Unreachable` error — or, made with
/// [`cycle`](Self::cycle), starts over.
#[derive(Debug)]
pub struct ScriptedModel {
    name: String,
    context_window: u32,
    record: bool,
    script: Mutex<Script>,
}

impl ScriptedModel {
    /// A model answering `replies` once each.
    pub fn new(replies: impl IntoIterator<Item = ScriptedReply>) -> Self {
        Self {
            name: "scripted".to_owned(),
            context_window: 8192,
            record: true,
            script: Mutex::new(Script {
                replies: replies.into_iter().collect(),
                ..Script::default()
            }),
        }
    }

    /// A model answering `replies` over and over without recording requests (for benchmarks).
    pub fn cycle(replies: impl IntoIterator<Item = ScriptedReply>) -> Self {
        let model = Self::new(replies);
        let mut model = Self {
            record: false,
            ..model
        };
        if let Ok(script) = model.script.get_mut() {
            script.cycle = true;
        }
        model
    }

    /// Sets the context window it reports.
    pub fn with_context_window(mut self, tokens: u32) -> Self {
        self.context_window = tokens;
        self
    }

    /// Appends replies to the script.
    pub fn push(&self, replies: impl IntoIterator<Item = ScriptedReply>) {
        if let Ok(mut script) = self.script.lock() {
            script.replies.extend(replies);
        }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<ChatRequest> {
        self.script
            .lock()
            .map(|s| s.requests.clone())
            .unwrap_or_default()
    }

    fn next(&self, request: ChatRequest) -> Result<ChatResponse, ModelError> {
        let reply = {
            let mut script = self.script.lock().map_err(|_| {
                ModelError::new(ModelErrorKind::BadResponse, "script lock poisoned")
            })?;
            if self.record {
                script.requests.push(request);
            }
            let reply = script.replies.pop_front();
            if let (Some(reply), true) = (&reply, script.cycle) {
                script.replies.push_back(reply.clone());
            }
            reply
        };
        match reply {
            None => Err(ModelError::new(
                ModelErrorKind::Unreachable,
                "the scripted model has no more replies",
            )),
            Some(ScriptedReply::Text(text)) => Ok(ChatResponse::new(ChatMessage::assistant(text))),
            Some(ScriptedReply::Calls(calls)) => {
                Ok(ChatResponse::new(ChatMessage::assistant_calls("", calls)))
            }
            Some(ScriptedReply::Message(message)) => Ok(ChatResponse::new(message)),
            Some(ScriptedReply::Error(kind)) => {
                Err(ModelError::new(kind, format!("scripted {kind:?}")))
            }
        }
    }
}

#[async_trait]
impl LanguageModel for ScriptedModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn context_window(&self) -> u32 {
        self.context_window
    }

    async fn probe(&self) -> Result<ModelInfo, ModelError> {
        Ok(ModelInfo::new(&self.name, true, Some(self.context_window)))
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ModelError> {
        self.next(request)
    }

    async fn chat_stream(
        &self,
        request: ChatRequest,
        events: mpsc::Sender<StreamEvent>,
    ) -> Result<ChatResponse, ModelError> {
        let response = self.next(request)?;
        // Word by word, as a real stream arrives.
        for piece in response.message.content.split_inclusive(' ') {
            let _ = events.send(StreamEvent::TextDelta(piece.to_owned())).await;
        }
        for call in &response.message.tool_calls {
            let _ = events.send(StreamEvent::ToolCall(call.clone())).await;
        }
        Ok(response)
    }
}
