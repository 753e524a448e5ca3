//! What the assistant tests share: an in-memory store on a manual clock, a household with two
//! members, and a scripted model.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use fa_core::assistant::tools::builtin_toolbox;
use fa_core::assistant::{Assistant, ModelAssistant, Reply, ToolContext, TurnInput};
use fa_core::llm::{ScriptedModel, ScriptedReply};
use fa_core::scheduler::{JobRegistry, StoreScheduler};
use fa_core::*;

/// Wednesday 18 November 2026, 11:15 in Berlin.
pub fn now() -> DateTime<Utc> {
    "2026-11-18T10:15:00Z".parse().unwrap()
}

pub struct Harness {
    pub store: Arc<SqliteStore>,
    pub clock: Arc<ManualClock>,
    pub scheduler: Arc<StoreScheduler>,
    pub home: Household,
    pub ana: Member,
    pub ben: Member,
    pub chat: ConversationId,
}

impl Harness {
    pub async fn new() -> Self {
        let clock = Arc::new(ManualClock::new(now()));
        let store = Arc::new(
            SqliteStore::open_with(SqliteOptions::memory().clock(clock.clone()))
                .await
                .unwrap(),
        );
        let home = store.create_household("Home").await.unwrap();
        let ana = store
            .add_member(
                home.id,
                NewMember::new("Ana", Role::Owner).with_timezone("Europe/Berlin"),
            )
            .await
            .unwrap();
        let ben = store
            .add_member(
                home.id,
                NewMember::new("Ben", Role::Adult).with_timezone("America/New_York"),
            )
            .await
            .unwrap();
        let scheduler = Arc::new(
            StoreScheduler::new(store.clone(), JobRegistry::with_builtins())
                .with_clock(clock.clone()),
        );
        let chat = store
            .conversation(ana.scope(), "console", "main")
            .await
            .unwrap()
            .id;
        Self {
            store,
            clock,
            scheduler,
            home,
            ana,
            ben,
            chat,
        }
    }

    pub fn builder(&self) -> fa_core::assistant::ModelAssistantBuilder {
        ModelAssistant::builder(self.store.clone(), self.scheduler.clone())
            .tools(builtin_toolbox())
            .clock(self.clock.clone())
    }

    /// An assistant on a scripted model with these replies.
    pub fn scripted(
        &self,
        replies: impl IntoIterator<Item = ScriptedReply>,
    ) -> (ModelAssistant, Arc<ScriptedModel>) {
        let model = Arc::new(ScriptedModel::new(replies));
        (self.builder().model(model.clone()).build(), model)
    }

    /// Ana says `text` in her console chat.
    pub async fn say(&self, assistant: &ModelAssistant, text: &str) -> Reply {
        assistant
            .respond(TurnInput::new(self.ana.clone(), self.chat, text), None)
            .await
            .unwrap()
    }

    pub fn context(&self, member: &Member) -> ToolContext {
        ToolContext::new(
            member.clone(),
            self.store.clone(),
            self.scheduler.clone(),
            self.clock.clone(),
        )
    }
}

/// A tool context for Ana, and the harness that keeps its store alive.
pub async fn tool_context() -> (ToolContext, Harness) {
    let harness = Harness::new().await;
    (harness.context(&harness.ana), harness)
}
