use fa_core::assistant::{Assistant, AssistantOptions, TurnInput};
use fa_core::llm::{ChatMessage, ChatRole, ScriptedReply, ToolCall};
use fa_core::scheduler::Scheduler;
use fa_core::*;
use serde_json::json;

use crate::assistant_support::Harness;

fn call(id: &str, name: &str, arguments: serde_json::Value) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments,
    }
}

#[tokio::test]
async fn a_tool_call_runs_and_its_result_goes_back_to_the_model() {
    let h = Harness::new().await;
    let (assistant, model) = h.scripted([
        ScriptedReply::call("current_time", json!({})),
        ScriptedReply::text("It is 11:15."),
    ]);
    let reply = h.say(&assistant, "what time is it?").await;
    assert_eq!(reply.text, "It is 11:15.");
    assert_eq!(reply.tool_calls, 1);
    assert_eq!(reply.model_requests, 2);
    let requests = model.requests();
    assert!(requests[0].tools.iter().any(|t| t.name == "current_time"));
    let result = requests[1].messages.last().unwrap();
    assert_eq!(result.role, ChatRole::Tool);
    assert_eq!(result.tool_call_id.as_deref(), Some("call_0"));
    assert!(
        result
            .content
            .contains("Wednesday 18 November 2026, 11:15 (Europe/Berlin)"),
        "{}",
        result.content
    );
    // The whole exchange is stored: user, assistant with the call, tool result, answer.
    let stored = h
        .store
        .recent_messages(h.ana.scope(), h.chat, 10)
        .await
        .unwrap();
    let roles: Vec<_> = stored.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            MessageRole::User,
            MessageRole::Assistant,
            MessageRole::Tool,
            MessageRole::Assistant
        ]
    );
}

#[tokio::test]
async fn two_tool_calls_in_one_response_both_run() {
    let h = Harness::new().await;
    h.store
        .save_note(h.ana.scope(), "locker code is 4411")
        .await
        .unwrap();
    let (assistant, model) = h.scripted([
        ScriptedReply::Calls(vec![
            call("a", "recall", json!({"query": "locker"})),
            call("b", "current_time", json!({"timezone": "Asia/Tokyo"})),
        ]),
        ScriptedReply::text("Done."),
    ]);
    let reply = h.say(&assistant, "locker code and time in Tokyo?").await;
    assert_eq!(reply.tool_calls, 2);
    let second = &model.requests()[1].messages;
    let results: Vec<&ChatMessage> = second.iter().filter(|m| m.role == ChatRole::Tool).collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].tool_call_id.as_deref(), Some("a"));
    assert!(results[0].content.contains("4411"));
    assert!(
        results[1].content.contains("19:15 (Asia/Tokyo)"),
        "{}",
        results[1].content
    );
}

#[tokio::test]
async fn a_change_waits_for_confirmation_and_runs_once_confirmed() {
    let h = Harness::new().await;
    let (assistant, model) = h.scripted([ScriptedReply::call(
        "create_reminder",
        json!({"text": "call grandma", "when": "tomorrow at 9"}),
    )]);
    let reply = h
        .say(&assistant, "remind me to call grandma tomorrow at 9")
        .await;
    assert_eq!(reply.pending.len(), 1, "{reply:?}");
    let action = &reply.pending[0];
    assert_eq!(action.summary, "Remind you Thu 19 Nov 09:00: call grandma");
    assert_eq!(model.requests().len(), 1, "the turn ends at the proposal");
    assert!(
        h.scheduler.jobs(h.ana.scope()).await.unwrap().is_empty(),
        "nothing before confirming"
    );

    let done = assistant.resolve(&h.ana, action.id, true).await.unwrap();
    assert!(
        done.text.starts_with("Reminder set for Thu 19 Nov 09:00"),
        "{}",
        done.text
    );
    let jobs = h.scheduler.jobs(h.ana.scope()).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let next = h.scheduler.upcoming(h.ana.scope(), 1).await.unwrap();
    assert_eq!(next[0].local_due.to_rfc3339(), "2026-11-19T09:00:00+01:00");

    let again = assistant.resolve(&h.ana, action.id, true).await.unwrap();
    assert!(again.text.contains("already confirmed"), "{}", again.text);
    assert_eq!(
        h.scheduler.jobs(h.ana.scope()).await.unwrap().len(),
        1,
        "confirming twice runs once"
    );
}

