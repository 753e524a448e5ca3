//! The Ollama backend: Ollama's native `/api/chat`, with `/api/show` to probe a model.
//!
//! # What goes through ollama-rs and what does not
//!
//! The request and response pieces that ollama-rs models the way Ollama expects are taken from
//! it: the tool definitions ([`ToolInfo`](ollama_rs::generation::tools::ToolInfo), whose
//! parameters are a schemars [`Schema`](schemars::Schema)), the sampling and context options
//! ([`ModelOptions`](ollama_rs::models::ModelOptions)), `keep_alive`
//! ([`KeepAlive`](ollama_rs::generation::parameters::KeepAlive)), the message roles, and the
//! `/api/show` answer ([`ModelInfo`](ollama_rs::models::ModelInfo)).
//!
//! The HTTP exchanges themselves are made with reqwest, because ollama-rs 0.3.6's client cannot
//! give the assistant what it needs:
//!
//! - every non-2xx answer becomes `OllamaError::Other(body)`, so a missing model (404), a model
//!   without tool support (400) and a crashed runner (500) cannot be told apart;
//! - its `ChatMessage` has no `tool_name` or `tool_call_id`, and its `ToolCall` has no `id`, so a
//!   tool result cannot be labelled the way Ollama's API asks;
//! - its response type requires `message` and all six timing fields on the final chunk, which
//!   Ollama omits when empty or zero (`omitempty`);
//! - its stream reader drops a chunk that splits a multi-byte character, prints parse errors to
//!   stderr and turns transport errors into `Err(())`, so a timeout cannot be reported as one;
//! - `show_model_info` sends the deprecated `name` field, and the client has no timeouts.

mod errors;
mod wire;

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::{
    ChatRequest, ChatResponse, LanguageModel, ModelError, ModelErrorKind, ModelInfo, StreamEvent,
};
use errors::Endpoint;

/// Where Ollama listens unless told otherwise.
const DEFAULT_BASE_URL: &str = "http://localhost:11434";
/// Ollama's port when `OLLAMA_HOST` names no scheme and no port.
const DEFAULT_PORT: u16 = 11434;

/// Options for an [`OllamaModel`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OllamaOptions {
    /// The server's base URL, e.g. `http://localhost:11434`. Defaults to `$OLLAMA_HOST` when set
    /// (read the way the `ollama` CLI reads it, see [`OllamaOptions::base_url_from`]), else
    /// `http://localhost:11434`.
    pub base_url: String,
    /// The model, e.g. `qwen3:8b`.
    pub model: String,
    /// The context window the model is run with, sent as `options.num_ctx` on every request
    /// (Ollama's own default is much smaller than what tool calling needs). Default 8192.
    pub num_ctx: u32,
    /// How long Ollama keeps the model loaded after a request; `None` leaves it to the server
    /// (5 minutes). Default 30 minutes.
    pub keep_alive: Option<Duration>,
    /// How long to wait for an answer: the whole answer for [`LanguageModel::chat`], the first
    /// chunk and each gap between chunks for [`LanguageModel::chat_stream`]. Loading a model is
    /// part of the first wait. Default 120 s.
    pub request_timeout: Duration,
    /// How long to wait for a connection to the server. Default 5 s.
    pub connect_timeout: Duration,
}

