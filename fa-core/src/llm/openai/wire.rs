//! The Chat Completions wire format: request bodies out, completions and chunks in.
//!
//! Shapes follow OpenAI's API reference (openai/openai-openapi: `CreateChatCompletionRequest`,
//! `CreateChatCompletionResponse`, `CreateChatCompletionStreamResponse`,
//! `ChatCompletionMessageToolCallChunk`). Reading is lenient where servers differ: `content` may
//! be null, a string or an array of text parts; tool-call `arguments` may be a JSON string (the
//! standard) or an object; ids may be missing.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::llm::{
    ChatMessage, ChatRequest, ChatResponse, ChatRole, StreamEvent, ToolCall, ToolSpec, Usage,
};

/// The JSON body of a `POST …/chat/completions`.
pub(super) fn request_body(
    model: &str,
    request: &ChatRequest,
    stream: bool,
    include_usage: bool,
) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert(
        "messages".into(),
        Value::Array(request.messages.iter().map(message_json).collect()),
    );
    body.insert("stream".into(), json!(stream));
    if stream && include_usage {
        body.insert("stream_options".into(), json!({ "include_usage": true }));
    }
    if !request.tools.is_empty() {
        body.insert(
            "tools".into(),
            Value::Array(request.tools.iter().map(tool_json).collect()),
        );
    }
    if let Some(temperature) = request.options.temperature {
        // Through its decimal text, so 0.7f32 goes out as 0.7 rather than 0.699999988079071.
        let temperature = temperature
            .to_string()
            .parse::<f64>()
            .unwrap_or(f64::from(temperature));
        if let Some(number) = serde_json::Number::from_f64(temperature) {
            body.insert("temperature".into(), Value::Number(number));
        }
    }
    if let Some(max_tokens) = request.options.max_tokens {
        body.insert("max_tokens".into(), json!(max_tokens));
    }
    Value::Object(body)
}

fn message_json(message: &ChatMessage) -> Value {
    match message.role {
        ChatRole::System => json!({ "role": "system", "content": message.content }),
        ChatRole::User => json!({ "role": "user", "content": message.content }),
        ChatRole::Assistant if message.tool_calls.is_empty() => {
            json!({ "role": "assistant", "content": message.content })
        }
        ChatRole::Assistant => {
            let calls: Vec<Value> = message
                .tool_calls
                .iter()
                .map(|call| {
                    json!({
                        "id": call.id,
                        "type": "function",
                        "function": { "name": call.name, "arguments": arguments_text(&call.arguments) },
                    })
                })
                .collect();
            let content = if message.content.is_empty() {
                Value::Null
            } else {
                json!(message.content)
            };
            json!({ "role": "assistant", "content": content, "tool_calls": calls })
        }
        ChatRole::Tool => json!({
            "role": "tool",
            "tool_call_id": message.tool_call_id.as_deref().unwrap_or_default(),
            "content": message.content,
        }),
    }
}

/// Arguments as the API carries them: a JSON text. Arguments kept as a string because they were
/// not JSON go back exactly as the model wrote them.
fn arguments_text(arguments: &Value) -> String {
    match arguments {
        Value::String(raw) => raw.clone(),
        other => other.to_string(),
    }
}

fn tool_json(tool: &ToolSpec) -> Value {
    json!({
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    })
}

/// A completion, or one chunk of a streamed one.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Completion {
    #[serde(default)]
    pub(super) choices: Option<Vec<Choice>>,
    #[serde(default)]
    pub(super) usage: Option<WireUsage>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Choice {
    /// Set in a completion.
    #[serde(default)]
    message: Option<WireMessage>,
    /// Set in a chunk.
    #[serde(default)]
    delta: Option<WireMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Debug, Default, Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Debug, Default, Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

impl WireUsage {
    fn to_usage(&self) -> Usage {
        let clamp = |n: Option<u64>| u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX);
        Usage {
            prompt_tokens: clamp(self.prompt_tokens),
            completion_tokens: clamp(self.completion_tokens),
        }
    }
}

