//! [`OpenAiOptions`]: where an OpenAI-compatible model server is and how to talk to it.

use std::fmt;
use std::time::Duration;

use crate::Secret;

/// Where the model server is and how to talk to it.
#[derive(Clone)]
#[non_exhaustive]
pub struct OpenAiOptions {
    /// The API's base URL: the part before `/chat/completions`, e.g.
    /// `http://127.0.0.1:8080/v1`. Default `http://localhost:8080/v1` (`llama-server`'s port).
    pub base_url: String,
    /// The model's name as the server knows it (`GET {base_url}/models` lists them).
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set; never logged or printed.
    pub api_key: Option<Secret>,
    /// How many tokens of context the server runs the model with (`llama-server -c`).
    /// Default 8192.
    pub context_window: u32,
    /// How long to wait for an answer; for a streamed answer, for its start and then for each
    /// piece. Default 120 s.
    pub request_timeout: Duration,
    /// How long to wait for a connection. Default 5 s.
    pub connect_timeout: Duration,
}

impl OpenAiOptions {
    /// The default base URL, `llama-server`'s.
    pub const DEFAULT_BASE_URL: &'static str = "http://localhost:8080/v1";

    /// Options for `model` at `base_url`, with the other settings at their defaults.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            ..Self::default()
        }
    }

    /// Sets the API key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key.into()));
        self
    }

    /// Sets the context window, in tokens.
    pub fn context_window(mut self, tokens: u32) -> Self {
        self.context_window = tokens;
        self
    }

    /// Sets the request timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
}

impl Default for OpenAiOptions {
    /// `llama-server`'s address and no model name (set one).
    fn default() -> Self {
        Self {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            model: String::new(),
            api_key: None,
            context_window: 8192,
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl fmt::Debug for OpenAiOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiOptions")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("context_window", &self.context_window)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}
