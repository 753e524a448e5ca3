//! `Model`: language models — Ollama, an OpenAI-compatible server, or a scripted one for tests —
//! and direct chat with them.

use std::sync::Arc;

use fa_core::llm::{
    ChatMessage, ChatRequest, DynModel, ModelErrorKind, OllamaModel, OllamaOptions,
    OpenAiCompatibleModel, OpenAiOptions, ScriptedModel, ScriptedReply, ToolCall, ToolSpec,
};
use pyo3::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::convert::{Json, json_value, seconds, typed};
use crate::errors::{invalid, model_to_py};

/// A language model: Ollama, an OpenAI-compatible server, or a scripted one for tests.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct Model {
    pub(crate) model: DynModel,
    scripted: Option<Arc<ScriptedModel>>,
}

/// One scripted answer as Python writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptLine {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    calls: Vec<ScriptCall>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptCall {
    name: String,
    #[serde(default)]
    arguments: serde_json::Value,
}

fn script(replies: &Bound<'_, PyAny>) -> PyResult<Vec<ScriptedReply>> {
    let lines: Vec<ScriptLine> = serde_json::from_value(json_value("replies", replies)?)
        .map_err(|e| {
            invalid("replies", format!(
                    "{e}; each reply is {{\"text\": …}}, {{\"calls\": [{{\"name\": …, \"arguments\": {{…}}}}]}} or {{\"error\": \"unreachable\"}}"
                ))
        })?;
    lines
        .into_iter()
        .map(|line| {
            if let Some(kind) = line.error {
                let kind = match kind.as_str() {
                    "unreachable" => ModelErrorKind::Unreachable,
                    "timeout" => ModelErrorKind::Timeout,
                    "rate_limited" => ModelErrorKind::RateLimited,
                    "server_error" => ModelErrorKind::ServerError,
                    "bad_response" => ModelErrorKind::BadResponse,
                    other => {
                        return Err(invalid("replies", format!("unknown error kind {other:?}")));
                    }
                };
                return Ok(ScriptedReply::Error(kind));
            }
            if line.calls.is_empty() {
                return Ok(ScriptedReply::text(line.text.unwrap_or_default()));
            }
            let calls = line
                .calls
                .into_iter()
                .enumerate()
                .map(|(i, call)| ToolCall {
                    id: format!("call_{i}"),
                    name: call.name,
                    arguments: call.arguments,
                })
                .collect();
            Ok(ScriptedReply::Calls(calls))
        })
        .collect()
}

#[pymethods]
impl Model {
    /// A model served by Ollama (`base_url` defaults to `$OLLAMA_HOST` or localhost:11434).
    #[staticmethod]
    #[pyo3(signature = (model, base_url = None, num_ctx = None, timeout = None))]
    fn ollama(
        model: String,
        base_url: Option<String>,
        num_ctx: Option<u32>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let mut options = OllamaOptions::new(model);
        if let Some(base_url) = base_url {
            options = options.base_url(base_url);
        }
        if let Some(num_ctx) = num_ctx {
            options = options.num_ctx(num_ctx);
        }
        if let Some(timeout) = timeout {
            options = options.request_timeout(seconds("timeout", timeout)?);
        }
        let model = OllamaModel::new(options).map_err(refused_options)?;
        Ok(Self {
            model: Arc::new(model),
            scripted: None,
        })
    }

    /// A model on an OpenAI-compatible server (llama.cpp, vLLM, LM Studio, OpenAI).
    #[staticmethod]
    #[pyo3(signature = (model, base_url, api_key = None, context_window = None, timeout = None))]
    fn openai(
        model: String,
        base_url: String,
        api_key: Option<String>,
        context_window: Option<u32>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let mut options = OpenAiOptions::new(base_url, model);
        if let Some(key) = api_key {
            options = options.api_key(key);
        }
        if let Some(tokens) = context_window {
            options = options.context_window(tokens);
        }
        if let Some(timeout) = timeout {
            options = options.request_timeout(seconds("timeout", timeout)?);
        }
        let model = OpenAiCompatibleModel::new(options).map_err(refused_options)?;
        Ok(Self {
            model: Arc::new(model),
            scripted: None,
        })
    }

    /// A model answering from a script, for tests and benchmarks; `cycle` repeats it forever.
    #[staticmethod]
    #[pyo3(signature = (replies, cycle = false))]
    fn scripted(replies: &Bound<'_, PyAny>, cycle: bool) -> PyResult<Self> {
        let replies = script(replies)?;
        let model = Arc::new(if cycle {
            ScriptedModel::cycle(replies)
        } else {
            ScriptedModel::new(replies)
        });
        Ok(Self {
            model: model.clone(),
            scripted: Some(model),
        })
    }

    /// The model's name.
    #[getter]
    fn name(&self) -> String {
        self.model.name().to_owned()
    }

    /// Asks the server whether the model exists and can call tools.
    fn probe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let model = self.model.clone();
        crate::bridge::future(py, async move {
            let info = model.probe().await.map_err(model_to_py)?;
            Ok(Json(json!({
                "name": info.name,
                "supports_tools": info.supports_tools,
                "context_length": info.context_length,
            })))
        })
    }

    /// One chat completion without the assistant: `messages` as `{"role", "content"}` dicts
    /// (`system`, `user`, `assistant`), `tools` as `{"name", "description", "parameters"}`.
    /// Returns the model's message: its text and any tool calls.
    #[pyo3(signature = (messages, tools = None))]
    fn chat<'py>(
        &self,
        py: Python<'py>,
        messages: &Bound<'py, PyAny>,
        tools: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let messages: Vec<ChatMessage> = typed("messages", messages)?;
        let tools: Vec<ToolSpec> = match tools {
            Some(tools) => typed("tools", tools)?,
            None => Vec::new(),
        };
        let model = self.model.clone();
        crate::bridge::future(py, async move {
            let request = ChatRequest::new(messages).with_tools(tools);
            let response = model.chat(request).await.map_err(model_to_py)?;
            Ok(Json(response.message))
        })
    }

    /// Appends replies to a scripted model's script.
    fn push(&self, replies: &Bound<'_, PyAny>) -> PyResult<()> {
        let model = self.script_model()?;
        model.push(script(replies)?);
        Ok(())
    }

    /// The requests a scripted model received: messages and the names of the tools offered.
    fn requests(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let requests: Vec<_> = self
            .script_model()?
            .requests()
            .into_iter()
            .map(|r| {
                json!({
                    "messages": r.messages,
                    "tools": r.tools.iter().map(|t| &t.name).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(Json(requests).into_pyobject(py)?.unbind())
    }
}

impl Model {
    fn script_model(&self) -> PyResult<&Arc<ScriptedModel>> {
        self.scripted
            .as_ref()
            .ok_or_else(|| invalid("model", "only a scripted model has a script".to_owned()))
    }
}

/// Options a model refuses before anything is sent (a base URL that is not http(s), an empty
/// name) are the caller's input to fix.
fn refused_options(error: fa_core::llm::ModelError) -> PyErr {
    invalid("model options", error.to_string())
}
