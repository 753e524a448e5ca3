//! Language models: one [`LanguageModel`] trait with normalized request and response types, and
//! backends that hide their providers' wire formats.
//!
//! | backend | feature | endpoint |
//! |---|---|---|
//! | [`OllamaModel`] | `ollama` (default) | Ollama's native `/api/chat`, probed with `/api/show` |
//! | [`OpenAiCompatibleModel`] | `openai` | `/v1/chat/completions` (llama.cpp server, vLLM, LM Studio, OpenAI, …) |
//!
//! Tool calls arrive in [`ChatResponse::message`]'s `tool_calls`, parsed from the provider's
//! structured fields. Local models sometimes write a call as JSON text instead;
//! [`recover_text_tool_calls`] recognises that, and the assistant runs such calls rather than
//! showing the JSON to anyone.

mod error;
#[cfg(feature = "ollama")]
mod ollama;
#[cfg(feature = "openai")]
mod openai;
#[cfg(feature = "testing")]
mod scripted;
mod text_calls;
mod types;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use error::{ModelError, ModelErrorKind};
#[cfg(feature = "ollama")]
pub use ollama::{OllamaModel, OllamaOptions};
#[cfg(feature = "openai")]
pub use openai::{OpenAiCompatibleModel, OpenAiOptions};
#[cfg(feature = "testing")]
pub use scripted::{ScriptedModel, ScriptedReply};
pub use text_calls::{TextToolCalls, recover_text_tool_calls, scan_text_tool_calls};
pub use types::{
    ChatMessage, ChatOptions, ChatRequest, ChatResponse, ChatRole, ModelInfo, StreamEvent,
    ToolCall, ToolSpec, Usage,
};

/// A chat model that can call tools. Hold it as `Arc<dyn LanguageModel>`.
#[async_trait]
pub trait LanguageModel: Send + Sync + std::fmt::Debug {
    /// The model's name as the provider knows it, e.g. `qwen3:8b`.
    fn name(&self) -> &str;

    /// How many tokens of context the model is run with (Ollama's `num_ctx`); the assistant keeps
    /// each request within it.
    fn context_window(&self) -> u32;

    /// Asks the provider about the model: whether it exists and whether it can call tools. A model
    /// that cannot call tools is refused with [`ModelErrorKind::ToolsUnsupported`], one that does
    /// not exist with [`ModelErrorKind::ModelNotFound`]; both messages say what to do.
    async fn probe(&self) -> Result<ModelInfo, ModelError>;

    /// One chat completion.
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ModelError>;

    /// One chat completion, streamed: text deltas and tool calls are sent to `events` as they
    /// arrive, and the whole response is returned at the end. A closed receiver does not stop
    /// the completion. The default sends the result of [`chat`](Self::chat) in one piece.
    async fn chat_stream(
        &self,
        request: ChatRequest,
        events: mpsc::Sender<StreamEvent>,
    ) -> Result<ChatResponse, ModelError> {
        let response = self.chat(request).await?;
        if !response.message.content.is_empty() {
            let _ = events
                .send(StreamEvent::TextDelta(response.message.content.clone()))
                .await;
        }
        for call in &response.message.tool_calls {
            let _ = events.send(StreamEvent::ToolCall(call.clone())).await;
        }
        Ok(response)
    }
}

/// A shared, type-erased model.
pub type DynModel = std::sync::Arc<dyn LanguageModel>;
