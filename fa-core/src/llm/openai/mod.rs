//! [`OpenAiCompatibleModel`]: any server that speaks OpenAI's Chat Completions API —
//! llama.cpp's `llama-server`, vLLM, LM Studio, LocalAI, Ollama's `/v1`, OpenAI itself.
//!
//! Requests go to `{base_url}/chat/completions` and `{base_url}/models`, where `base_url` is the
//! part before `/chat/completions`, usually ending in `/v1` (`http://127.0.0.1:8080/v1` for a
//! local `llama-server`). Tool calling needs the server's help: `llama-server` takes tools only
//! when started with `--jinja`, vLLM only with `--enable-auto-tool-choice --tool-call-parser …`.
//! Such servers do not say in advance whether they can call tools, so [`probe`] reports
//! `supports_tools: true`, and a server that cannot shows up as
//! [`ModelErrorKind::ToolsUnsupported`] on the first chat that offers tools.
//!
//! [`probe`]: LanguageModel::probe

mod http;
mod options;
mod sse;
mod wire;

use std::fmt;

use async_trait::async_trait;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;

use self::http::Context;
pub use self::options::OpenAiOptions;
use self::sse::{SseEvent, SseParser};
use self::wire::{Completion, StreamState};
use super::{
    ChatRequest, ChatResponse, LanguageModel, ModelError, ModelErrorKind, ModelInfo, StreamEvent,
};

/// A model behind an OpenAI-compatible Chat Completions API: llama.cpp's `llama-server`, vLLM,
/// LM Studio, LocalAI, Ollama's `/v1`, OpenAI itself.
///
/// Requests go to `{base_url}/chat/completions` (streamed as server-sent events by
/// [`chat_stream`](LanguageModel::chat_stream)) and `{base_url}/models`
/// ([`probe`](LanguageModel::probe)).
///
/// Tool calling needs the server's help: `llama-server` takes tools only when started with
/// `--jinja`, vLLM only with `--enable-auto-tool-choice --tool-call-parser …`. These servers do
/// not say in advance whether they can call tools, so `probe` reports `supports_tools: true`, and
/// a server that cannot shows up as [`ModelErrorKind::ToolsUnsupported`] (with the fix in its
/// message) on the first chat that offers tools.
pub struct OpenAiCompatibleModel {
    client: Client,
    options: OpenAiOptions,
    /// `options.base_url` without a trailing `/`.
    base_url: String,
}