impl OllamaOptions {
    /// Options for `model` on the server `$OLLAMA_HOST` names (or `http://localhost:11434`), with
    /// the defaults above.
    pub fn new(model: impl Into<String>) -> Self {
        let host = std::env::var("OLLAMA_HOST").ok();
        Self {
            base_url: Self::base_url_from(host.as_deref()),
            model: model.into(),
            num_ctx: 8192,
            keep_alive: Some(Duration::from_secs(30 * 60)),
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// Sets the server, as a URL (`http://gpu-box:11434`) or the way `OLLAMA_HOST` may be written
    /// (`gpu-box:11434`, `0.0.0.0`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Sets the context window (`num_ctx`).
    pub fn num_ctx(mut self, num_ctx: u32) -> Self {
        self.num_ctx = num_ctx;
        self
    }

    /// Sets how long the model stays loaded; `None` leaves it to the server.
    pub fn keep_alive(mut self, keep_alive: Option<Duration>) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Sets how long to wait for an answer (or, streaming, for each chunk).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets how long to wait for a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The base URL a client should use for an `OLLAMA_HOST` value, following the `ollama` CLI:
    /// surrounding spaces and quotes are dropped; without a scheme `http` and port 11434 are
    /// assumed (`http://` and `https://` default to ports 80 and 443); an unspecified bind
    /// address (`0.0.0.0`, `::`, or no host at all) means this machine's loopback address; a path
    /// (for a reverse proxy) is kept. `None` or an empty value gives `http://localhost:11434`.
    ///
    /// ```
    /// # use fa_core::llm::OllamaOptions;
    /// assert_eq!(OllamaOptions::base_url_from(Some("0.0.0.0")), "http://127.0.0.1:11434");
    /// assert_eq!(OllamaOptions::base_url_from(Some("gpu-box:8080")), "http://gpu-box:8080");
    /// assert_eq!(OllamaOptions::base_url_from(None), "http://localhost:11434");
    /// ```
    pub fn base_url_from(host: Option<&str>) -> String {
        normalize_host(host.unwrap_or(""), false).unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
    }

    /// [`base_url_from`](Self::base_url_from) for a configuration file, where a typo should be
    /// named: a port that is not a number gives `None` instead of the default port.
    ///
    /// ```
    /// # use fa_core::llm::OllamaOptions;
    /// assert_eq!(OllamaOptions::parse_host("box:1234").as_deref(), Some("http://box:1234"));
    /// assert_eq!(OllamaOptions::parse_host("box:port"), None);
    /// ```
    pub fn parse_host(host: &str) -> Option<String> {
        normalize_host(host, true)
    }
}

/// `OLLAMA_HOST` as Ollama reads it, as a base URL; with `strict`, `None` for a bad port.
fn normalize_host(host: &str, strict: bool) -> Option<String> {
    let raw = host.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if raw.is_empty() {
        return Some(DEFAULT_BASE_URL.to_string());
    }
    let (scheme, rest, default_port) = match raw.split_once("://") {
        None if raw.eq_ignore_ascii_case("ollama.com") => ("https".to_string(), raw, 443),
        None => ("http".to_string(), raw, DEFAULT_PORT),
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            let port = if scheme == "https" { 443 } else { 80 };
            (scheme, rest, port)
        }
    };
    let (host_port, path) = match rest.split_once('/') {
        Some((host_port, path)) => (host_port, path.trim_end_matches('/')),
        None => (rest, ""),
    };
    let (host, port) = split_host_port(host_port, default_port, strict)?;
    let host = connectable_host(host);
    let path = if path.is_empty() {
        String::new()
    } else {
        format!("/{path}")
    };
    Some(format!("{scheme}://{host}:{port}{path}"))
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 address or a bare host. A missing port
/// gives `default_port`; an invalid one too (as the `ollama` CLI does), or `None` when `strict`.
fn split_host_port(host_port: &str, default_port: u16, strict: bool) -> Option<(&str, u16)> {
    let parse_port = |port: &str| match port.parse::<u16>() {
        Ok(port) => Some(port),
        Err(_) if strict => None,
        Err(_) => Some(default_port),
    };
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return match bracketed.split_once(']') {
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => Some((host, parse_port(port)?)),
                None if strict && !after.is_empty() => None,
                None => Some((host, default_port)),
            },
            None if strict => None,
            None => Some((host_port, default_port)),
        };
    }
    match host_port.matches(':').count() {
        1 => match host_port.split_once(':') {
            Some((host, port)) => Some((host, parse_port(port)?)),
            None => Some((host_port, default_port)),
        },
        // No colon, or a bare IPv6 address.
        _ => Some((host_port, default_port)),
    }
}

