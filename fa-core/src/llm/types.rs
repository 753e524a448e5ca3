//! The normalized types every backend speaks.

use serde::{Deserialize, Serialize};

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    /// Instructions for the model.
    System,
    /// The member.
    User,
    /// The model.
    Assistant,
    /// The result of a tool call.
    Tool,
}

/// A request by the model to run a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ToolCall {
    /// The provider's id for the call (generated when the provider gives none), echoed in the
    /// tool's result message.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, as a JSON value (normally an object). Providers that send arguments as a
    /// JSON string have it parsed; a string that is not JSON is kept as a JSON string, so the
    /// assistant can report the malformed arguments back to the model.
    pub arguments: serde_json::Value,
}

/// One message of a conversation with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// Its text (may be empty for an assistant message that only calls tools).
    pub content: String,
    /// Tools the model asked to run (assistant messages only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool result: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For a tool result: the tool's name (Ollama matches results by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
}

impl ChatMessage {
    fn new(role: ChatRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            tool_name: None,
        }
    }

    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(ChatRole::System, content)
    }

    /// A message from the member.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(ChatRole::User, content)
    }

    /// A message from the model.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(ChatRole::Assistant, content)
    }

    /// A message from the model that calls tools.
    pub fn assistant_calls(content: impl Into<String>, calls: Vec<ToolCall>) -> Self {
        Self {
            tool_calls: calls,
            ..Self::new(ChatRole::Assistant, content)
        }
    }

    /// The result of a tool call.
    pub fn tool_result(call: &ToolCall, content: impl Into<String>) -> Self {
        Self {
            tool_call_id: Some(call.id.clone()),
            tool_name: Some(call.name.clone()),
            ..Self::new(ChatRole::Tool, content)
        }
    }
}

/// A tool the model may call: its name, what it does, and a JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ToolSpec {
    /// The name the model calls it by (`[a-z0-9_]`).
    pub name: String,
    /// What it does and when to use it, for the model.
    pub description: String,
    /// A JSON Schema (`{"type": "object", "properties": …, "required": […]}`).
    pub parameters: serde_json::Value,
}

/// Sampling and context options of one request. Unset fields take the backend's defaults.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct ChatOptions {
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// At most this many tokens in the answer.
    pub max_tokens: Option<u32>,
}

impl ChatOptions {
    /// Sets the temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Caps the answer's length.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }
}

/// One chat request.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct ChatRequest {
    /// The conversation so far, oldest first.
    pub messages: Vec<ChatMessage>,
    /// The tools the model may call.
    pub tools: Vec<ToolSpec>,
    /// Sampling options.
    pub options: ChatOptions,
}

impl ChatRequest {
    /// A request with these messages, no tools and default options.
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        Self {
            messages,
            ..Self::default()
        }
    }

    /// Offers these tools.
    pub fn with_tools(mut self, tools: Vec<ToolSpec>) -> Self {
        self.tools = tools;
        self
    }

    /// Sets the options.
    pub fn with_options(mut self, options: ChatOptions) -> Self {
        self.options = options;
        self
    }
}

/// Token counts the provider reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Usage {
    /// Tokens of the prompt.
    pub prompt_tokens: u32,
    /// Tokens of the answer.
    pub completion_tokens: u32,
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct ChatResponse {
    /// The assistant message: text, tool calls, or both.
    pub message: ChatMessage,
    /// Token counts, when the provider reports them.
    pub usage: Option<Usage>,
}

impl ChatResponse {
    /// A response carrying `message`.
    pub fn new(message: ChatMessage) -> Self {
        Self {
            message,
            usage: None,
        }
    }

    /// Attaches token counts.
    pub fn with_usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }
}

/// A piece of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum StreamEvent {
    /// More text of the answer.
    TextDelta(String),
    /// A complete tool call (sent once its arguments are complete).
    ToolCall(ToolCall),
}

/// What a provider says about a model.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct ModelInfo {
    /// The model's name.
    pub name: String,
    /// Whether it can call tools.
    pub supports_tools: bool,
    /// The longest context the model was trained for, if the provider says.
    pub context_length: Option<u32>,
}

impl ModelInfo {
    /// Info about `name`.
    pub fn new(name: impl Into<String>, supports_tools: bool, context_length: Option<u32>) -> Self {
        Self {
            name: name.into(),
            supports_tools,
            context_length,
        }
    }
}