impl fmt::Debug for OpenAiCompatibleModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiCompatibleModel")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl OpenAiCompatibleModel {
    /// A client for the model in `options`. Fails when the base URL or the model name is unusable;
    /// does not contact the server (see [`probe`](LanguageModel::probe)).
    pub fn new(options: OpenAiOptions) -> Result<Self, ModelError> {
        let base_url = options.base_url.trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base_url).map_err(|error| {
            ModelError::new(
                ModelErrorKind::Rejected,
                format!(
                    "The model server address `{base_url}` is not a URL; give one like \
                     http://127.0.0.1:8080/v1."
                ),
            )
            .with_source(error)
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ModelError::new(
                ModelErrorKind::Rejected,
                format!(
                    "The model server address `{base_url}` must start with http:// or https://."
                ),
            ));
        }
        if options.model.trim().is_empty() {
            return Err(ModelError::new(
                ModelErrorKind::Rejected,
                "No model name is set; set it to a name the server serves (GET …/v1/models lists them).",
            ));
        }
        let client = Client::builder()
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|error| {
                ModelError::new(
                    ModelErrorKind::Rejected,
                    "Cannot set up an HTTP client for the model server.",
                )
                .with_source(error)
            })?;
        Ok(Self {
            client,
            options,
            base_url,
        })
    }

    fn context<'a>(&'a self, url: &'a str) -> Context<'a> {
        Context {
            base_url: &self.base_url,
            url,
            model: &self.options.model,
            timeout: self.options.request_timeout,
        }
    }

    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.options.api_key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    /// Sends `request`, waiting at most the request timeout for the answer's headers.
    async fn send(
        &self,
        request: RequestBuilder,
        context: &Context<'_>,
    ) -> Result<Response, ModelError> {
        match tokio::time::timeout(
            self.options.request_timeout,
            self.authorized(request).send(),
        )
        .await
        {
            Err(_) => Err(http::timeout_error(context)),
            Ok(Err(error)) => Err(http::transport_error(error, context)),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// Reads the rest of a body, waiting at most the request timeout.
    async fn read_body(
        &self,
        response: Response,
        context: &Context<'_>,
    ) -> Result<Vec<u8>, ModelError> {
        match tokio::time::timeout(self.options.request_timeout, response.bytes()).await {
            Err(_) => Err(http::timeout_error(context)),
            Ok(Err(error)) => Err(http::transport_error(error, context)),
            Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        }
    }

    /// The error for a non-success answer.
    async fn failure(&self, response: Response, context: &Context<'_>) -> ModelError {
        let status = response.status();
        let retry_after = http::retry_after(response.headers());
        // A body that cannot be read still leaves the status to go by.
        let body = self.read_body(response, context).await.unwrap_or_default();
        let says = http::server_says(&body);
        tracing::debug!(url = context.url, %status, message = %says.message, "model server refused");
        http::status_error(status, retry_after, &says, context)
    }

    async fn post_chat(&self, body: &Value, url: &str) -> Result<Response, ModelError> {
        let context = self.context(url);
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .body(body.to_string());
        self.send(request, &context).await
    }

    /// Reads a whole (non-streamed) completion.
    fn parse_completion(
        &self,
        body: &[u8],
        context: &Context<'_>,
    ) -> Result<ChatResponse, ModelError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| http::bad_response("not JSON", context).with_source(error))?;
        if let Some(says) = http::server_says_json(&value) {
            return Err(http::in_band_error(&says, context));
        }
        let completion: Completion = serde_json::from_value(value).map_err(|error| {
            http::bad_response("not a chat completion", context).with_source(error)
        })?;
        completion
            .into_response()
            .ok_or_else(|| http::bad_response("a completion without any choice", context))
    }
}

/// Sends events while someone listens; a closed receiver is remembered and otherwise ignored.
struct Events<'a> {
    sender: &'a mpsc::Sender<StreamEvent>,
    open: bool,
}

impl Events<'_> {
    async fn send(&mut self, event: StreamEvent) {
        if self.open && self.sender.send(event).await.is_err() {
            tracing::debug!("stream receiver closed; finishing the completion without it");
            self.open = false;
        }
    }
}

/// What one server-sent event meant for the stream.
enum Step {
    Continue,
    Done,
}

impl OpenAiCompatibleModel {
    async fn handle_event(
        &self,
        event: SseEvent,
        state: &mut StreamState,
        events: &mut Events<'_>,
        context: &Context<'_>,
    ) -> Result<Step, ModelError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            return Ok(Step::Done);
        }
        if data.is_empty() {
            return Ok(Step::Continue);
        }
        let value: Value = serde_json::from_str(data).map_err(|error| {
            http::bad_response("a stream chunk that is not JSON", context).with_source(error)
        })?;
        let says = http::server_says_json(&value).or_else(|| {
            (event.event.as_deref() == Some("error")).then(|| http::ServerSays {
                message: value.to_string(),
                ..http::ServerSays::default()
            })
        });
        if let Some(says) = says {
            return Err(http::in_band_error(&says, context));
        }
        let chunk: Completion = serde_json::from_value(value).map_err(|error| {
            http::bad_response("a stream chunk that is not a completion chunk", context)
                .with_source(error)
        })?;
        for event in state.apply(chunk) {
            events.send(event).await;
        }
        Ok(Step::Continue)
    }

    /// Reads a `text/event-stream` answer to its end.
    async fn read_stream(
        &self,
        mut response: Response,
        events: &mut Events<'_>,
        context: &Context<'_>,
    ) -> Result<ChatResponse, ModelError> {
        let mut parser = SseParser::new();
        let mut state = StreamState::default();
        let mut done = false;
        while !done {
            let piece =
                match tokio::time::timeout(self.options.request_timeout, response.chunk()).await {
                    Err(_) => return Err(http::timeout_error(context)),
                    Ok(Err(error)) => return Err(http::transport_error(error, context)),
                    Ok(Ok(piece)) => piece,
                };
            let parsed = match &piece {
                Some(bytes) => parser.push(bytes),
                None => parser.finish().into_iter().collect(),
            };
            for event in parsed {
                if let Step::Done = self
                    .handle_event(event, &mut state, events, context)
                    .await?
                {
                    done = true;
                    break;
                }
            }
            if piece.is_none() && !done {
                if !state.finished {
                    return Err(ModelError::new(
                        ModelErrorKind::BadResponse,
                        format!(
                            "The model server at {} ended its answer early; retry, and check the \
                             server's log if it keeps happening.",
                            context.base_url
                        ),
                    ));
                }
                done = true;
            }
        }
        for event in state.take_calls() {
            events.send(event).await;
        }
        Ok(state.into_response())
    }
}

