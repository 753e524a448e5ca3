//! Ollama's `/api/chat` and `/api/show` bodies, and their mapping to the normalized types.
//!
//! Shapes follow Ollama's API reference (`docs/api.md`, "Generate a chat completion" and "Show
//! Model Information") and its Go types (`api/types.go`: `Message`, `ToolCall`,
//! `ChatResponse`).

use std::borrow::Cow;
use std::time::Duration;

use ollama_rs::generation::chat::MessageRole;
use ollama_rs::generation::parameters::{KeepAlive, TimeUnit};
use ollama_rs::generation::tools::{ToolFunctionInfo, ToolInfo, ToolType};
use ollama_rs::models::ModelOptions;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::OllamaOptions;
use crate::llm::{
    ChatMessage, ChatRequest, ChatResponse, ChatRole, ModelError, ModelErrorKind, ModelInfo,
    ToolCall, ToolSpec, Usage,
};

/// The body of `POST /api/chat`.
///
/// Not ollama-rs's `ChatMessageRequest`: its messages cannot carry `tool_name` and its `stream`
/// flag is private to the crate. The options, tools and keep-alive are ollama-rs's types.
#[derive(Debug, Serialize)]
pub(super) struct ChatBody<'a> {
    model: &'a str,
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<ToolInfo>,
    options: ModelOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_alive: Option<KeepAlive>,
    stream: bool,
}

/// A message as Ollama's `api.Message` reads it.
#[derive(Debug, Serialize)]
struct Message<'a> {
    role: MessageRole,
    content: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<OutgoingCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<&'a str>,
}

/// An earlier tool call, sent back in the assistant's message.
#[derive(Debug, Serialize)]
struct OutgoingCall<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    id: &'a str,
    function: OutgoingFunction<'a>,
}

#[derive(Debug, Serialize)]
struct OutgoingFunction<'a> {
    index: usize,
    name: &'a str,
    arguments: Cow<'a, Value>,
}

/// Builds the `/api/chat` body for `request`. A tool whose parameters are not a JSON object is
/// [`ModelErrorKind::Rejected`] (Ollama would refuse the whole request).
pub(super) fn chat_body<'a>(
    options: &'a OllamaOptions,
    request: &'a ChatRequest,
    stream: bool,
) -> Result<ChatBody<'a>, ModelError> {
    let tools = request
        .tools
        .iter()
        .map(tool_info)
        .collect::<Result<Vec<_>, _>>()?;
    let mut model_options = ModelOptions::default().num_ctx(u64::from(options.num_ctx));
    if let Some(temperature) = request.options.temperature {
        model_options = model_options.temperature(temperature);
    }
    if let Some(max_tokens) = request.options.max_tokens {
        model_options = model_options.num_predict(i32::try_from(max_tokens).unwrap_or(i32::MAX));
    }
    Ok(ChatBody {
        model: &options.model,
        messages: request.messages.iter().map(message).collect(),
        tools,
        options: model_options,
        keep_alive: options.keep_alive.map(keep_alive),
        stream,
    })
}

fn message(message: &ChatMessage) -> Message<'_> {
    let role = match message.role {
        ChatRole::System => MessageRole::System,
        ChatRole::User => MessageRole::User,
        ChatRole::Assistant => MessageRole::Assistant,
        ChatRole::Tool => MessageRole::Tool,
    };
    let tool_calls = message
        .tool_calls
        .iter()
        .enumerate()
        .map(|(index, call)| OutgoingCall {
            id: &call.id,
            function: OutgoingFunction {
                index,
                name: &call.name,
                arguments: arguments_object(&call.arguments),
            },
        })
        .collect();
    Message {
        role,
        content: &message.content,
        tool_calls,
        tool_name: message.tool_name.as_deref(),
        tool_call_id: message.tool_call_id.as_deref(),
    }
}

