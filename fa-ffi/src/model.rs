//! `Model`: language models — Ollama, an OpenAI-compatible server, a scripted one for tests, or
//! one the app provides (an on-device model) — and direct chat with them.

use std::sync::Arc;

use async_trait::async_trait;
use fa_core::llm::{
    ChatMessage, ChatRequest, ChatResponse, DynModel, LanguageModel, ModelError, ModelErrorKind,
    ModelInfo, ScriptedModel, ScriptedReply, ToolSpec,
};

use fa_core::ffi::HostModel;

use crate::error::{FaError, Result};
use crate::runtime::{host, run};

struct HostLanguageModel {
    name: String,
    context_window: u32,
    model: Arc<dyn HostModel>,
}

impl std::fmt::Debug for HostLanguageModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostLanguageModel")
            .field("name", &self.name)
            .field("context_window", &self.context_window)
            .finish_non_exhaustive()
    }
}

fn model_error(error: FaError) -> ModelError {
    let kind = match &error {
        FaError::Network { .. } => ModelErrorKind::Unreachable,
        FaError::RateLimited { .. } => ModelErrorKind::RateLimited,
        FaError::NotFound { .. } => ModelErrorKind::ModelNotFound,
        FaError::Auth { .. } => ModelErrorKind::Rejected,
        _ => ModelErrorKind::BadResponse,
    };
    let retry_after = match &error {
        FaError::RateLimited { retry_after, .. } => *retry_after,
        _ => None,
    };
    let error = ModelError::new(kind, format!("the app's model: {error}"));
    match retry_after {
        Some(after) => error.with_retry_after(after),
        None => error,
    }
}

#[async_trait]
impl LanguageModel for HostLanguageModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn context_window(&self) -> u32 {
        self.context_window
    }

    async fn probe(&self) -> Result<ModelInfo, ModelError> {
        Ok(ModelInfo::new(
            self.name.clone(),
            true,
            Some(self.context_window),
        ))
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ModelError> {
        let model = self.model.clone();
        match host(move || model.chat(request)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) | Err(e) => Err(model_error(e)),
        }
    }
}

/// A language model.
#[derive(uniffi::Object)]
pub struct Model {
    pub(crate) model: DynModel,
    scripted: Option<Arc<ScriptedModel>>,
}

/// Options a model refuses before anything is sent (a base URL that is not http(s), an empty
/// name) are the caller's to fix.
#[cfg(any(feature = "ollama", feature = "openai"))]
fn refused(error: ModelError) -> FaError {
    FaError::invalid("model options", error)
}

#[uniffi::export]
impl Model {
    /// A model answering from a script, for tests; with `cycle` the script repeats forever.
    #[uniffi::constructor(default(cycle = false))]
    pub fn scripted(replies: Vec<ScriptedReply>, cycle: bool) -> Arc<Self> {
        let model = Arc::new(if cycle {
            ScriptedModel::cycle(replies)
        } else {
            ScriptedModel::new(replies)
        });
        Self::wrap(model.clone(), Some(model))
    }

    /// The app's own model, under `name`, with a context window of `context_window` tokens
    /// (what fa fits the history into).
    #[uniffi::constructor(default(context_window = 8192))]
    pub fn host(name: String, model: Arc<dyn HostModel>, context_window: u32) -> Arc<Self> {
        Self::wrap(
            Arc::new(HostLanguageModel {
                name,
                context_window,
                model,
            }),
            None,
        )
    }

    /// The model's name.
    pub fn name(&self) -> String {
        self.model.name().to_owned()
    }

    /// Asks the server whether the model exists and can call tools.
    pub async fn probe(&self) -> Result<ModelInfo> {
        let model = self.model.clone();
        run(async move { model.probe().await }).await
    }

    /// One chat completion without the assistant; returns the model's message (text and any
    /// tool calls).
    #[uniffi::method(default(tools = []))]
    pub async fn chat(
        &self,
        messages: Vec<ChatMessage>,
        tools: Vec<ToolSpec>,
    ) -> Result<ChatMessage> {
        let model = self.model.clone();
        let request = ChatRequest::new(messages).with_tools(tools);
        run(async move { model.chat(request).await.map(|r| r.message) }).await
    }

    /// Appends replies to a scripted model's script.
    pub fn push(&self, replies: Vec<ScriptedReply>) -> Result<()> {
        self.script()?.push(replies);
        Ok(())
    }

    /// The requests a scripted model has received, in order.
    pub fn requests(&self) -> Result<Vec<ChatRequest>> {
        Ok(self.script()?.requests())
    }
}

// UniFFI reads a whole exported `impl` block: the backends behind features get blocks of their own.
#[cfg(feature = "ollama")]
#[uniffi::export]
impl Model {
    /// A model served by Ollama (`base_url` defaults to `$OLLAMA_HOST` or
    /// `http://localhost:11434`).
    #[uniffi::constructor(default(base_url = None, num_ctx = None, timeout = None))]
    pub fn ollama(
        model: String,
        base_url: Option<String>,
        num_ctx: Option<u32>,
        timeout: Option<std::time::Duration>,
    ) -> Result<Arc<Self>> {
        let mut options = fa_core::llm::OllamaOptions::new(model);
        if let Some(base_url) = base_url {
            options = options.base_url(base_url);
        }
        if let Some(num_ctx) = num_ctx {
            options = options.num_ctx(num_ctx);
        }
        if let Some(timeout) = timeout {
            options = options.request_timeout(timeout);
        }
        let model = fa_core::llm::OllamaModel::new(options).map_err(refused)?;
        Ok(Self::wrap(Arc::new(model), None))
    }
}

#[cfg(feature = "openai")]
#[uniffi::export]
impl Model {
    /// A model on an OpenAI-compatible server (llama.cpp, vLLM, LM Studio, OpenAI).
    #[uniffi::constructor(default(api_key = None, context_window = None, timeout = None))]
    pub fn openai(
        model: String,
        base_url: String,
        api_key: Option<String>,
        context_window: Option<u32>,
        timeout: Option<std::time::Duration>,
    ) -> Result<Arc<Self>> {
        let mut options = fa_core::llm::OpenAiOptions::new(base_url, model);
        if let Some(key) = api_key {
            options = options.api_key(key);
        }
        if let Some(tokens) = context_window {
            options = options.context_window(tokens);
        }
        if let Some(timeout) = timeout {
            options = options.request_timeout(timeout);
        }
        let model = fa_core::llm::OpenAiCompatibleModel::new(options).map_err(refused)?;
        Ok(Self::wrap(Arc::new(model), None))
    }
}

impl Model {
    fn wrap(model: DynModel, scripted: Option<Arc<ScriptedModel>>) -> Arc<Self> {
        Arc::new(Self { model, scripted })
    }

    fn script(&self) -> Result<&Arc<ScriptedModel>> {
        self.scripted
            .as_ref()
            .ok_or_else(|| FaError::invalid("model", "only a scripted model has a script"))
    }
}