#[async_trait]
impl LanguageModel for OpenAiCompatibleModel {
    fn name(&self) -> &str {
        &self.options.model
    }

    fn context_window(&self) -> u32 {
        self.options.context_window
    }

    async fn probe(&self) -> Result<ModelInfo, ModelError> {
        let url = format!("{}/models", self.base_url);
        let context = self.context(&url);
        let exchange = async {
            let request = self.client.get(&url).header(ACCEPT, "application/json");
            let response = self.send(request, &context).await?;
            let status = response.status();
            if matches!(
                status,
                StatusCode::NOT_FOUND
                    | StatusCode::METHOD_NOT_ALLOWED
                    | StatusCode::NOT_IMPLEMENTED
            ) {
                tracing::debug!(url, %status, "the server does not list its models; assuming the model is there");
                return Ok(None);
            }
            if !status.is_success() {
                return Err(self.failure(response, &context).await);
            }
            self.read_body(response, &context).await.map(Some)
        };
        let Some(body) = tokio::time::timeout(self.options.request_timeout, exchange)
            .await
            .map_err(|_| http::timeout_error(&context))??
        else {
            return Ok(ModelInfo::new(&self.options.model, true, None));
        };
        let list: Value = serde_json::from_slice(&body).map_err(|error| {
            http::bad_response("a model list that is not JSON", &context).with_source(error)
        })?;
        let models = list
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let ids: Vec<&str> = models
            .iter()
            .filter_map(|model| model.get("id").and_then(Value::as_str))
            .collect();
        let wanted = self.options.model.as_str();
        // Ollama lists `name:latest` for a model asked for as `name`.
        let latest = format!("{wanted}:latest");
        let found = models.iter().find(|model| {
            model
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| id == wanted || id == latest)
        });
        match found {
            Some(model) => Ok(ModelInfo::new(wanted, true, context_length(model))),
            None if ids.is_empty() => Ok(ModelInfo::new(wanted, true, None)),
            None => {
                let shown: Vec<String> = ids.iter().take(10).map(|id| format!("`{id}`")).collect();
                let more = if ids.len() > 10 {
                    format!(" and {} more", ids.len() - 10)
                } else {
                    String::new()
                };
                Err(ModelError::new(
                    ModelErrorKind::ModelNotFound,
                    format!(
                        "The model server at {} has no model `{wanted}`. It serves {}{more}. Set \
                         the model name to one of these (llama-server names its model after the \
                         file given with -m, or after --alias), or load the model on the server.",
                        self.base_url,
                        shown.join(", ")
                    ),
                ))
            }
        }
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ModelError> {
        let url = format!("{}/chat/completions", self.base_url);
        let context = self.context(&url);
        let body = wire::request_body(&self.options.model, &request, false, false);
        // One deadline for the whole exchange.
        let exchange = async {
            let response = self.post_chat(&body, &url).await?;
            if !response.status().is_success() {
                return Err(self.failure(response, &context).await);
            }
            self.read_body(response, &context).await
        };
        let answer = tokio::time::timeout(self.options.request_timeout, exchange)
            .await
            .map_err(|_| http::timeout_error(&context))??;
        self.parse_completion(&answer, &context)
    }

