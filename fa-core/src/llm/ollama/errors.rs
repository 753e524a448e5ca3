//! Turning what went wrong talking to Ollama into [`ModelError`]s that say what to do.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::llm::{ModelError, ModelErrorKind};

/// Models to suggest when the chosen one cannot call tools.
const TOOL_MODELS: &str = "qwen3, llama3.1, mistral-nemo";

/// What a request was for, to word its errors.
pub(super) struct Endpoint<'a> {
    pub(super) base_url: &'a str,
    pub(super) path: &'static str,
    pub(super) model: &'a str,
    pub(super) timeout: Duration,
}

/// Ollama's error body: `{"error": "…"}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

impl Endpoint<'_> {
    /// The request took longer than the request timeout (`between_chunks`: a streamed answer
    /// stalled).
    pub(super) fn timeout_error(&self, between_chunks: bool) -> ModelError {
        let what = if between_chunks {
            format!("sent nothing for {}", human(self.timeout))
        } else {
            format!("did not answer within {}", human(self.timeout))
        };
        ModelError::new(
            ModelErrorKind::Timeout,
            format!(
                "Ollama at {} {what} (model \"{}\", request_timeout); raise \
                 OllamaOptions::request_timeout or use a smaller model",
                self.base_url, self.model
            ),
        )
    }

    /// A transport failure: no connection, a timeout inside reqwest, a broken connection.
    pub(super) fn transport_error(&self, error: reqwest::Error) -> ModelError {
        let base_url = self.base_url;
        if error.is_connect() {
            let detail = if error.is_timeout() {
                " (no connection within the connect timeout)"
            } else {
                ""
            };
            return ModelError::new(
                ModelErrorKind::Unreachable,
                format!(
                    "cannot reach Ollama at {base_url}{detail}: is it running? start it with \
                     `ollama serve`"
                ),
            )
            .with_source(error);
        }
        if error.is_timeout() {
            return self.timeout_error(false).with_source(error);
        }
        if error.is_decode() {
            return self.bad_response(&error).with_source(error);
        }
        ModelError::new(
            ModelErrorKind::Unreachable,
            format!(
                "lost the connection to Ollama at {base_url} ({error}): is it still running? \
                 check the server's log"
            ),
        )
        .with_source(error)
    }

    /// An answer that could not be read.
    pub(super) fn bad_response(&self, why: impl fmt::Display) -> ModelError {
        ModelError::new(
            ModelErrorKind::BadResponse,
            format!(
                "Ollama at {} sent an answer to {} that could not be read ({why}); is this an \
                 Ollama server?",
                self.base_url, self.path
            ),
        )
    }

    /// An `{"error": …}` object in a 200 answer (Ollama reports a failure mid-stream this way,
    /// as the status line has already gone out).
    pub(super) fn answer_error(&self, error: &str) -> ModelError {
        if is_tools_unsupported(error) {
            return tools_unsupported(self.model, &format!("Ollama says: {error}"));
        }
        ModelError::new(
            ModelErrorKind::ServerError,
            format!(
                "Ollama at {} failed while answering: {error}",
                self.base_url
            ),
        )
    }

    /// A non-2xx answer, classified by status and Ollama's error text.
    pub(super) async fn http_error(&self, response: reqwest::Response) -> ModelError {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.text().await.unwrap_or_default();
        let error = self.classify(status, &text);
        match retry_after {
            Some(after) => error.with_retry_after(after),
            None => error,
        }
    }

    fn classify(&self, status: reqwest::StatusCode, text: &str) -> ModelError {
        let ollama_error = serde_json::from_str::<ErrorBody>(text)
            .ok()
            .map(|b| b.error);
        let detail = ollama_error
            .clone()
            .unwrap_or_else(|| truncate(text.trim(), 300));
        let (base_url, path, model) = (self.base_url, self.path, self.model);
        match status.as_u16() {
            // Ollama answers a missing model with 404 and `{"error": "model '…' not found"}`; a
            // 404 without that body means the URL does not lead to Ollama's API.
            404 if ollama_error.is_some() => ModelError::new(
                ModelErrorKind::ModelNotFound,
                format!(
                    "model \"{model}\" is not on the Ollama server at {base_url}; run `ollama pull \
                     {model}`"
                ),
            ),
            404 => ModelError::new(
                ModelErrorKind::Rejected,
                format!(
                    "{base_url} has no {path} (404 {detail}); is the Ollama address right, and is \
                     Ollama recent enough?"
                ),
            ),
            400 if is_tools_unsupported(&detail) => {
                tools_unsupported(model, &format!("Ollama says: {detail}"))
            }
            429 | 503 => ModelError::new(
                ModelErrorKind::RateLimited,
                format!("Ollama at {base_url} is busy ({status}: {detail}); try again later"),
            ),
            400..=499 => ModelError::new(
                ModelErrorKind::Rejected,
                format!("Ollama at {base_url} refused the request to {path} ({status}): {detail}"),
            ),
            _ => ModelError::new(
                ModelErrorKind::ServerError,
                format!("Ollama at {base_url} failed ({status}): {detail}"),
            ),
        }
    }
}

/// Whether Ollama's error text says the model cannot call tools
/// (`"registry.ollama.ai/library/gemma:2b does not support tools"`).
fn is_tools_unsupported(error: &str) -> bool {
    error.contains("does not support tools")
}

/// The model cannot call tools; `why` is what showed it.
pub(super) fn tools_unsupported(model: &str, why: &str) -> ModelError {
    ModelError::new(
        ModelErrorKind::ToolsUnsupported,
        format!(
            "model \"{model}\" cannot call tools ({why}); pick a model with tool support, e.g. \
             {TOOL_MODELS}"
        ),
    )
}

/// A duration for people: `300 ms`, `5 s`, `2.5 s`.
fn human(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

/// At most `max` characters of `text`.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_millis(300)), "300 ms");
        assert_eq!(human(Duration::from_secs(120)), "120 s");
        assert_eq!(human(Duration::from_millis(2500)), "2.5 s");
    }

    #[test]
    fn long_error_text_is_cut_on_a_character_boundary() {
        assert_eq!(truncate("ééé", 2), "éé…");
        assert_eq!(truncate("ab", 5), "ab");
    }
}