#[tokio::test]
async fn a_cancelled_or_expired_action_does_nothing() {
    let h = Harness::new().await;
    let (assistant, _) = h.scripted([
        ScriptedReply::call("remember", json!({"fact": "likes tea"})),
        ScriptedReply::call("remember", json!({"fact": "likes coffee"})),
    ]);
    let first = h.say(&assistant, "remember I like tea").await;
    let cancelled = assistant
        .resolve(&h.ana, first.pending[0].id, false)
        .await
        .unwrap();
    assert_eq!(cancelled.text, "Cancelled: Remember: likes tea");
    let second = h.say(&assistant, "remember I like coffee").await;
    h.clock.advance(chrono::Duration::minutes(16));
    let late = assistant
        .resolve(&h.ana, second.pending[0].id, true)
        .await
        .unwrap();
    assert!(late.text.contains("expired"), "{}", late.text);
    assert!(h.store.notes(h.ana.scope(), None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_member_who_opted_out_of_confirming_a_tool_gets_it_run_at_once() {
    let h = Harness::new().await;
    h.store
        .set_tool_confirmation(h.ana.scope(), "remember", false)
        .await
        .unwrap();
    let (assistant, _) = h.scripted([
        ScriptedReply::call("remember", json!({"fact": "parking spot 12"})),
        ScriptedReply::text("Saved."),
    ]);
    let reply = h.say(&assistant, "remember parking spot 12").await;
    assert!(reply.pending.is_empty());
    assert_eq!(reply.text, "Saved.");
    assert_eq!(
        h.store.notes(h.ana.scope(), None).await.unwrap()[0].content,
        "parking spot 12"
    );
}

#[tokio::test]
async fn malformed_arguments_are_fed_back_once_then_the_turn_fails_gracefully() {
    let h = Harness::new().await;
    h.store
        .set_tool_confirmation(h.ana.scope(), "create_reminder", false)
        .await
        .unwrap();
    // First corrected successfully.
    let (assistant, model) = h.scripted([
        ScriptedReply::call(
            "create_reminder",
            json!({"text": "pills", "when": "blorp o'clock"}),
        ),
        ScriptedReply::call(
            "create_reminder",
            json!({"text": "pills", "when": "in 2 hours"}),
        ),
        ScriptedReply::text("Set."),
    ]);
    let reply = h
        .say(&assistant, "remind me about pills in two hours")
        .await;
    assert_eq!(reply.text, "Set.");
    let feedback = model.requests()[1].messages.last().unwrap().content.clone();
    assert!(feedback.starts_with("error: "), "{feedback}");
    assert!(feedback.contains("Correct the arguments"), "{feedback}");
    assert_eq!(h.scheduler.jobs(h.ana.scope()).await.unwrap().len(), 1);

    // Wrong twice: a plain apology, no third request, nothing scheduled.
    let (assistant, model) = h.scripted([
        ScriptedReply::call("create_reminder", json!("not json at all")),
        ScriptedReply::call("create_reminder", json!({"when": "tomorrow"})),
        ScriptedReply::text("never asked"),
    ]);
    let reply = h.say(&assistant, "remind me").await;
    assert!(
        reply
            .text
            .starts_with("Sorry, I could not work out the details for create_reminder"),
        "{}",
        reply.text
    );
    assert_eq!(model.requests().len(), 2);
    assert_eq!(h.scheduler.jobs(h.ana.scope()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_tool_call_written_as_text_is_run_and_never_shown() {
    let h = Harness::new().await;
    let text_call = ChatMessage::assistant(
        "<tool_call>{\"name\": \"current_time\", \"arguments\": {}}</tool_call>",
    );
    let (assistant, model) = h.scripted([
        ScriptedReply::Message(text_call),
        ScriptedReply::text("It is 11:15 in Berlin."),
    ]);
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let reply = assistant
        .respond(TurnInput::new(h.ana.clone(), h.chat, "time?"), Some(tx))
        .await
        .unwrap();
    assert_eq!(reply.tool_calls, 1);
    assert_eq!(reply.text, "It is 11:15 in Berlin.");
    let mut streamed = String::new();
    while let Ok(delta) = rx.try_recv() {
        streamed.push_str(&delta);
    }
    assert_eq!(
        streamed, "It is 11:15 in Berlin.",
        "the call text never streams"
    );
    let result = model.requests()[1].messages.last().unwrap().clone();
    assert_eq!(result.role, ChatRole::Tool);
    assert!(result.content.contains("11:15"));
}

#[tokio::test]
async fn an_unknown_tool_is_reported_to_the_model() {
    let h = Harness::new().await;
    let (assistant, model) = h.scripted([
        ScriptedReply::call("launch_rocket", json!({})),
        ScriptedReply::text("I cannot do that."),
    ]);
    let reply = h.say(&assistant, "launch").await;
    assert_eq!(reply.text, "I cannot do that.");
    let feedback = model.requests()[1].messages.last().unwrap().content.clone();
    assert!(
        feedback.contains("there is no tool called launch_rocket"),
        "{feedback}"
    );
}

#[tokio::test]
async fn the_loop_stops_after_max_steps() {
    let h = Harness::new().await;
    let model = std::sync::Arc::new(fa_core::llm::ScriptedModel::cycle([ScriptedReply::call(
        "current_time",
        json!({}),
    )]));
    let mut options = AssistantOptions::default();
    options.max_steps = 3;
    let assistant = h.builder().model(model).options(options).build();
    let reply = h.say(&assistant, "loop").await;
    assert_eq!(reply.model_requests, 3);
    assert!(
        reply.text.contains("could not finish this in 3 steps"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn a_guest_is_not_offered_and_cannot_call_changing_tools() {
    let h = Harness::new().await;
    let guest = h
        .store
        .add_member(h.home.id, NewMember::new("Visitor", Role::Guest))
        .await
        .unwrap();
    let chat = h
        .store
        .conversation(guest.scope(), "console", "g")
        .await
        .unwrap();
    let (assistant, model) = h.scripted([
        ScriptedReply::call("remember", json!({"fact": "x"})),
        ScriptedReply::text("ok"),
    ]);
    let reply = assistant
        .respond(TurnInput::new(guest.clone(), chat.id, "remember x"), None)
        .await
        .unwrap();
    assert!(reply.pending.is_empty());
    let requests = model.requests();
    assert!(requests[0].tools.iter().all(|t| t.name != "remember"));
    assert!(requests[0].tools.iter().any(|t| t.name == "current_time"));
    assert!(
        requests[1]
            .messages
            .last()
            .unwrap()
            .content
            .contains("not available")
    );
}

#[tokio::test]
async fn saved_facts_reach_the_prompt_only_for_their_member() {
    let h = Harness::new().await;
    h.store
        .save_note(h.ana.scope(), "Ana's locker code is 4411")
        .await
        .unwrap();
    h.store
        .save_note(h.ben.scope(), "Ben's bike lock is 9090")
        .await
        .unwrap();
    let (assistant, model) = h.scripted([ScriptedReply::text("4411")]);
    h.say(&assistant, "what is my locker code?").await;
    let system = &model.requests()[0].messages[0];
    assert_eq!(system.role, ChatRole::System);
    assert!(system.content.contains("4411"));
    assert!(!system.content.contains("9090"));
    assert!(system.content.contains("You are talking with Ana"));
}

#[tokio::test]
async fn history_over_budget_is_folded_into_a_rolling_summary() {
    let h = Harness::new().await;
    let answer = format!("noted {}", "lorem ipsum ".repeat(20));
    let model = std::sync::Arc::new(
        fa_core::llm::ScriptedModel::new((0..40).map(|_| ScriptedReply::text(&answer)))
            .with_context_window(1600),
    );
    let mut options = AssistantOptions::default();
    options.reply_reserve = 200;
    let assistant = h
        .builder()
        .model(model.clone())
        .tools(Default::default())
        .options(options)
        .build();
    for i in 0..14 {
        h.say(
            &assistant,
            &format!("question {i} {}", "dolor sit ".repeat(20)),
        )
        .await;
    }
    let requests = model.requests();
    let is_summary = |r: &fa_core::llm::ChatRequest| {
        r.messages[0]
            .content
            .starts_with("Summarise this conversation")
    };
    let first_summary = requests
        .iter()
        .find(|r| is_summary(r))
        .expect("a summary was asked for");
    assert!(
        first_summary.messages[1]
            .content
            .contains("Member: question 0")
    );
    for request in requests.iter().filter(|r| !is_summary(r)) {
        let tokens: usize = request
            .messages
            .iter()
            .map(|m| fa_core::assistant::estimate_tokens(&m.content) + 4)
            .sum();
        assert!(
            tokens <= 1600 - 200,
            "a request of {tokens} tokens exceeds the budget"
        );
    }
    let saved = h
        .store
        .conversation_summary(h.ana.scope(), h.chat)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.summary, answer.trim());
    let last = requests.last().unwrap();
    assert!(
        last.messages[0]
            .content
            .contains(&format!("Earlier in this conversation: {}", answer.trim()))
    );
    assert!(
        last.messages
            .iter()
            .all(|m| !m.content.contains("question 0 ")),
        "old turns left out"
    );
    assert!(
        last.messages
            .last()
            .unwrap()
            .content
            .starts_with("question 13")
    );
}

#[tokio::test]
async fn a_profile_sets_prompt_tools_and_can_be_asked_by_another() {
    let h = Harness::new().await;
    h.store
        .save_profile(
            h.home.id,
            NewProfile::new("shop assistant", "You know the shop.").tools(["current_time"]),
        )
        .await
        .unwrap();
    let (assistant, model) = h.scripted([
        // The default assistant hands the question over...
        ScriptedReply::call(
            "ask_assistant",
            json!({"profile": "shop assistant", "question": "open today?"}),
        ),
        // ...the shop assistant answers (its own request)...
        ScriptedReply::text("Yes, until 18:00."),
        // ...and the default assistant replies.
        ScriptedReply::text("The shop is open until 18:00."),
    ]);
    let reply = h.say(&assistant, "is the shop open?").await;
    assert_eq!(reply.text, "The shop is open until 18:00.");
    let requests = model.requests();
    assert!(
        requests[1].messages[0]
            .content
            .starts_with("You know the shop.")
    );
    let names: Vec<_> = requests[1].tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["current_time"], "the profile's tools only");
    assert!(
        requests[2]
            .messages
            .last()
            .unwrap()
            .content
            .contains("shop assistant says: Yes, until 18:00.")
    );

    let (assistant, model) = h.scripted([ScriptedReply::text("hi")]);
    assistant
        .respond(
            TurnInput::new(h.ana.clone(), h.chat, "hello").with_profile("shop assistant"),
            None,
        )
        .await
        .unwrap();
    assert!(
        model.requests()[0].messages[0]
            .content
            .starts_with("You know the shop.")
    );
    let missing = assistant
        .respond(
            TurnInput::new(h.ana.clone(), h.chat, "x").with_profile("nope"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        missing.text,
        "There is no assistant called \"nope\"; the household has: shop assistant."
    );
}

#[tokio::test]
async fn a_text_call_to_an_unknown_tool_keeps_the_history_well_formed() {
    let h = Harness::new().await;
    let (assistant, model) = h.scripted([
        ScriptedReply::Message(ChatMessage::assistant(
            "{\"name\": \"launch_rocket\", \"arguments\": {}}",
        )),
        ScriptedReply::text("I cannot do that."),
        ScriptedReply::text("Hi again."),
    ]);
    h.say(&assistant, "launch").await;
    h.say(&assistant, "hello").await;
    let history = &model.requests()[2].messages;
    let result = history
        .iter()
        .position(|m| m.role == ChatRole::Tool)
        .unwrap();
    let call_id = history[result].tool_call_id.clone().unwrap();
    let caller = &history[result - 1];
    assert_eq!(caller.role, ChatRole::Assistant);
    assert!(
        caller.tool_calls.iter().any(|c| c.id == call_id),
        "{history:?}"
    );
    assert!(
        history[result]
            .content
            .contains("no tool called launch_rocket")
    );
}

#[tokio::test]
async fn confirming_later_does_what_was_shown() {
    let h = Harness::new().await;
    for text in ["A", "B", "C"] {
        h.scheduler
            .schedule(
                h.ana.scope(),
                fa_core::scheduler::NewJob::reminder(
                    text,
                    fa_core::scheduler::Trigger::once(
                        h.clock.now()
                            + chrono::Duration::hours(
                                1 + text.len() as i64 + (text.as_bytes()[0] - b'A') as i64,
                            ),
                    ),
                ),
            )
            .await
            .unwrap();
    }
    let (assistant, _) = h.scripted([
        ScriptedReply::Calls(vec![
            call("1", "cancel_reminder", json!({"number": 1})),
            call("2", "cancel_reminder", json!({"number": 2})),
        ]),
        ScriptedReply::call(
            "create_reminder",
            json!({"text": "tea", "when": "in 5 minutes"}),
        ),
    ]);
    let reply = h.say(&assistant, "cancel the first two").await;
    let shown: Vec<_> = reply.pending.iter().map(|a| a.summary.clone()).collect();
    assert_eq!(
        shown,
        ["Cancel the reminder \"A\"", "Cancel the reminder \"B\""]
    );
    for action in &reply.pending {
        let done = assistant.resolve(&h.ana, action.id, true).await.unwrap();
        assert!(done.text.starts_with("Cancelled: "), "{}", done.text);
    }
    let left: Vec<_> = h
        .scheduler
        .upcoming(h.ana.scope(), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| fa_core::assistant::tools::reminder_text(&u.job).to_owned())
        .collect();
    assert_eq!(
        left,
        ["C"],
        "the numbering shifted after the first cancel, the targets did not"
    );

    let tea = h.say(&assistant, "tea in 5 minutes").await;
    assert_eq!(tea.pending[0].summary, "Remind you Wed 18 Nov 11:20: tea");
    h.clock.advance(chrono::Duration::minutes(3));
    let done = assistant
        .resolve(&h.ana, tea.pending[0].id, true)
        .await
        .unwrap();
    assert!(
        done.text.starts_with("Reminder set for Wed 18 Nov 11:20"),
        "{}",
        done.text
    );
}

#[tokio::test]
async fn a_message_the_store_cannot_take_is_refused_before_the_model() {
    let h = Harness::new().await;
    let (assistant, model) = h.scripted([ScriptedReply::text("never")]);
    let reply = h.say(&assistant, "bad \0 text").await;
    assert!(
        reply.text.starts_with("I cannot take that message"),
        "{}",
        reply.text
    );
    assert!(model.requests().is_empty());
}

#[tokio::test]
async fn members_can_stop_and_start_being_asked_per_tool() {
    let h = Harness::new().await;
    let assistant = h.builder().build();
    assert!(
        h.say(&assistant, "/confirm")
            .await
            .text
            .contains("remember: asks first")
    );
    let off = h.say(&assistant, "/confirm off remember").await;
    assert_eq!(
        off.text,
        "remember will run without asking. /confirm on remember undoes this."
    );
    assert_eq!(
        h.store
            .tools_without_confirmation(h.ana.scope())
            .await
            .unwrap(),
        ["remember"]
    );
    assert!(
        h.say(&assistant, "/confirm off nonsense")
            .await
            .text
            .starts_with("Usage: /confirm")
    );
}