    async fn chat_stream(
        &self,
        request: ChatRequest,
        events: mpsc::Sender<StreamEvent>,
    ) -> Result<ChatResponse, ModelError> {
        let url = format!("{}/chat/completions", self.base_url);
        let context = self.context(&url);
        let mut events = Events {
            sender: &events,
            open: true,
        };
        let body = wire::request_body(&self.options.model, &request, true, true);
        let mut response = self.post_chat(&body, &url).await?;
        if response.status() == StatusCode::BAD_REQUEST {
            // A server that refuses `stream_options` gets the request again without it.
            let error = self.failure(response, &context).await;
            if !error.to_string().contains("stream_options") {
                return Err(error);
            }
            tracing::debug!(url, "the server refuses stream_options; retrying without");
            let body = wire::request_body(&self.options.model, &request, true, false);
            response = self.post_chat(&body, &url).await?;
        }
        if !response.status().is_success() {
            return Err(self.failure(response, &context).await);
        }
        let is_event_stream = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.to_ascii_lowercase().starts_with("text/event-stream"));
        if is_event_stream {
            return self.read_stream(response, &mut events, &context).await;
        }
        // A server that ignored `stream: true` answers with one completion.
        let body = self.read_body(response, &context).await?;
        let answer = self.parse_completion(&body, &context)?;
        if !answer.message.content.is_empty() {
            events
                .send(StreamEvent::TextDelta(answer.message.content.clone()))
                .await;
        }
        for call in &answer.message.tool_calls {
            events.send(StreamEvent::ToolCall(call.clone())).await;
        }
        Ok(answer)
    }
}

/// The context length a model list entry reports: llama.cpp's `meta.n_ctx_train`, vLLM's
/// `max_model_len`, LM Studio's `max_context_length`.
fn context_length(model: &Value) -> Option<u32> {
    [
        model.pointer("/meta/n_ctx_train"),
        model.get("max_model_len"),
        model.get("max_context_length"),
        model.get("context_length"),
    ]
    .into_iter()
    .flatten()
    .find_map(Value::as_u64)
    .and_then(|n| u32::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn debug_hides_the_api_key() {
        let options =
            OpenAiOptions::new("http://127.0.0.1:8080/v1", "qwen3").api_key("sk-secret-123");
        let printed = format!("{options:?}");
        assert!(!printed.contains("sk-secret-123"), "{printed}");
        assert!(printed.contains("***"), "{printed}");
        let model = OpenAiCompatibleModel::new(options).unwrap();
        let printed = format!("{model:?}");
        assert!(!printed.contains("sk-secret-123"), "{printed}");
        assert!(printed.contains("***"), "{printed}");
        assert!(printed.contains("qwen3"), "{printed}");
    }

    #[test]
    fn defaults() {
        let options = OpenAiOptions::new("http://h/v1/", "m");
        assert_eq!(options.context_window, 8192);
        assert_eq!(options.request_timeout, Duration::from_secs(120));
        assert_eq!(options.connect_timeout, Duration::from_secs(5));
        assert_eq!(
            OpenAiOptions::default().base_url,
            "http://localhost:8080/v1"
        );
        let model = OpenAiCompatibleModel::new(options).unwrap();
        assert_eq!(model.base_url, "http://h/v1");
        assert_eq!(model.name(), "m");
    }

    #[test]
    fn refuses_unusable_options() {
        let no_model =
            OpenAiCompatibleModel::new(OpenAiOptions::new("http://h/v1", " ")).unwrap_err();
        assert_eq!(no_model.kind(), ModelErrorKind::Rejected);
        let bad_url =
            OpenAiCompatibleModel::new(OpenAiOptions::new("localhost:8080", "m")).unwrap_err();
        assert_eq!(bad_url.kind(), ModelErrorKind::Rejected);
        let bad_url = OpenAiCompatibleModel::new(OpenAiOptions::new("not a url", "m")).unwrap_err();
        assert_eq!(bad_url.kind(), ModelErrorKind::Rejected);
    }

    #[test]
    fn context_lengths_servers_report() {
        // llama.cpp server README, GET /v1/models example.
        let llama = serde_json::json!({"id": "m", "meta": {"n_ctx_train": 131072}});
        assert_eq!(context_length(&llama), Some(131_072));
        let vllm = serde_json::json!({"id": "m", "max_model_len": 32768});
        assert_eq!(context_length(&vllm), Some(32_768));
        assert_eq!(
            context_length(&serde_json::json!({"id": "m", "meta": null})),
            None
        );
    }
}