/// An address a client can connect to: a bind-everything address means loopback.
fn connectable_host(host: &str) -> String {
    if host.is_empty() {
        return "127.0.0.1".to_string();
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_string(),
        Ok(ip) if ip.is_unspecified() => "[::1]".to_string(),
        Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
        _ => host.to_string(),
    }
}

/// A model served by Ollama, spoken to on its native `/api/chat`.
#[derive(Clone)]
pub struct OllamaModel {
    options: OllamaOptions,
    /// The normalized base URL, without a trailing slash.
    base_url: String,
    client: reqwest::Client,
}

impl fmt::Debug for OllamaModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OllamaModel")
            .field("model", &self.options.model)
            .field("base_url", &self.base_url)
            .field("num_ctx", &self.options.num_ctx)
            .field("keep_alive", &self.options.keep_alive)
            .field("request_timeout", &self.options.request_timeout)
            .field("connect_timeout", &self.options.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl OllamaModel {
    /// A model with these options. Nothing is sent yet: call [`probe`](LanguageModel::probe) to
    /// check the server and the model. A base URL that is not an `http(s)` URL, or an empty model
    /// name, is [`ModelErrorKind::Rejected`].
    pub fn new(options: OllamaOptions) -> Result<Self, ModelError> {
        let base_url = OllamaOptions::base_url_from(Some(&options.base_url));
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| {
            ModelError::new(
                ModelErrorKind::Rejected,
                format!(
                    "the Ollama address {:?} is not a valid URL ({e}); use e.g. http://localhost:11434",
                    options.base_url
                ),
            )
            .with_source(e)
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ModelError::new(
                ModelErrorKind::Rejected,
                format!(
                    "the Ollama address {:?} is not an http:// or https:// URL; use e.g. http://localhost:11434",
                    options.base_url
                ),
            ));
        }
        if options.model.trim().is_empty() {
            return Err(ModelError::new(
                ModelErrorKind::Rejected,
                "no Ollama model is named; set one, e.g. qwen3:8b",
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|e| {
                ModelError::new(
                    ModelErrorKind::Rejected,
                    format!("cannot set up an HTTP client for Ollama: {e}"),
                )
                .with_source(e)
            })?;
        Ok(Self {
            options,
            base_url,
            client,
        })
    }

    fn endpoint(&self, path: &'static str) -> Endpoint<'_> {
        Endpoint {
            base_url: &self.base_url,
            path,
            model: &self.options.model,
            timeout: self.options.request_timeout,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends `body` to `path` and returns the response once its status says success; the wait
    /// is bounded by the request timeout.
    async fn post<B: serde::Serialize + ?Sized>(
        &self,
        path: &'static str,
        body: &B,
    ) -> Result<reqwest::Response, ModelError> {
        let endpoint = self.endpoint(path);
        let sent = self.client.post(self.url(path)).json(body).send();
        let response = tokio::time::timeout(self.options.request_timeout, sent)
            .await
            .map_err(|_| endpoint.timeout_error(false))?
            .map_err(|e| endpoint.transport_error(e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let failed = endpoint.http_error(response);
        Err(tokio::time::timeout(self.options.request_timeout, failed)
            .await
            .unwrap_or_else(|_| endpoint.timeout_error(false)))
    }
}

#[async_trait]
impl LanguageModel for OllamaModel {
    fn name(&self) -> &str {
        &self.options.model
    }

    fn context_window(&self) -> u32 {
        self.options.num_ctx
    }

    async fn probe(&self) -> Result<ModelInfo, ModelError> {
        let endpoint = self.endpoint("/api/show");
        let started = Instant::now();
        let body = serde_json::json!({ "model": self.options.model });
        let read = async {
            let response = self.post("/api/show", &body).await?;
            response
                .bytes()
                .await
                .map_err(|e| endpoint.transport_error(e))
        };
        let bytes = tokio::time::timeout(self.options.request_timeout, read)
            .await
            .map_err(|_| endpoint.timeout_error(false))??;
        let show: ollama_rs::models::ModelInfo =
            serde_json::from_slice(&bytes).map_err(|e| endpoint.bad_response(e))?;
        let info = wire::model_info(&self.options.model, &show);
        tracing::debug!(
            model = %self.options.model,
            supports_tools = info.supports_tools,
            context_length = ?info.context_length,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "probed Ollama model"
        );
        if !info.supports_tools {
            return Err(errors::tools_unsupported(
                &self.options.model,
                &wire::capabilities_text(&show),
            ));
        }
        Ok(info)
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ModelError> {
        let endpoint = self.endpoint("/api/chat");
        let body = wire::chat_body(&self.options, &request, false)?;
        let started = Instant::now();
        let read = async {
            let response = self.post("/api/chat", &body).await?;
            response
                .bytes()
                .await
                .map_err(|e| endpoint.transport_error(e))
        };
        let bytes = tokio::time::timeout(self.options.request_timeout, read)
            .await
            .map_err(|_| endpoint.timeout_error(false))??;
        let chunk: wire::ChatChunk =
            serde_json::from_slice(&bytes).map_err(|e| endpoint.bad_response(e))?;
        if let Some(error) = chunk.error {
            return Err(endpoint.answer_error(&error));
        }
        if chunk.message.is_none() {
            return Err(endpoint.bad_response("the answer has no message"));
        }
        let mut answer = wire::Answer::default();
        answer.push(chunk);
        let response = answer.finish();
        log_done(&self.options.model, false, started, &response);
        Ok(response)
    }

    async fn chat_stream(
        &self,
        request: ChatRequest,
        events: mpsc::Sender<StreamEvent>,
    ) -> Result<ChatResponse, ModelError> {
        let endpoint = self.endpoint("/api/chat");
        let body = wire::chat_body(&self.options, &request, true)?;
        let started = Instant::now();
        let mut response = self.post("/api/chat", &body).await?;
        let mut lines = wire::LineBuffer::default();
        let mut answer = wire::Answer::default();
        let mut done = false;
        while !done {
            let next = tokio::time::timeout(self.options.request_timeout, response.chunk())
                .await
                .map_err(|_| endpoint.timeout_error(true))?
                .map_err(|e| endpoint.transport_error(e))?;
            let last = match next {
                Some(bytes) => {
                    lines.push(&bytes);
                    false
                }
                None => true,
            };
            while let Some(line) = lines.next_line(last) {
                let chunk: wire::ChatChunk =
                    serde_json::from_slice(&line).map_err(|e| endpoint.bad_response(e))?;
                if let Some(error) = chunk.error {
                    return Err(endpoint.answer_error(&error));
                }
                done = chunk.done;
                let (delta, calls) = answer.push(chunk);
                // A receiver that has gone away does not stop the completion.
                if let Some(delta) = delta {
                    let _ = events.send(StreamEvent::TextDelta(delta)).await;
                }
                for call in calls {
                    let _ = events.send(StreamEvent::ToolCall(call)).await;
                }
                if done {
                    break;
                }
            }
            if last && !done {
                return Err(ModelError::new(
                    ModelErrorKind::ServerError,
                    format!(
                        "Ollama at {} ended the answer before it was done; check the server's log",
                        self.base_url
                    ),
                ));
            }
        }
        let response = answer.finish();
        log_done(&self.options.model, true, started, &response);
        Ok(response)
    }
}

/// Logs a finished completion: the model, timing and counts, never the text.
fn log_done(model: &str, stream: bool, started: Instant, response: &ChatResponse) {
    tracing::debug!(
        model = %model,
        stream,
        elapsed_ms = started.elapsed().as_millis() as u64,
        prompt_tokens = response.usage.map(|u| u.prompt_tokens),
        completion_tokens = response.usage.map(|u| u.completion_tokens),
        tool_calls = response.message.tool_calls.len(),
        "Ollama chat done"
    );
}
