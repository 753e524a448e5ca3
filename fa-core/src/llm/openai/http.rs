//! From HTTP failures to [`ModelError`]s whose messages say what to do.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;

use crate::llm::{ModelError, ModelErrorKind};

/// What a request was about, for the messages.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context<'a> {
    /// The configured base URL (…/v1).
    pub(super) base_url: &'a str,
    /// The URL requested.
    pub(super) url: &'a str,
    /// The model asked for.
    pub(super) model: &'a str,
    /// How long the client waited.
    pub(super) timeout: Duration,
}

/// What the server said about an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ServerSays {
    /// `error.message` (or the closest thing the server sent).
    pub(super) message: String,
    /// `error.code` or `error.type`, when given.
    pub(super) code: Option<String>,
    /// A numeric code inside the error object (llama.cpp puts the HTTP status there).
    pub(super) status: Option<u16>,
}

/// Reads an error body: OpenAI's `{"error": {"message", "type", "code"}}`, the `{"error": "…"}`
/// of simpler servers, FastAPI's `{"detail": …}`, or plain text.
pub(super) fn server_says(body: &[u8]) -> ServerSays {
    if let Ok(value) = serde_json::from_slice::<Value>(body)
        && let Some(says) = server_says_json(&value)
    {
        return says;
    }
    ServerSays {
        message: shorten(String::from_utf8_lossy(body).trim()),
        ..ServerSays::default()
    }
}

/// The error in a JSON value (a body or a stream chunk), if it carries one.
pub(super) fn server_says_json(value: &Value) -> Option<ServerSays> {
    let error = ["error", "detail"]
        .into_iter()
        .find_map(|key| value.get(key).filter(|error| !error.is_null()))?;
    Some(match error {
        Value::String(message) => ServerSays {
            message: shorten(message),
            ..ServerSays::default()
        },
        Value::Object(fields) => {
            let text = |key: &str| match fields.get(key) {
                Some(Value::String(text)) => Some(text.clone()),
                Some(Value::Number(number)) => Some(number.to_string()),
                _ => None,
            };
            ServerSays {
                message: shorten(&text("message").unwrap_or_else(|| error.to_string())),
                code: fields
                    .get("code")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| text("type")),
                status: fields
                    .get("code")
                    .and_then(Value::as_u64)
                    .and_then(|code| u16::try_from(code).ok()),
            }
        }
        other => ServerSays {
            message: shorten(&other.to_string()),
            ..ServerSays::default()
        },
    })
}

fn shorten(text: &str) -> String {
    const MAX: usize = 500;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The `Retry-After` header, when given in seconds.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(whole) = seconds.parse::<u64>() {
        return Some(Duration::from_secs(whole));
    }
    Duration::try_from_secs_f64(seconds.parse::<f64>().ok()?).ok()
}

fn said(says: &ServerSays) -> String {
    if says.message.is_empty() {
        String::new()
    } else {
        format!(" The server said: {}", says.message)
    }
}

/// A hint when the server says it cannot take `tools`, or `None` when it said something else.
fn tools_unsupported_hint(says: &ServerSays) -> Option<&'static str> {
    let message = says.message.to_lowercase();
    if message.contains("--jinja") || message.contains("tools param requires") {
        return Some(
            "llama-server takes tools only when started with --jinja (and, for some models, a \
             tool-capable --chat-template-file); restart it with --jinja",
        );
    }
    if message.contains("enable-auto-tool-choice") || message.contains("tool-call-parser") {
        return Some(
            "vLLM takes tools only when started with --enable-auto-tool-choice and a \
             --tool-call-parser that fits the model; restart it with both",
        );
    }
    let mentions_tools = message.contains("tool") || message.contains("function call");
    let refuses = [
        "not support",
        "unsupported",
        "not enabled",
        "not available",
        "no endpoints found",
        "not allowed",
    ]
    .iter()
    .any(|phrase| message.contains(phrase));
    (mentions_tools && refuses).then_some(
        "choose a model that can call tools (for example Qwen 3, Llama 3.1 or later, Mistral \
         Nemo), or a server that supports tool calling for it",
    )
}