/// Ollama reads a call's arguments only as an object: a JSON string holding one is parsed,
/// anything else (malformed arguments the model wrote) is sent as `{}`.
fn arguments_object(arguments: &Value) -> Cow<'_, Value> {
    match arguments {
        Value::Object(_) => Cow::Borrowed(arguments),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(parsed @ Value::Object(_)) => Cow::Owned(parsed),
            _ => Cow::Owned(Value::Object(serde_json::Map::new())),
        },
        _ => Cow::Owned(Value::Object(serde_json::Map::new())),
    }
}

fn tool_info(spec: &ToolSpec) -> Result<ToolInfo, ModelError> {
    let rejected = |why: String| {
        ModelError::new(
            ModelErrorKind::Rejected,
            format!(
                "the parameters of tool \"{}\" are not a JSON Schema object ({why})",
                spec.name
            ),
        )
    };
    if !spec.parameters.is_object() {
        return Err(rejected("Ollama needs an object".to_string()));
    }
    let parameters =
        schemars::Schema::try_from(spec.parameters.clone()).map_err(|e| rejected(e.to_string()))?;
    Ok(ToolInfo {
        tool_type: ToolType::Function,
        function: ToolFunctionInfo {
            name: spec.name.clone(),
            description: spec.description.clone(),
            parameters,
        },
    })
}

/// `keep_alive` in the largest whole unit: `30m`, `2h`, `90s`; zero unloads the model at once.
fn keep_alive(duration: Duration) -> KeepAlive {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    match seconds {
        0 => KeepAlive::UnloadOnCompletion,
        s if s % 3600 == 0 => KeepAlive::Until {
            time: s / 3600,
            unit: TimeUnit::Hours,
        },
        s if s % 60 == 0 => KeepAlive::Until {
            time: s / 60,
            unit: TimeUnit::Minutes,
        },
        s => KeepAlive::Until {
            time: s,
            unit: TimeUnit::Seconds,
        },
    }
}

/// One `/api/chat` answer object: the whole answer, or one line of a stream.
///
/// Not ollama-rs's `ChatMessageResponse`: that requires `message` on every chunk and all six
/// timing fields on the last (Ollama omits empty ones), and drops the tool calls' `id`.
#[derive(Debug, Deserialize)]
pub(super) struct ChatChunk {
    #[serde(default)]
    pub(super) message: Option<IncomingMessage>,
    #[serde(default)]
    pub(super) done: bool,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    /// Set instead of the rest when the server fails mid-stream.
    #[serde(default)]
    pub(super) error: Option<String>,
}

/// The message of a [`ChatChunk`]. `thinking` (and anything else) is ignored.
#[derive(Debug, Default, Deserialize)]
pub(super) struct IncomingMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<IncomingCall>>,
}

#[derive(Debug, Deserialize)]
struct IncomingCall {
    #[serde(default)]
    id: Option<String>,
    function: IncomingFunction,
}

#[derive(Debug, Deserialize)]
struct IncomingFunction {
    name: String,
    #[serde(default, alias = "parameters")]
    arguments: Value,
}

/// The answer assembled from one or more [`ChatChunk`]s.
#[derive(Debug, Default)]
pub(super) struct Answer {
    content: String,
    tool_calls: Vec<ToolCall>,
    usage: Option<Usage>,
}

