//! `Model`, `Assistant` and `ReplyStream`: language models, turns for a member, streaming, and
//! tools written in Python.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fa_core::assistant::tools::builtin_toolbox;
use fa_core::assistant::{
    Assistant as _, AssistantOptions, ModelAssistant, Reply, Tool, ToolContext, ToolError, Toolbox,
    TurnInput,
};
use fa_core::llm::{
    DynModel, ModelErrorKind, OllamaModel, OllamaOptions, OpenAiCompatibleModel, OpenAiOptions,
    ScriptedModel, ScriptedReply, ToolCall,
};
use fa_core::{Clock, DynStore, PendingAction};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;

use crate::callback::PyCallable;
use crate::convert::{Json, id, instant, json_value, scope, seconds, spawn};
use crate::errors::{model_to_py, to_py};
use crate::scheduler::Scheduler;
use crate::store::Store;

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
            to_py(fa_core::Error::InvalidInput {
                field: "replies",
                reason: format!(
                    "{e}; each reply is {{\"text\": …}}, {{\"calls\": [{{\"name\": …, \"arguments\": {{…}}}}]}} or {{\"error\": \"unreachable\"}}"
                ),
            })
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
                        return Err(to_py(fa_core::Error::InvalidInput {
                            field: "replies",
                            reason: format!("unknown error kind {other:?}"),
                        }));
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
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let info = model.probe().await.map_err(model_to_py)?;
            Ok(Json(json!({
                "name": info.name,
                "supports_tools": info.supports_tools,
                "context_length": info.context_length,
            })))
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
        self.scripted.as_ref().ok_or_else(|| {
            to_py(fa_core::Error::InvalidInput {
                field: "model",
                reason: "only a scripted model has a script".to_owned(),
            })
        })
    }
}

/// Options a model refuses before anything is sent (a base URL that is not http(s), an empty
/// name) are the caller's input to fix.
fn refused_options(error: fa_core::llm::ModelError) -> PyErr {
    to_py(fa_core::Error::InvalidInput {
        field: "model options",
        reason: error.to_string(),
    })
}

/// A tool whose call is a Python callable.
struct PyTool {
    name: String,
    description: String,
    parameters: serde_json::Value,
    changes_state: bool,
    call: PyCallable,
    describe: Option<PyCallable>,
}

fn tool_error(e: crate::callback::CallError) -> ToolError {
    if e.invalid {
        ToolError::InvalidArguments(e.message)
    } else {
        ToolError::Failed(e.message)
    }
}

fn call_argument(ctx: &ToolContext, arguments: &serde_json::Value) -> serde_json::Value {
    json!({
        "arguments": arguments,
        "member": ctx.member(),
        "now": ctx.now(),
    })
}

#[async_trait]
impl Tool for PyTool {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn parameters(&self) -> serde_json::Value {
        self.parameters.clone()
    }

    fn changes_state(&self) -> bool {
        self.changes_state
    }

    async fn describe(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<String, ToolError> {
        match &self.describe {
            Some(describe) => match describe.call(call_argument(ctx, arguments)).await {
                Ok(serde_json::Value::String(text)) => Ok(text),
                Ok(other) => Ok(other.to_string()),
                Err(e) => Err(tool_error(e)),
            },
            None => Ok(format!("{} {}", self.name, arguments)),
        }
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        match self.call.call(call_argument(ctx, &arguments)).await {
            Ok(serde_json::Value::String(text)) => Ok(text),
            Ok(other) => Ok(other.to_string()),
            Err(e) => Err(tool_error(e)),
        }
    }
}

/// The assistant's answer, as Python sees it.
#[derive(Serialize)]
struct ReplyOut {
    text: String,
    pending: Vec<PendingAction>,
    offline: bool,
    tool_calls: u32,
    model_requests: u32,
}

impl From<Reply> for ReplyOut {
    fn from(reply: Reply) -> Self {
        Self {
            text: reply.text,
            pending: reply.pending,
            offline: reply.offline,
            tool_calls: reply.tool_calls,
            model_requests: reply.model_requests,
        }
    }
}

struct Parts {
    store: DynStore,
    scheduler: Arc<dyn fa_core::scheduler::Scheduler>,
    clock: Arc<dyn Clock>,
    model: Option<DynModel>,
    options: AssistantOptions,
}

struct Built {
    tools: Toolbox,
    assistant: Arc<ModelAssistant>,
}

/// Answers members' messages with a model, tools and their memory; commands only without a
/// model (or while it is offline).
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct Assistant {
    parts: Parts,
    built: Mutex<Built>,
}

impl Assistant {
    fn build(parts: &Parts, tools: Toolbox) -> Arc<ModelAssistant> {
        let mut builder = ModelAssistant::builder(parts.store.clone(), parts.scheduler.clone())
            .tools(tools)
            .clock(parts.clock.clone())
            .options(parts.options.clone());
        if let Some(model) = &parts.model {
            builder = builder.model(model.clone());
        }
        Arc::new(builder.build())
    }

