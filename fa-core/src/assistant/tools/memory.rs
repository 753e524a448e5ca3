//! Memory tools: the member's saved facts, private to them.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::parse_arguments;
use crate::assistant::{Proposal, Tool, ToolContext, ToolError};
use crate::{MemoryNote, NoteId};

#[derive(Deserialize)]
struct FactArgs {
    fact: String,
}

impl FactArgs {
    fn read(arguments: &serde_json::Value) -> Result<String, ToolError> {
        let args: FactArgs = parse_arguments(arguments)?;
        let fact = args.fact.trim().to_owned();
        if fact.is_empty() {
            Err(ToolError::invalid("fact must not be empty"))
        } else {
            Ok(fact)
        }
    }
}

/// `remember`: saves a fact about the member.
#[derive(Debug, Clone, Copy, Default)]
pub struct RememberTool;

#[async_trait]
impl Tool for RememberTool {
    fn name(&self) -> &str {
        "remember"
    }

    fn description(&self) -> &str {
        "Saves a fact the member wants remembered (e.g. 'my locker code is 4411'). Only this member can recall it."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {"fact": {"type": "string"}},
            "required": ["fact"]
        })
    }

    fn changes_state(&self) -> bool {
        true
    }

    async fn describe(
        &self,
        _ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<String, ToolError> {
        Ok(format!("Remember: {}", FactArgs::read(arguments)?))
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let fact = FactArgs::read(&arguments)?;
        ctx.store().save_note(ctx.scope(), &fact).await?;
        Ok(format!("Remembered: {fact}"))
    }
}

/// `recall`: searches the member's saved facts.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecallTool;

#[async_trait]
impl Tool for RecallTool {
    fn name(&self) -> &str {
        "recall"
    }

    fn description(&self) -> &str {
        "Finds facts the member asked to remember; without a query, lists them all."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {"query": {"type": "string", "description": "a word to look for"}}
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        #[derive(Deserialize)]
        struct Args {
            query: Option<String>,
        }
        let args: Args = parse_arguments(&arguments)?;
        let notes = ctx
            .store()
            .notes(ctx.scope(), args.query.as_deref())
            .await?;
        if notes.is_empty() {
            return Ok("No saved facts match.".to_owned());
        }
        Ok(notes
            .iter()
            .map(|n| format!("- {}", n.content))
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

/// `forget`: deletes the member's saved facts that contain a phrase.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForgetTool;

async fn matching(ctx: &ToolContext, fact: &str) -> Result<Vec<MemoryNote>, ToolError> {
    let notes = ctx.store().notes(ctx.scope(), Some(fact)).await?;
    if notes.is_empty() {
        Err(ToolError::failed(format!(
            "no saved fact contains \"{fact}\""
        )))
    } else {
        Ok(notes)
    }
}

#[async_trait]
impl Tool for ForgetTool {
    fn name(&self) -> &str {
        "forget"
    }

    fn description(&self) -> &str {
        "Forgets the member's saved facts that contain the given phrase."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {"fact": {"type": "string", "description": "a phrase the fact contains"}},
            "required": ["fact"]
        })
    }

    fn changes_state(&self) -> bool {
        true
    }

    async fn describe(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<String, ToolError> {
        let notes = matching(ctx, &FactArgs::read(arguments)?).await?;
        let list: Vec<&str> = notes.iter().map(|n| n.content.as_str()).collect();
        Ok(format!("Forget: {}", list.join("; ")))
    }

    async fn propose(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<Proposal, ToolError> {
        let summary = self.describe(ctx, &arguments).await?;
        let notes = matching(ctx, &FactArgs::read(&arguments)?).await?;
        // Only the facts shown are forgotten, not ones saved after the proposal.
        let ids: Vec<NoteId> = notes.iter().map(|n| n.id).collect();
        Ok(Proposal::new(summary, json!({"notes": ids})))
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        #[derive(Deserialize)]
        struct Pinned {
            notes: Vec<NoteId>,
        }
        let ids = match parse_arguments::<Pinned>(&arguments) {
            Ok(pinned) => pinned.notes,
            Err(_) => matching(ctx, &FactArgs::read(&arguments)?)
                .await?
                .iter()
                .map(|n| n.id)
                .collect(),
        };
        let mut forgotten = 0;
        for id in ids {
            if ctx.store().delete_note(ctx.scope(), id).await? {
                forgotten += 1;
            }
        }
        Ok(format!("Forgot {forgotten} fact(s)."))
    }
}
