//! No tool call returns another member's facts, reminders, habits or check-ins: a property test
//! over random calls by members of two households.

use std::sync::Arc;

use fa_core::assistant::Assistant;
use fa_core::assistant::tools::builtin_toolbox;
use fa_core::assistant::{AssistantOptions, ModelAssistant, TurnInput};
use fa_core::llm::{ChatRole, ScriptedModel, ScriptedReply};
use fa_core::scheduler::{JobRegistry, StoreScheduler};
use fa_core::*;
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
enum Op {
    /// Calls naming another member's data by its words.
    RecallOther,
    LogOtherHabit,
    ForgetOther,
    Remember,
    Recall,
    Remind,
    ListReminders,
    CreateHabit,
    LogHabit,
    HabitStats,
    CheckIn,
    MoodTrend,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::RecallOther),
        Just(Op::LogOtherHabit),
        Just(Op::ForgetOther),
        Just(Op::Remember),
        Just(Op::Recall),
        Just(Op::Remind),
        Just(Op::ListReminders),
        Just(Op::CreateHabit),
        Just(Op::LogHabit),
        Just(Op::HabitStats),
        Just(Op::CheckIn),
        Just(Op::MoodTrend),
    ]
}

/// Each member's data carries a marker only they may ever see: `m<index>x`.
fn call_for(op: &Op, marker: &str, other: &str, mood: u8) -> (&'static str, serde_json::Value) {
    match op {
        Op::RecallOther => ("recall", json!({"query": other})),
        Op::LogOtherHabit => ("log_habit", json!({"name": format!("habit {other}")})),
        Op::ForgetOther => ("forget", json!({"fact": other})),
        Op::Remember => ("remember", json!({"fact": format!("secret {marker}")})),
        Op::Recall => ("recall", json!({})),
        Op::Remind => (
            "create_reminder",
            json!({"text": format!("task {marker}"), "when": "in 3 hours"}),
        ),
        Op::ListReminders => ("list_reminders", json!({})),
        Op::CreateHabit => ("create_habit", json!({"name": format!("habit {marker}")})),
        Op::LogHabit => ("log_habit", json!({"name": format!("habit {marker}")})),
        Op::HabitStats => ("habit_stats", json!({})),
        Op::CheckIn => (
            "record_check_in",
            json!({"mood": mood, "note": format!("note {marker}")}),
        ),
        Op::MoodTrend => ("mood_trend", json!({})),
    }
}

async fn run(ops: Vec<(usize, Op, u8, usize)>) {
    let clock = Arc::new(ManualClock::new(crate::assistant_support::now()));
    let store = Arc::new(
        SqliteStore::open_with(SqliteOptions::memory().clock(clock.clone()))
            .await
            .unwrap(),
    );
    let scheduler = Arc::new(
        StoreScheduler::new(store.clone(), JobRegistry::with_builtins()).with_clock(clock.clone()),
    );
    let mut members = Vec::new();
    for household in ["North", "South"] {
        let home = store.create_household(household).await.unwrap();
        for (name, role) in [("a", Role::Owner), ("b", Role::Adult), ("c", Role::Child)] {
            let member = store
                .add_member(home.id, NewMember::new(format!("{household}-{name}"), role))
                .await
                .unwrap();
            // Every changing tool runs at once, so every call reaches the store.
            for tool in [
                "remember",
                "create_reminder",
                "create_habit",
                "log_habit",
                "record_check_in",
            ] {
                store
                    .set_tool_confirmation(member.scope(), tool, false)
                    .await
                    .unwrap();
            }
            let chat = store
                .conversation(member.scope(), "test", "1")
                .await
                .unwrap();
            members.push((member, chat.id));
        }
    }
    let markers: Vec<String> = (0..members.len()).map(|i| format!("m{i}x")).collect();
    let mut remembered = vec![false; members.len()];
    for (who, op, mood, other) in ops {
        let who = who % members.len();
        let other = (who + 1 + other % (members.len() - 1)) % members.len();
        let (member, chat) = &members[who];
        let (tool, arguments) = call_for(&op, &markers[who], &markers[other], mood);
        if matches!(op, Op::Remember) {
            remembered[who] = true;
        }
        let model = Arc::new(ScriptedModel::new([
            ScriptedReply::call(tool, arguments),
            ScriptedReply::text("ok"),
        ]));
        // A window no run of ops fills: a rolling-summary request would take the scripted tool
        // call meant for the turn.
        let mut options = AssistantOptions::default();
        options.history_messages = 10_000;
        let assistant = ModelAssistant::builder(store.clone(), scheduler.clone())
            .tools(builtin_toolbox())
            .clock(clock.clone())
            .model(model.clone())
            .options(options)
            .build();
        assistant
            .respond(TurnInput::new(member.clone(), *chat, "go"), None)
            .await
            .unwrap();
        let requests = model.requests();
        // This turn's tool result: after the turn's own message, not one from the history
        // (which may quote another member's marker in this member's own earlier query).
        let turn = requests.last().map_or(&[][..], |r| {
            let start = r
                .messages
                .iter()
                .rposition(|m| m.role == ChatRole::User)
                .unwrap_or(0);
            &r.messages[start..]
        });
        let result = turn
            .iter()
            .find(|m| m.role == ChatRole::Tool)
            .map(|m| m.content.clone())
            .unwrap_or_else(|| panic!("no tool ran for {tool} in this turn: {requests:?}"));
        match op {
            // Naming another member's data finds nothing (their words come back only as the
            // member's own query, quoted in "not found").
            Op::RecallOther => assert_eq!(result, "No saved facts match."),
            Op::LogOtherHabit => assert!(result.contains("there is no habit called"), "{result}"),
            Op::ForgetOther => assert!(result.contains("no saved fact contains"), "{result}"),
            _ => {
                for (other, marker) in markers.iter().enumerate() {
                    if other != who {
                        assert!(
                            !result.contains(marker.as_str()),
                            "{tool} by member {who} returned member {other}'s data: {result}"
                        );
                    }
                }
            }
        }
        // Nor does anything of theirs reach the prompt (facts, summary).
        let prompt = requests[0].messages[0].content.clone();
        for (other, marker) in markers.iter().enumerate() {
            if other != who {
                assert!(
                    !prompt.contains(marker.as_str()),
                    "member {other}'s data in member {who}'s prompt"
                );
            }
        }
        clock.advance(chrono::Duration::minutes(7));
    }
    // The calls did reach the store: each member who saved a fact still has it (no one else's
    // forget removed it).
    for (i, (member, _)) in members.iter().enumerate() {
        let notes = store.notes(member.scope(), None).await.unwrap();
        assert_eq!(!notes.is_empty(), remembered[i], "member {i}: {notes:?}");
        assert!(
            notes
                .iter()
                .all(|n| n.content.contains(markers[i].as_str()))
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_tool_call_returns_another_members_data(
        ops in proptest::collection::vec((0usize..6, op(), 1u8..=5, 0usize..5), 10..40)
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(ops));
    }
}