fn mentions_missing_model(says: &ServerSays) -> bool {
    let message = says.message.to_lowercase();
    says.code.as_deref() == Some("model_not_found")
        || (message.contains("model")
            && [
                "not found",
                "does not exist",
                "not exist",
                "no such",
                "unknown model",
            ]
            .iter()
            .any(|phrase| message.contains(phrase)))
}

/// The error for a failed HTTP answer.
pub(super) fn status_error(
    status: StatusCode,
    retry_after: Option<Duration>,
    says: &ServerSays,
    context: &Context<'_>,
) -> ModelError {
    let code = status.as_u16();
    let base = context.base_url;
    let said = said(says);
    let with_retry = |error: ModelError| match retry_after {
        Some(after) => error.with_retry_after(after),
        None => error,
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = retry_after.map_or_else(
            || "retry in a while".to_owned(),
            |after| format!("retry in {} s", after.as_secs().max(1)),
        );
        return with_retry(ModelError::new(
            ModelErrorKind::RateLimited,
            format!(
                "The model server at {base} is rate limiting requests (HTTP 429); {wait}.{said}"
            ),
        ));
    }
    if (400..600).contains(&code)
        && let Some(hint) = tools_unsupported_hint(says)
    {
        return ModelError::new(
            ModelErrorKind::ToolsUnsupported,
            format!(
                "The model server at {base} cannot give model `{}` tools (HTTP {code}): {hint}.{said}",
                context.model
            ),
        );
    }
    if matches!(code, 401 | 403) {
        return ModelError::new(
            ModelErrorKind::Rejected,
            format!(
                "The model server at {base} refused the request (HTTP {code}): the API key is \
                 missing or wrong. Set the API key the server expects.{said}"
            ),
        );
    }
    let missing_model = (400..500).contains(&code) && mentions_missing_model(says)
        || code == 404 && says.message.to_lowercase().contains("model");
    if missing_model {
        return ModelError::new(
            ModelErrorKind::ModelNotFound,
            format!(
                "The model server at {base} has no model `{}` (HTTP {code}). Check the model \
                 name ({base}/models lists the ones it serves) or load the model on the \
                 server.{said}",
                context.model
            ),
        );
    }
    if code == 404 {
        return ModelError::new(
            ModelErrorKind::Rejected,
            format!(
                "The model server has no {} (HTTP 404). Check the base URL: it is the part \
                 before /chat/completions and usually ends in /v1.{said}",
                context.url
            ),
        );
    }
    if status.is_server_error() {
        let hint = if code == 503 {
            "it may still be loading the model, or be overloaded; retry in a while"
        } else {
            "retry in a while, and check the server's log if it keeps failing"
        };
        return with_retry(ModelError::new(
            ModelErrorKind::ServerError,
            format!("The model server at {base} failed (HTTP {code}); {hint}.{said}"),
        ));
    }
    let hint = if says.message.to_lowercase().contains("context") {
        " The conversation may be longer than the server's context: shorten it, or start the \
         server with a larger context (llama-server: -c) and set context_window to match."
    } else {
        ""
    };
    ModelError::new(
        ModelErrorKind::Rejected,
        format!("The model server at {base} refused the request (HTTP {code}).{said}{hint}"),
    )
}

