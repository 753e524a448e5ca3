//! Chat commands that adapters add to the engine: `/amazon …`, say. The engine answers them
//! itself, before the assistant, and keeps neither the command nor its answer in the
//! conversation history (a command may carry a secret, such as a token).

use async_trait::async_trait;

use crate::Role;
use crate::assistant::{ToolContext, ToolError};

/// A `/name arguments` command answered by code, not by the model.
///
/// ```
/// use async_trait::async_trait;
/// use fa_core::engine::ChatCommand;
/// use fa_core::assistant::{ToolContext, ToolError};
///
/// struct Ping;
///
/// #[async_trait]
/// impl ChatCommand for Ping {
///     fn name(&self) -> &str { "ping" }
///     fn description(&self) -> &str { "answer pong" }
///     async fn run(&self, ctx: &ToolContext, arguments: &str) -> Result<String, ToolError> {
///         Ok(format!("pong {} {arguments}", ctx.member().display_name))
///     }
/// }
/// ```
#[async_trait]
pub trait ChatCommand: Send + Sync {
    /// The command word, lowercase, without the `/` (e.g. `amazon`).
    fn name(&self) -> &str;

    /// One line for the command menu (Telegram's `setMyCommands`).
    fn description(&self) -> &str;

    /// Whether a member with `role` may use it (default: owners and adults).
    fn allowed_for(&self, role: Role) -> bool {
        matches!(role, Role::Owner | Role::Adult)
    }

    /// Runs `/name arguments` for the context's member (with the store, the scheduler and the
    /// clock at hand); returns the answer. Errors are shown to the member in words
    /// (`ToolError::Internal` as a short apology, details in the logs).
    async fn run(&self, ctx: &ToolContext, arguments: &str) -> Result<String, ToolError>;
}

/// The command and its arguments, if `text` is `/name …` for one of `commands` (a
/// `@BotName` suffix on the command word is ignored, as Telegram sends it in groups).
pub(crate) fn find<'a>(
    commands: &'a [std::sync::Arc<dyn ChatCommand>],
    text: &'a str,
) -> Option<(&'a std::sync::Arc<dyn ChatCommand>, &'a str)> {
    let text = text.trim();
    let word = text.strip_prefix('/')?;
    let (word, rest) = word.split_once(char::is_whitespace).unwrap_or((word, ""));
    let word = word.split('@').next().unwrap_or(word);
    commands
        .iter()
        .find(|c| c.name().eq_ignore_ascii_case(word))
        .map(|c| (c, rest.trim()))
}