    fn assistant(&self) -> Arc<ModelAssistant> {
        self.built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .assistant
            .clone()
    }

    /// The tools as they stand, for the Telegram bot.
    pub(crate) fn toolbox(&self) -> Toolbox {
        self.built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .tools
            .clone()
    }

    /// The member's turn input, in their conversation on `channel`/`chat_id`.
    fn turn(
        &self,
        household: &str,
        member: &str,
        text: String,
        conversation: (String, String),
        profile: Option<String>,
    ) -> PyResult<impl std::future::Future<Output = fa_core::Result<TurnInput>> + use<>> {
        let (store, scope) = (self.parts.store.clone(), scope(household, member)?);
        Ok(async move {
            let member = store
                .member(scope)
                .await?
                .ok_or(fa_core::Error::NotFound { what: "member" })?;
            let (channel, chat_id) = conversation;
            let chat = store.conversation(scope, &channel, &chat_id).await?;
            let mut input = TurnInput::new(member, chat.id, text);
            if let Some(profile) = profile {
                input = input.with_profile(profile);
            }
            Ok(input)
        })
    }
}

#[pymethods]
impl Assistant {
    #[new]
    #[pyo3(signature = (store, scheduler = None, model = None, builtin_tools = true, max_steps = None, tool_timeout = None, system_prompt = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        store: &Bound<'_, Store>,
        scheduler: Option<&Bound<'_, Scheduler>>,
        model: Option<&Bound<'_, Model>>,
        builtin_tools: bool,
        max_steps: Option<u32>,
        tool_timeout: Option<f64>,
        system_prompt: Option<String>,
    ) -> PyResult<Self> {
        let store = store.get();
        let scheduler: Arc<dyn fa_core::scheduler::Scheduler> = match scheduler {
            Some(scheduler) => scheduler.get().current(),
            None => Arc::new(
                fa_core::scheduler::StoreScheduler::new(
                    store.store.clone(),
                    fa_core::scheduler::JobRegistry::with_builtins(),
                )
                .with_clock(store.clock.clone()),
            ),
        };
        let mut options = AssistantOptions::default();
        if let Some(steps) = max_steps {
            options.max_steps = steps;
        }
        if let Some(timeout) = tool_timeout {
            options.tool_timeout = seconds("tool_timeout", timeout)?;
        }
        if let Some(prompt) = system_prompt {
            options.system_prompt = prompt;
        }
        let parts = Parts {
            store: store.store.clone(),
            scheduler,
            clock: store.clock.clone(),
            model: model.map(|m| m.get().model.clone()),
            options,
        };
        let tools = if builtin_tools {
            builtin_toolbox()
        } else {
            Toolbox::new()
        };
        let assistant = Self::build(&parts, tools.clone());
        Ok(Self {
            parts,
            built: Mutex::new(Built { tools, assistant }),
        })
    }

    /// Adds (or replaces) a tool whose calls run `call({"arguments", "member", "now"})`.
    #[pyo3(signature = (name, description, parameters, call, changes_state = false, describe = None))]
    fn add_tool(
        &self,
        name: String,
        description: String,
        parameters: &Bound<'_, PyAny>,
        call: Py<PyAny>,
        changes_state: bool,
        describe: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let tool = PyTool {
            name,
            description,
            parameters: json_value("parameters", parameters)?,
            changes_state,
            call: PyCallable::new(call),
            describe: describe.map(PyCallable::new),
        };
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        let mut tools = built.tools.clone();
        tools.add(tool).map_err(to_py)?;
        built.assistant = Self::build(&self.parts, tools.clone());
        built.tools = tools;
        Ok(())
    }

    /// The tools' names, sorted.
    fn tool_names(&self) -> Vec<String> {
        self.toolbox().names().map(str::to_owned).collect()
    }

