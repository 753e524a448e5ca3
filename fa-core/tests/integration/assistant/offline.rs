use fa_core::assistant::{Assistant, TurnInput};
use fa_core::llm::{ModelErrorKind, ScriptedReply};
use fa_core::scheduler::Scheduler;
use fa_core::*;

use crate::assistant_support::Harness;

#[tokio::test]
async fn without_a_model_remind_works_and_lists_in_the_members_time_zone() {
    let h = Harness::new().await;
    let assistant = h.builder().build();
    let set = h
        .say(&assistant, "/remind me tomorrow at 9 to call grandma")
        .await;
    assert_eq!(
        set.text,
        "Reminder set for Thu 19 Nov 09:00 (Europe/Berlin): call grandma"
    );
    let list = h.say(&assistant, "/reminders").await;
    assert_eq!(
        list.text,
        "1. Thu 19 Nov 09:00 — call grandma\n(times in Europe/Berlin)"
    );
    let next = h.scheduler.upcoming(h.ana.scope(), 1).await.unwrap();
    assert_eq!(
        next[0].occurrence.due_at.to_rfc3339(),
        "2026-11-19T08:00:00+00:00"
    );

    // Ben in New York sees his own reminders in his own zone, and none of Ana's.
    let ben_chat = h
        .store
        .conversation(h.ben.scope(), "console", "b")
        .await
        .unwrap();
    let ben_says =
        |text: &str| assistant.respond(TurnInput::new(h.ben.clone(), ben_chat.id, text), None);
    assert_eq!(
        ben_says("/reminders").await.unwrap().text,
        "No reminders are planned."
    );
    let set = ben_says("/remind me in 2 hours to stretch").await.unwrap();
    assert_eq!(
        set.text,
        "Reminder set for Wed 18 Nov 07:15 (America/New_York): stretch"
    );

    let cancel = h.say(&assistant, "/cancel 1").await;
    assert_eq!(cancel.text, "Cancelled: call grandma");
    assert_eq!(
        h.say(&assistant, "/reminders").await.text,
        "No reminders are planned."
    );
}

#[tokio::test]
async fn a_bad_command_gets_a_clear_answer_and_nothing_changes() {
    let h = Harness::new().await;
    let assistant = h.builder().build();
    let reply = h.say(&assistant, "/remind me blorp to do things").await;
    assert!(
        reply.text.contains("could not find a time"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("try"), "{}", reply.text);
    let reply = h.say(&assistant, "/checkin 9").await;
    assert!(
        reply.text.contains("1") && reply.text.contains("5"),
        "{}",
        reply.text
    );
    assert!(h.scheduler.jobs(h.ana.scope()).await.unwrap().is_empty());
    let now = h.clock.now();
    assert!(
        h.store
            .check_ins(
                h.ana.scope(),
                now - chrono::Duration::days(1),
                now + chrono::Duration::days(1)
            )
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn habit_checkin_and_tz_commands_work_offline() {
    let h = Harness::new().await;
    let assistant = h.builder().build();
    assert!(
        h.say(&assistant, "/habit new stretch 5 per week")
            .await
            .text
            .contains("Now tracking \"stretch\"")
    );
    let done = h.say(&assistant, "/habit done stretch").await;
    assert!(done.text.contains("Streak: 1 day."), "{}", done.text);
    let list = h.say(&assistant, "/habit").await;
    assert!(
        list.text.starts_with("stretch: Streak: 1 day."),
        "{}",
        list.text
    );
    assert_eq!(
        h.say(&assistant, "/checkin 4 slept well").await.text,
        "Check-in recorded: mood 4/5."
    );
    let tz = h.say(&assistant, "/tz Asia/Tokyo").await;
    assert!(
        tz.text.starts_with("Time zone set to Asia/Tokyo"),
        "{}",
        tz.text
    );
    let ana = h.store.member(h.ana.scope()).await.unwrap().unwrap();
    assert_eq!(ana.timezone, chrono_tz::Asia::Tokyo);
    assert!(h.say(&assistant, "/help").await.text.contains("/remind"));
}

#[tokio::test]
async fn when_the_model_is_down_the_message_is_kept_and_answered_only_on_retry() {
    let h = Harness::new().await;
    let (assistant, model) = h.scripted([ScriptedReply::Error(ModelErrorKind::Unreachable)]);
    let reply = h.say(&assistant, "what should I cook tonight?").await;
    assert!(reply.offline);
    assert!(reply.text.contains("offline"), "{}", reply.text);
    assert!(reply.text.contains("/retry"), "{}", reply.text);
    assert!(reply.text.contains("/remind"), "the commands are listed");

    // Back online: a new question does not bring up the kept one...
    model.push([ScriptedReply::text("Hello!")]);
    let hello = h.say(&assistant, "hello").await;
    assert_eq!(hello.text, "Hello!");
    let seen: Vec<String> = model.requests()[1]
        .messages
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert!(!seen.iter().any(|m| m.contains("cook tonight")), "{seen:?}");

    // ...until the member asks again.
    model.push([ScriptedReply::text("Pasta.")]);
    let retried = h.say(&assistant, "/retry").await;
    assert_eq!(retried.text, "Pasta.");
    let last = model
        .requests()
        .last()
        .unwrap()
        .messages
        .last()
        .unwrap()
        .content
        .clone();
    assert_eq!(last, "what should I cook tonight?");
    let again = h.say(&assistant, "/retry").await;
    assert_eq!(again.text, "There is no kept message to answer.");
}

#[tokio::test]
async fn commands_work_while_the_model_is_down() {
    let h = Harness::new().await;
    let (assistant, model) = h.scripted([ScriptedReply::Error(ModelErrorKind::Timeout)]);
    assert!(h.say(&assistant, "hi").await.offline);
    let set = h
        .say(&assistant, "/remind me in 30 minutes to check the oven")
        .await;
    assert_eq!(
        set.text,
        "Reminder set for Wed 18 Nov 11:45 (Europe/Berlin): check the oven"
    );
    assert_eq!(model.requests().len(), 1, "commands do not ask the model");
}

#[tokio::test]
async fn a_retry_while_still_offline_keeps_one_message_to_answer() {
    let h = Harness::new().await;
    let (assistant, model) = h.scripted([
        ScriptedReply::Error(ModelErrorKind::Unreachable),
        ScriptedReply::Error(ModelErrorKind::Unreachable),
    ]);
    h.say(&assistant, "what should I cook?").await;
    assert!(h.say(&assistant, "/retry").await.offline);
    model.push([
        ScriptedReply::text("Pasta."),
        ScriptedReply::text("Pasta again."),
    ]);
    assert_eq!(h.say(&assistant, "/retry").await.text, "Pasta.");
    assert_eq!(
        h.say(&assistant, "/retry").await.text,
        "There is no kept message to answer."
    );
}