/// Message text: a string, null, or an array of `{"type": "text", "text": …}` parts.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| match part {
                Value::String(text) => Some(text.as_str()),
                part => part.get("text").and_then(Value::as_str),
            })
            .collect(),
        _ => String::new(),
    }
}

/// Arguments as a JSON value: a JSON text is parsed (empty means no arguments), an object is
/// taken as it is, and text that is not JSON is kept as a JSON string.
fn parse_arguments(arguments: Option<Value>) -> Value {
    match arguments {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::String(raw)) if raw.trim().is_empty() => Value::Object(Map::new()),
        Some(Value::String(raw)) => serde_json::from_str(&raw).unwrap_or(Value::String(raw)),
        Some(other) => other,
    }
}

fn generated_id(position: usize) -> String {
    format!("call_{position}")
}

impl Completion {
    /// The assistant's answer, or `None` when the completion has no choice.
    pub(super) fn into_response(self) -> Option<ChatResponse> {
        let choice = self.choices?.into_iter().next()?;
        let message = choice.message.or(choice.delta).unwrap_or_default();
        let calls = message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(position, call)| {
                let function = call.function.unwrap_or_default();
                let Some(name) = function.name.filter(|name| !name.is_empty()) else {
                    tracing::warn!(position, "dropping a tool call without a function name");
                    return None;
                };
                Some(ToolCall {
                    id: call
                        .id
                        .filter(|id| !id.is_empty())
                        .unwrap_or_else(|| generated_id(position)),
                    name,
                    arguments: parse_arguments(function.arguments),
                })
            })
            .collect();
        let mut response = ChatResponse::new(ChatMessage::assistant_calls(
            content_text(message.content.as_ref()),
            calls,
        ));
        if let Some(usage) = self.usage {
            response = response.with_usage(usage.to_usage());
        }
        Some(response)
    }
}

/// A tool call whose fragments are still arriving.
#[derive(Debug, Default)]
struct PartialCall {
    id: Option<String>,
    name: String,
    arguments: String,
    /// Arguments a server sent whole, as an object.
    whole_arguments: Option<Value>,
    sent: bool,
}

impl PartialCall {
    fn to_call(&self, position: usize) -> Option<ToolCall> {
        if self.name.is_empty() {
            return None;
        }
        let arguments = match &self.whole_arguments {
            Some(whole) if self.arguments.is_empty() => whole.clone(),
            _ => parse_arguments(Some(Value::String(self.arguments.clone()))),
        };
        Some(ToolCall {
            id: self.id.clone().unwrap_or_else(|| generated_id(position)),
            name: self.name.clone(),
            arguments,
        })
    }
}

/// Assembles a streamed completion from its chunks.
#[derive(Debug, Default)]
pub(super) struct StreamState {
    content: String,
    calls: Vec<PartialCall>,
    /// Which entry of `calls` a chunk's tool-call `index` currently points at.
    slot_by_index: HashMap<usize, usize>,
    usage: Option<Usage>,
    /// A `finish_reason` arrived.
    pub(super) finished: bool,
}

