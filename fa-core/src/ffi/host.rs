//! What the app implements for fa (feature `uniffi`): tools, job kinds, notifiers, language
//! models and reply listeners. They are declared here, beside [`FaError`], because the generated
//! Kotlin and Python of a callback can only throw an error of its own package; `fa-ffi` adapts
//! them to fa-core's traits and calls them on a blocking thread with no lock held.

use crate::llm::{ChatRequest, ChatResponse};
use crate::{Job, Member, Notification, Occurrence};

use super::{FaError, Json, UtcTime};

/// One firing of a job, as a job kind of the app receives it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Firing {
    /// The job.
    pub job: Job,
    /// The occurrence being run.
    pub occurrence: Occurrence,
    /// The runner's now.
    pub now: UtcTime,
    /// Whether it runs later than the runner's lateness threshold.
    pub late: bool,
    /// When it was due on the job's wall clock, RFC 3339 with the UTC offset.
    pub local_due: String,
}

/// A job kind whose work is the app's code.
#[uniffi::export(with_foreign)]
pub trait HostJobKind: Send + Sync {
    /// Runs one firing; returns the message to deliver, or null for none. Throwing marks the
    /// occurrence failed with the error's text.
    fn run(&self, firing: Firing) -> Result<Option<String>, FaError>;
}

/// Where the app delivers a member's messages: the OS's local notifications, an in-app inbox.
#[uniffi::export(with_foreign)]
pub trait HostNotifier: Send + Sync {
    /// Shows one notification; returns the platform's id for it, if any. Throw `RateLimited` to
    /// be tried again after its `retry_after`; `InvalidInput`, `NotFound` or `Auth` to give it up;
    /// anything else to be retried with backoff.
    fn deliver(&self, notification: Notification) -> Result<Option<String>, FaError>;
}

/// A language model the app provides, e.g. one running on the device. fa calls it on a blocking
/// thread of its own, so `chat` may take as long as the model needs.
#[uniffi::export(with_foreign)]
pub trait HostModel: Send + Sync {
    /// Answers a chat request: text, or tool calls from `request.tools`. Throw `Network` when
    /// the model cannot answer now (fa then serves commands and says the model is offline).
    fn chat(&self, request: ChatRequest) -> Result<ChatResponse, FaError>;
}

/// One call of an app's tool.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ToolInvocation {
    /// The arguments the model gave, as JSON text.
    pub arguments: Json,
    /// Who the assistant is talking to.
    pub member: Member,
    /// The assistant's now.
    pub now: UtcTime,
}

/// A tool whose work is the app's code, e.g. reading the phone's contacts.
#[uniffi::export(with_foreign)]
pub trait HostTool: Send + Sync {
    /// Runs one call; returns what the model reads back. Throw `InvalidInput` when the
    /// arguments are wrong (the model is told, and may try again), anything else when it failed.
    fn call(&self, invocation: ToolInvocation) -> Result<String, FaError>;
}

/// Receives a reply's text as the model writes it.
#[uniffi::export(with_foreign)]
pub trait ReplyListener: Send + Sync {
    /// The next piece of text.
    fn on_delta(&self, text: String);
}
