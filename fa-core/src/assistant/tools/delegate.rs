//! `ask_assistant`: hands a question to another assistant profile.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::parse_arguments;
use crate::assistant::{Tool, ToolContext, ToolError};

/// `ask_assistant`: asks another of the household's assistant profiles (e.g. "shop assistant")
/// a question and returns its answer. The other profile works with its own prompt, model and
/// tools, for the same member; it cannot hand the question on again.
#[derive(Debug, Clone, Copy, Default)]
pub struct AskAssistantTool;

#[async_trait]
impl Tool for AskAssistantTool {
    fn name(&self) -> &str {
        "ask_assistant"
    }

    fn description(&self) -> &str {
        "Asks another assistant profile of the household (by its name) a question and returns its answer."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "profile": {"type": "string", "description": "the profile's name, e.g. shop assistant"},
                "question": {"type": "string"}
            },
            "required": ["profile", "question"]
        })
    }

    fn timeout(&self) -> Option<std::time::Duration> {
        // The other profile runs its own loop of model requests.
        Some(std::time::Duration::from_secs(600))
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        #[derive(Deserialize)]
        struct Args {
            profile: String,
            question: String,
        }
        let args: Args = parse_arguments(&arguments)?;
        let delegate = ctx
            .delegate()
            .ok_or_else(|| ToolError::failed("no other assistant can be asked from here"))?;
        delegate.ask(ctx, args.profile.trim(), &args.question).await
    }
}