impl StreamState {
    /// Takes in one chunk; returns the events it completes (text, then any tool calls a
    /// `finish_reason` closed).
    pub(super) fn apply(&mut self, chunk: Completion) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        if let Some(usage) = &chunk.usage {
            self.usage = Some(usage.to_usage());
        }
        let Some(choice) = chunk.choices.and_then(|choices| choices.into_iter().next()) else {
            return events; // The usage chunk has no choice.
        };
        let delta = choice.delta.or(choice.message).unwrap_or_default();
        let text = content_text(delta.content.as_ref());
        if !text.is_empty() {
            self.content.push_str(&text);
            events.push(StreamEvent::TextDelta(text));
        }
        for (position, fragment) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
            self.add_fragment(position, fragment);
        }
        if choice.finish_reason.is_some() {
            self.finished = true;
            events.extend(self.take_calls());
        }
        events
    }

    fn add_fragment(&mut self, position: usize, fragment: WireToolCall) {
        let index = fragment.index.unwrap_or(position);
        let id = fragment.id.filter(|id| !id.is_empty());
        let slot = match self.slot_by_index.get(&index) {
            // A different id at a known index starts another call: some servers (Ollama) reuse
            // index 0 for every call of a parallel batch.
            Some(&slot) if !matches!((&self.calls[slot].id, &id), (Some(old), Some(new)) if old != new) => {
                slot
            }
            _ => {
                self.calls.push(PartialCall::default());
                let slot = self.calls.len() - 1;
                self.slot_by_index.insert(index, slot);
                slot
            }
        };
        let call = &mut self.calls[slot];
        if call.id.is_none() {
            call.id = id;
        }
        let function = fragment.function.unwrap_or_default();
        if let Some(name) = function.name.filter(|name| !name.is_empty()) {
            // The name normally comes whole in the first fragment; a server that repeats it is
            // not taken to mean a longer name.
            if call.name.is_empty() {
                call.name = name;
            } else if call.name != name {
                call.name.push_str(&name);
            }
        }
        match function.arguments {
            Some(Value::String(piece)) => call.arguments.push_str(&piece),
            Some(Value::Null) | None => {}
            Some(whole) => call.whole_arguments = Some(whole),
        }
    }

    /// The tool calls not yet sent, as events, in the order they began.
    pub(super) fn take_calls(&mut self) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        for (position, call) in self.calls.iter_mut().enumerate() {
            if call.sent {
                continue;
            }
            call.sent = true;
            match call.to_call(position) {
                Some(complete) => events.push(StreamEvent::ToolCall(complete)),
                None => tracing::warn!(position, "dropping a streamed tool call without a name"),
            }
        }
        events
    }

    /// The assembled answer.
    pub(super) fn into_response(self) -> ChatResponse {
        let calls = self
            .calls
            .iter()
            .enumerate()
            .filter_map(|(position, call)| call.to_call(position))
            .collect();
        let response = ChatResponse::new(ChatMessage::assistant_calls(self.content, calls));
        match self.usage {
            Some(usage) => response.with_usage(usage),
            None => response,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(text: &str) -> Completion {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn temperature_goes_out_as_written() {
        let request = ChatRequest::new(vec![ChatMessage::user("hi")])
            .with_options(crate::llm::ChatOptions::default().temperature(0.7));
        let body = request_body("m", &request, false, false);
        assert_eq!(body["temperature"], json!(0.7));
        assert!(body.get("stream_options").is_none());
    }

    #[test]
    fn arguments_of_every_shape() {
        assert_eq!(parse_arguments(Some(json!("{\"a\":1}"))), json!({"a": 1}));
        assert_eq!(parse_arguments(Some(json!({"a": 1}))), json!({"a": 1}));
        assert_eq!(parse_arguments(Some(json!(""))), json!({}));
        assert_eq!(parse_arguments(None), json!({}));
        assert_eq!(parse_arguments(Some(json!("{\"a\":"))), json!("{\"a\":"));
    }

    #[test]
    fn content_as_text_parts() {
        let parts = json!([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]);
        assert_eq!(content_text(Some(&parts)), "ab");
        assert_eq!(content_text(Some(&Value::Null)), "");
    }

    #[test]
    fn ollama_style_parallel_calls_at_one_index_stay_apart() {
        let mut state = StreamState::default();
        state.apply(chunk(
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"one","arguments":"{}"}}]},"finish_reason":null}]}"#,
        ));
        let events = state.apply(chunk(
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_b","type":"function","function":{"name":"two","arguments":"{\"x\":1}"}}]},"finish_reason":"tool_calls"}]}"#,
        ));
        assert_eq!(events.len(), 2);
        let response = state.into_response();
        let names: Vec<&str> = response
            .message
            .tool_calls
            .iter()
            .map(|call| call.name.as_str())
            .collect();
        assert_eq!(names, ["one", "two"]);
        assert_eq!(response.message.tool_calls[1].arguments, json!({"x": 1}));
    }

    #[test]
    fn calls_are_sent_once() {
        let mut state = StreamState::default();
        state.apply(chunk(
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#,
        ));
        assert!(state.take_calls().is_empty());
        assert_eq!(state.into_response().message.tool_calls[0].id, "call_0");
    }
}
