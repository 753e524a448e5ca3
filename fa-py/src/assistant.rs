//! `Model`, `Assistant` and `ReplyStream`: language models, turns for a member, streaming, and
//! tools written in Python.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fa_core::assistant::tools::builtin_toolbox;
use fa_core::assistant::{
    Assistant as _, AssistantOptions, ModelAssistant, Reply, Tool, ToolContext, ToolError, Toolbox,
    TurnInput,
};
use fa_core::llm::DynModel;
use fa_core::{Clock, ConversationId, DynStore, Member, PendingAction};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::callback::PyCallable;
use crate::convert::{Json, id, json_value, scope, seconds, spawn};
use crate::errors::{invalid, to_py};
use crate::model::Model;
use crate::scheduler::Scheduler;
use crate::store::Store;

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
    /// Models that profiles name.
    named: Vec<(String, DynModel)>,
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
        for (name, model) in &parts.named {
            builder = builder.named_model(name.clone(), model.clone());
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
    /// The turn's input: `member` as the caller has it (as `TurnInput` takes it in Rust), in
    /// `conversation`, or else their conversation on `channel`/`chat_id`.
    fn turn(
        &self,
        member: &Bound<'_, PyAny>,
        text: String,
        conversation: Option<&str>,
        chat: (String, String),
        profile: Option<String>,
    ) -> PyResult<impl std::future::Future<Output = fa_core::Result<TurnInput>> + use<>> {
        let member: Member = pythonize::depythonize(member)
            .map_err(|e| invalid("member", format!("not a member record: {e}")))?;
        let conversation = conversation.map(id::<ConversationId>).transpose()?;
        let store = self.parts.store.clone();
        Ok(async move {
            let conversation = match conversation {
                Some(id) => id,
                None => {
                    let (channel, chat_id) = chat;
                    store
                        .conversation(member.scope(), &channel, &chat_id)
                        .await?
                        .id
                }
            };
            let mut input = TurnInput::new(member, conversation, text);
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
    #[pyo3(signature = (store, scheduler = None, model = None, builtin_tools = true, max_steps = None, tool_timeout = None, system_prompt = None, models = None, calendars = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        store: &Bound<'_, Store>,
        scheduler: Option<&Bound<'_, Scheduler>>,
        model: Option<&Bound<'_, Model>>,
        builtin_tools: bool,
        max_steps: Option<u32>,
        tool_timeout: Option<f64>,
        system_prompt: Option<String>,
        models: Option<std::collections::BTreeMap<String, Bound<'_, Model>>>,
        calendars: Option<&Bound<'_, crate::calendar::CalendarAccounts>>,
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
            named: models
                .unwrap_or_default()
                .into_iter()
                .map(|(name, m)| (name, m.get().model.clone()))
                .collect(),
            options,
        };
        let mut tools = if builtin_tools {
            builtin_toolbox()
        } else {
            Toolbox::new()
        };
        if let Some(calendars) = calendars {
            for tool in fa_calendar::tools::tools(calendars.get().accounts.clone()) {
                tools.add_shared(tool).map_err(crate::errors::to_py)?;
            }
        }
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
        // The error becomes a Python exception, and the replaced assistant (holding Python
        // callables) is dropped, only after the lock is released.
        let (added, _replaced) = {
            let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
            let mut tools = built.tools.clone();
            match tools.add(tool) {
                Ok(_) => {
                    let assistant = Self::build(&self.parts, tools.clone());
                    built.tools = tools;
                    (
                        Ok(()),
                        Some(std::mem::replace(&mut built.assistant, assistant)),
                    )
                }
                Err(error) => (Err(error), None),
            }
        };
        added.map_err(to_py)
    }

    /// The tools' names, sorted.
    fn tool_names(&self) -> Vec<String> {
        self.toolbox().names().map(str::to_owned).collect()
    }

    /// Answers one message from a member; returns the reply as a dict.
    #[pyo3(signature = (member, text, conversation = None, channel = "python".to_owned(), chat_id = "main".to_owned(), profile = None))]
    #[allow(clippy::too_many_arguments)]
    fn ask<'py>(
        &self,
        py: Python<'py>,
        member: &Bound<'_, PyAny>,
        text: String,
        conversation: Option<&str>,
        channel: String,
        chat_id: String,
        profile: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let assistant = self.assistant();
        let turn = self.turn(member, text, conversation, (channel, chat_id), profile)?;
        spawn(py, async move {
            let reply = assistant.respond(turn.await?, None).await?;
            Ok(ReplyOut::from(reply))
        })
    }

    /// `ask`, blocking the calling thread (the GIL is released while it waits).
    #[pyo3(signature = (member, text, conversation = None, channel = "python".to_owned(), chat_id = "main".to_owned(), profile = None))]
    #[allow(clippy::too_many_arguments)]
    fn ask_sync(
        &self,
        py: Python<'_>,
        member: &Bound<'_, PyAny>,
        text: String,
        conversation: Option<&str>,
        channel: String,
        chat_id: String,
        profile: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let assistant = self.assistant();
        let turn = self.turn(member, text, conversation, (channel, chat_id), profile)?;
        let runtime = crate::runtime::runtime()?;
        let reply = py
            .detach(|| runtime.block_on(async move { assistant.respond(turn.await?, None).await }))
            .map_err(to_py)?;
        Ok(Json(ReplyOut::from(reply)).into_pyobject(py)?.unbind())
    }

    /// Answers one message, streaming the text as the model writes it.
    #[pyo3(signature = (member, text, conversation = None, channel = "python".to_owned(), chat_id = "main".to_owned(), profile = None))]
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &self,
        member: &Bound<'_, PyAny>,
        text: String,
        conversation: Option<&str>,
        channel: String,
        chat_id: String,
        profile: Option<String>,
    ) -> PyResult<ReplyStream> {
        let assistant = self.assistant();
        let turn = self.turn(member, text, conversation, (channel, chat_id), profile)?;
        let (tx, rx) = mpsc::channel(64);
        let task = crate::runtime::runtime()?.spawn(async move {
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

/// A turn being waited for: dropping the wait (a cancelled `reply()`) stops the turn.
struct AbortOnDrop(TurnTask);

impl std::future::Future for AbortOnDrop {
    type Output = <TurnTask as std::future::Future>::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

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
        crate::bridge::future(py, async move {
            match deltas.lock().await.recv().await {
                Some(delta) => Ok(delta),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }

    /// The whole reply, once the turn has finished. Text not yet read is dropped (so an
    /// unread stream never holds the turn up); cancelling this await stops the turn.
    fn reply<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (task, deltas) = (self.task.clone(), self.deltas.clone());
        crate::bridge::future(py, async move {
            deltas.lock().await.close();
            let Some(handle) = task.lock().await.take().map(AbortOnDrop) else {
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