impl Answer {
    /// Adds a chunk; returns its new text (if any) and its tool calls, ids assigned.
    pub(super) fn push(&mut self, chunk: ChatChunk) -> (Option<String>, Vec<ToolCall>) {
        if chunk.prompt_eval_count.is_some() || chunk.eval_count.is_some() {
            let count = |n: Option<u64>| u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX);
            self.usage = Some(Usage {
                prompt_tokens: count(chunk.prompt_eval_count),
                completion_tokens: count(chunk.eval_count),
            });
        }
        let Some(message) = chunk.message else {
            return (None, Vec::new());
        };
        let delta = message.content.filter(|text| !text.is_empty());
        if let Some(delta) = &delta {
            self.content.push_str(delta);
        }
        let mut calls = Vec::new();
        for call in message.tool_calls.unwrap_or_default() {
            let id = match call.id {
                Some(id) if !id.is_empty() => id,
                _ => format!("call_{}", self.tool_calls.len()),
            };
            let call = ToolCall {
                id,
                name: call.function.name,
                arguments: parse_arguments(call.function.arguments),
            };
            self.tool_calls.push(call.clone());
            calls.push(call);
        }
        (delta, calls)
    }

    /// The assistant message and usage.
    pub(super) fn finish(self) -> ChatResponse {
        let response =
            ChatResponse::new(ChatMessage::assistant_calls(self.content, self.tool_calls));
        match self.usage {
            Some(usage) => response.with_usage(usage),
            None => response,
        }
    }
}

/// Arguments as a JSON value: an object as sent, a JSON string parsed, a string that is not JSON
/// kept as a string, nothing as `{}`.
fn parse_arguments(arguments: Value) -> Value {
    match arguments {
        Value::Null => Value::Object(serde_json::Map::new()),
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        other => other,
    }
}

/// Splits a byte stream into lines (NDJSON), keeping a line's bytes until it is whole so a
/// character split across chunks is read correctly.
#[derive(Debug, Default)]
pub(super) struct LineBuffer {
    buffer: Vec<u8>,
}

impl LineBuffer {
    /// Adds received bytes.
    pub(super) fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next non-blank line, if whole; with `eof`, the unterminated rest counts as a line.
    pub(super) fn next_line(&mut self, eof: bool) -> Option<Vec<u8>> {
        loop {
            let line: Vec<u8> = match self.buffer.iter().position(|&b| b == b'\n') {
                Some(end) => self.buffer.drain(..=end).collect(),
                None if eof && !self.buffer.is_empty() => std::mem::take(&mut self.buffer),
                None => return None,
            };
            if !line.iter().all(u8::is_ascii_whitespace) {
                return Some(line);
            }
        }
    }
}

/// What `/api/show` says about `model`. Tool support comes from `capabilities`; a server too old
/// to report them is asked through the template, as Ollama itself decided before (a template that
/// uses `.Tools`).
pub(super) fn model_info(model: &str, show: &ollama_rs::models::ModelInfo) -> ModelInfo {
    let supports_tools = if show.capabilities.is_empty() {
        show.template.contains(".Tools")
    } else {
        show.capabilities.iter().any(|c| c == "tools")
    };
    ModelInfo::new(model, supports_tools, context_length(&show.model_info))
}

/// How `/api/show`'s capabilities read in a message.
pub(super) fn capabilities_text(show: &ollama_rs::models::ModelInfo) -> String {
    if show.capabilities.is_empty() {
        "its template has no tool support".to_string()
    } else {
        format!("its capabilities: {}", show.capabilities.join(", "))
    }
}