/// An error object sent inside a 200 answer (in a stream chunk, or instead of a completion).
pub(super) fn in_band_error(says: &ServerSays, context: &Context<'_>) -> ModelError {
    let status = says
        .status
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(|status| status.is_client_error() || status.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    status_error(status, None, says, context)
}

/// The error for a request that got no (complete) HTTP answer.
pub(super) fn transport_error(error: reqwest::Error, context: &Context<'_>) -> ModelError {
    let base = context.base_url;
    if error.is_connect() {
        return ModelError::new(
            ModelErrorKind::Unreachable,
            format!(
                "Cannot reach the model server at {base}; is it running, and is the address right?"
            ),
        )
        .with_source(error);
    }
    if error.is_timeout() {
        return timeout_error(context).with_source(error);
    }
    if error.is_builder() {
        return ModelError::new(
            ModelErrorKind::Rejected,
            format!(
                "Cannot build a request for {}; check the base URL.",
                context.url
            ),
        )
        .with_source(error);
    }
    if error.is_body() || error.is_decode() {
        return ModelError::new(
            ModelErrorKind::BadResponse,
            format!(
                "The model server at {base} broke off its answer; retry, and check the server's \
                 log if it keeps happening."
            ),
        )
        .with_source(error);
    }
    ModelError::new(
        ModelErrorKind::Unreachable,
        format!(
            "Cannot talk to the model server at {base}; is it running, and is the address right?"
        ),
    )
    .with_source(error)
}

/// The error for a request that took longer than `context.timeout`.
pub(super) fn timeout_error(context: &Context<'_>) -> ModelError {
    ModelError::new(
        ModelErrorKind::Timeout,
        format!(
            "The model server at {} did not answer within {:.1} s. It may be busy, or the model \
             too slow for this machine: retry later, use a smaller model, or raise request_timeout.",
            context.base_url,
            context.timeout.as_secs_f64()
        ),
    )
}

/// The error for a body that is not what the API promises.
pub(super) fn bad_response(what: &str, context: &Context<'_>) -> ModelError {
    ModelError::new(
        ModelErrorKind::BadResponse,
        format!(
            "The model server at {} sent an answer that cannot be read ({what}). Is it an \
             OpenAI-compatible server, and does the base URL end in /v1?",
            context.base_url
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context<'static> {
        Context {
            base_url: "http://127.0.0.1:8080/v1",
            url: "http://127.0.0.1:8080/v1/chat/completions",
            model: "qwen3",
            timeout: Duration::from_secs(120),
        }
    }

    #[test]
    fn reads_the_error_shapes_servers_send() {
        // OpenAI's ErrorResponse (openai/openai-openapi, openapi.yaml, components.schemas.Error).
        let openai = server_says(
            br#"{"error":{"message":"The model `gpt-9` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
        );
        assert_eq!(openai.message, "The model `gpt-9` does not exist");
        assert_eq!(openai.code.as_deref(), Some("model_not_found"));
        // llama.cpp server: {"error":{"code":500,"message":…,"type":"server_error"}}.
        let llama = server_says(
            br#"{"error":{"code":500,"message":"tools param requires --jinja flag","type":"server_error"}}"#,
        );
        assert_eq!(llama.status, Some(500));
        assert_eq!(llama.code.as_deref(), Some("server_error"));
        // whisper.cpp server: {"error":"…"} (examples/server/server.cpp).
        assert_eq!(
            server_says(br#"{"error":"failed to read audio data"}"#).message,
            "failed to read audio data"
        );
        // FastAPI servers: {"detail": …}.
        assert_eq!(
            server_says(br#"{"detail":"Not Found"}"#).message,
            "Not Found"
        );
        assert_eq!(server_says(b"  Bad Gateway\n").message, "Bad Gateway");
        assert_eq!(server_says(b"").message, "");
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let long = "é".repeat(400);
        let says = server_says(long.as_bytes());
        assert!(says.message.ends_with('…'));
        assert!(says.message.len() <= 504);
    }

    #[test]
    fn tools_refusals_become_tools_unsupported_with_the_fix() {
        for (status, message) in [
            (500, "tools param requires --jinja flag"),
            (400, "tools param requires --jinja flag"),
            (
                400,
                "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set",
            ),
            (
                400,
                "registry.ollama.ai/library/gemma2:2b does not support tools",
            ),
            (404, "No endpoints found that support tool use."),
        ] {
            let says = ServerSays {
                message: message.to_owned(),
                ..ServerSays::default()
            };
            let status = StatusCode::from_u16(status).unwrap();
            let error = status_error(status, None, &says, &context());
            assert_eq!(error.kind(), ModelErrorKind::ToolsUnsupported, "{message}");
        }
        let says = ServerSays {
            message: "tools param requires --jinja flag".to_owned(),
            ..ServerSays::default()
        };
        let error = status_error(StatusCode::BAD_REQUEST, None, &says, &context());
        assert!(
            error.to_string().contains("restart it with --jinja"),
            "{error}"
        );
    }

    #[test]
    fn a_404_without_model_in_it_points_at_the_base_url() {
        let error = status_error(
            StatusCode::NOT_FOUND,
            None,
            &server_says(b"File Not Found"),
            &context(),
        );
        assert_eq!(error.kind(), ModelErrorKind::Rejected);
        assert!(error.to_string().contains("/v1"), "{error}");
    }

    #[test]
    fn retry_after_in_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, "1.5".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