    /// Answers one message from a member; returns the reply as a dict.
    #[pyo3(signature = (household, member, text, channel = "python".to_owned(), chat_id = "main".to_owned(), profile = None))]
    #[allow(clippy::too_many_arguments)]
    fn ask<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        text: String,
        channel: String,
        chat_id: String,
        profile: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let assistant = self.assistant();
        let turn = self.turn(household, member, text, (channel, chat_id), profile)?;
        spawn(py, async move {
            let reply = assistant.respond(turn.await?, None).await?;
            Ok(ReplyOut::from(reply))
        })
    }

    /// `ask`, blocking the calling thread (the GIL is released while it waits).
    #[pyo3(signature = (household, member, text, channel = "python".to_owned(), chat_id = "main".to_owned(), profile = None))]
    #[allow(clippy::too_many_arguments)]
    fn ask_sync(
        &self,
        py: Python<'_>,
        household: &str,
        member: &str,
        text: String,
        channel: String,
        chat_id: String,
        profile: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let assistant = self.assistant();
        let turn = self.turn(household, member, text, (channel, chat_id), profile)?;
        let reply = py
            .detach(|| {
                pyo3_async_runtimes::tokio::get_runtime()
                    .block_on(async move { assistant.respond(turn.await?, None).await })
            })
            .map_err(to_py)?;
        Ok(Json(ReplyOut::from(reply)).into_pyobject(py)?.unbind())
    }

    /// Answers one message, streaming the text as the model writes it.
    #[pyo3(signature = (household, member, text, channel = "python".to_owned(), chat_id = "main".to_owned(), profile = None))]
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &self,
        household: &str,
        member: &str,
        text: String,
        channel: String,
        chat_id: String,
        profile: Option<String>,
    ) -> PyResult<ReplyStream> {
        let assistant = self.assistant();
        let turn = self.turn(household, member, text, (channel, chat_id), profile)?;
        let (tx, rx) = mpsc::channel(64);
        let task = pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
            let reply = assistant.respond(turn.await?, Some(tx)).await?;
            Ok(ReplyOut::from(reply))
        });
        Ok(ReplyStream {
            deltas: Arc::new(tokio::sync::Mutex::new(rx)),
            task: Arc::new(tokio::sync::Mutex::new(Some(task))),
        })
    }

    /// Confirms (`confirm=True`) or cancels a pending action; says what happened.
    fn resolve<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        action: &str,
        confirm: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (assistant, store) = (self.assistant(), self.parts.store.clone());
        let (scope, action) = (scope(household, member)?, id(action)?);
        spawn(py, async move {
            let member = store
                .member(scope)
                .await?
                .ok_or(fa_core::Error::NotFound { what: "member" })?;
            Ok(ReplyOut::from(
                assistant.resolve(&member, action, confirm).await?,
            ))
        })
    }
}

type TurnTask = tokio::task::JoinHandle<fa_core::Result<ReplyOut>>;

/// The text of a reply as the model writes it: `async for delta in stream`, then `await
/// stream.reply()` for the whole reply. Dropping or closing it stops the turn.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct ReplyStream {
    deltas: Arc<tokio::sync::Mutex<mpsc::Receiver<String>>>,
    task: Arc<tokio::sync::Mutex<Option<TurnTask>>>,
}

#[pymethods]
impl ReplyStream {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let deltas = self.deltas.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            match deltas.lock().await.recv().await {
                Some(delta) => Ok(delta),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }

    /// The whole reply, once the turn has finished.
    fn reply<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let task = self.task.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let Some(handle) = task.lock().await.take() else {
                return Err(to_py(fa_core::Error::WrongState {
                    what: "reply stream",
                    reason: "has already given its reply".to_owned(),
                }));
            };
            match handle.await {
                Ok(reply) => reply.map(Json).map_err(to_py),
                Err(e) => Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "the turn did not finish: {e}"
                ))),
            }
        })
    }

    /// Stops the turn if it is still running.
    fn close(&self) {
        if let Ok(task) = self.task.try_lock()
            && let Some(handle) = task.as_ref()
        {
            handle.abort();
        }
    }
}

impl Drop for ReplyStream {
    fn drop(&mut self) {
        if let Ok(task) = self.task.try_lock()
            && let Some(handle) = task.as_ref()
        {
            handle.abort();
        }
    }
}

/// Reads a date phrase ("tomorrow at 9", "every Monday at 8am") at `now` in `timezone`.
#[pyfunction]
pub(crate) fn parse_when(phrase: &str, now: &str, timezone: &str) -> PyResult<Py<PyAny>> {
    let now = instant("now", now)?;
    let tz = fa_core::parse_timezone(timezone).map_err(to_py)?;
    let when = fa_core::dates::parse_when(phrase, now, tz).map_err(|e| {
        to_py(fa_core::Error::InvalidInput {
            field: "phrase",
            reason: e.to_string(),
        })
    })?;
    let value = match when {
        fa_core::dates::When::Once(at) => json!({"once": at}),
        fa_core::dates::When::Recurring { rule, start, first } => {
            json!({"rule": rule, "start": start, "first": first})
        }
    };
    Python::attach(|py| Ok(Json(value).into_pyobject(py)?.unbind()))
}