/// `model_info["<architecture>.context_length"]`, or any `*.context_length` key.
fn context_length(info: &serde_json::Map<String, Value>) -> Option<u32> {
    let as_u32 = |value: &Value| value.as_u64().map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    let by_architecture = info
        .get("general.architecture")
        .and_then(Value::as_str)
        .and_then(|arch| info.get(&format!("{arch}.context_length")))
        .and_then(as_u32);
    by_architecture.or_else(|| {
        info.iter()
            .filter(|(key, _)| key.ends_with(".context_length"))
            .find_map(|(_, value)| as_u32(value))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn lines_survive_a_character_split_across_chunks() {
        let text =
            "{\"message\":{\"content\":\"caf\u{e9} \u{1f600}\"},\"done\":false}\n{\"done\":true}";
        let bytes = text.as_bytes();
        // Split inside the emoji's four bytes.
        let split = text.find('\u{1f600}').unwrap() + 2;
        let mut lines = LineBuffer::default();
        lines.push(&bytes[..split]);
        assert_eq!(lines.next_line(false), None);
        lines.push(&bytes[split..]);
        let first: ChatChunk = serde_json::from_slice(&lines.next_line(false).unwrap()).unwrap();
        assert_eq!(
            first.message.unwrap().content.as_deref(),
            Some("caf\u{e9} \u{1f600}")
        );
        // The last line has no newline: it is whole only at the end of the stream.
        assert_eq!(lines.next_line(false), None);
        let last: ChatChunk = serde_json::from_slice(&lines.next_line(true).unwrap()).unwrap();
        assert!(last.done);
        assert_eq!(lines.next_line(true), None);
    }

    #[test]
    fn blank_lines_are_skipped() {
        let mut lines = LineBuffer::default();
        lines.push(b"\n \r\n{}\r\n");
        assert_eq!(lines.next_line(false).unwrap(), b"{}\r\n");
        assert_eq!(lines.next_line(true), None);
    }

    #[test]
    fn keep_alive_uses_the_largest_whole_unit() {
        let text = |d| serde_json::to_value(keep_alive(d)).unwrap();
        assert_eq!(text(Duration::from_secs(30 * 60)), "30m");
        assert_eq!(text(Duration::from_secs(7200)), "2h");
        assert_eq!(text(Duration::from_secs(90)), "90s");
        assert_eq!(text(Duration::from_millis(1500)), "2s");
        assert_eq!(text(Duration::ZERO), 0);
    }

    #[test]
    fn an_id_from_ollama_is_kept_and_missing_ones_are_numbered() {
        // `id` as in Ollama's api.ToolCall (api/types.go).
        let chunk: ChatChunk = serde_json::from_value(serde_json::json!({
            "message": {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call_abc", "function": {"index": 0, "name": "a", "arguments": {}}},
                {"function": {"index": 1, "name": "b", "arguments": "{\"x\": 1}"}},
                {"function": {"index": 2, "name": "c", "arguments": "not json"}}
            ]},
            "done": true
        }))
        .unwrap();
        let mut answer = Answer::default();
        let (_, calls) = answer.push(chunk);
        let ids: Vec<_> = calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["call_abc", "call_1", "call_2"]);
        assert_eq!(calls[1].arguments, serde_json::json!({"x": 1}));
        assert_eq!(calls[2].arguments, serde_json::json!("not json"));
    }

    #[test]
    fn thinking_is_ignored() {
        // `thinking` as in Ollama's api.Message (api/types.go), streamed before the content.
        let mut answer = Answer::default();
        let thinking: ChatChunk = serde_json::from_value(serde_json::json!({
            "model": "qwen3",
            "created_at": "2025-07-07T20:22:19.101Z",
            "message": {"role": "assistant", "content": "", "thinking": "17 × 23 is…"},
            "done": false
        }))
        .unwrap();
        assert_eq!(answer.push(thinking), (None, Vec::new()));
        let content: ChatChunk = serde_json::from_value(serde_json::json!({
            "model": "qwen3",
            "created_at": "2025-07-07T20:22:19.121Z",
            "message": {"role": "assistant", "content": "391"},
            "done": true
        }))
        .unwrap();
        assert_eq!(answer.push(content), (Some("391".to_string()), Vec::new()));
        assert_eq!(answer.finish().message.content, "391");
    }

    #[test]
    fn arguments_sent_back_are_always_objects() {
        let object = serde_json::json!({"a": 1});
        assert_eq!(*arguments_object(&object), object);
        assert_eq!(*arguments_object(&serde_json::json!("{\"a\": 1}")), object);
        assert_eq!(
            *arguments_object(&serde_json::json!("oops")),
            serde_json::json!({})
        );
    }

    #[test]
    fn context_length_falls_back_to_any_architecture() {
        let info = serde_json::json!({"qwen3.context_length": 40960});
        let info = info.as_object().unwrap();
        assert_eq!(context_length(info), Some(40960));
    }
}
