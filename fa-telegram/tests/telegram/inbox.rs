//! The inbox: an update is journaled before Telegram is told it arrived, so a stop at any moment
//! loses nothing and answers nothing twice.

use fa_core::llm::ScriptedReply;
use fa_core::*;
use fa_telegram::{SECRET_HEADER, webhook_router};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn an_update_journaled_by_a_stopped_process_is_answered_once_by_the_next() {
    let tg = Tg::new([ScriptedReply::text("Answered after the restart.")]).await;
    // A process journals the update (so the next getUpdates would confirm it to Telegram),
    // then stops before its engine takes it.
    let stopped = tg.another_process();
    let update = text_update(41, ANA, "Ana", "did you get this?").to_string();
    stopped.receive_json(&update).await.unwrap();
    drop(stopped);

    // The next process: Telegram redelivers the update (never confirmed), which is dropped as
    // already journaled; the replay answers it.
    let _app = tg.app(|b| b);
    tg.channel.receive_json(&update).await.unwrap();
    assert_eq!(tg.channel.replay(tg.clock.now()).await.unwrap(), 1);
    tg.wait_sent(ANA, "Answered after the restart.").await;
    eventually(async || {
        tg.store
            .unfinished_inbound(tg.home.id, "telegram", tg.clock.now(), 10)
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    assert!(
        tg.store
            .unfinished_inbound(tg.home.id, "telegram", tg.clock.now(), 10)
            .await
            .unwrap()
            .is_empty(),
        "the update is marked answered"
    );

    // Redelivered again, and replayed again: nothing more is sent.
    tg.channel.receive_json(&update).await.unwrap();
    assert_eq!(tg.channel.replay(tg.clock.now()).await.unwrap(), 0);
    let answers = tg.sent_to(ANA).await;
    assert_eq!(answers.len(), 1, "{answers:#?}");
    assert_eq!(tg.model.requests().len(), 1);
}

#[tokio::test]
async fn a_turn_interrupted_by_a_stop_is_reported_to_the_member_and_not_run_again() {
    let tg = Tg::new([ScriptedReply::text("must not be sent")]).await;
    let update = text_update(
        42,
        ANA,
        "Ana",
        "remind me tomorrow at 9 to water the plants",
    );
    assert!(
        tg.store
            .journal_inbound(tg.home.id, "telegram", "update:42", &update.to_string())
            .await
            .unwrap()
    );
    // The stopped process had begun the turn.
    assert_eq!(
        tg.store
            .begin_inbound(tg.home.id, "telegram", "update:42")
            .await
            .unwrap(),
        InboxBegin::Fresh
    );
    let app = tg.app(|b| b);
    assert_eq!(tg.channel.replay(tg.clock.now()).await.unwrap(), 1);
    let notice = tg
        .wait_sent(ANA, "I was restarted while handling your message")
        .await;
    assert!(
        plain(&notice["text"]).contains("“remind me tomorrow at 9 to water the plants”"),
        "{notice}"
    );
    assert!(tg.model.requests().is_empty(), "the turn was not run again");
    eventually(async || app.metrics().interrupted_turns == 1).await;
    assert_eq!(app.metrics().interrupted_turns, 1);
    assert_eq!(
        tg.store
            .begin_inbound(tg.home.id, "telegram", "update:42")
            .await
            .unwrap(),
        InboxBegin::Done
    );
}

#[tokio::test]
async fn polling_confirms_an_update_only_once_it_is_journaled() {
    let tg = Tg::new([ScriptedReply::text("Got it.")]).await;
    let _app = tg.app(|b| b);
    tg.updates
        .push(json!([text_update(50, ANA, "Ana", "first")]));
    // Telegram redelivers update 50 (as after a stop before the confirming call) with 51.
    tg.updates.push(json!([
        text_update(50, ANA, "Ana", "first"),
        text_update(51, ANA, "Ana", "second")
    ]));
    tg.poll();
    tg.wait_sent(ANA, "Got it.").await;
    let polls = tg.wait_calls("getUpdates", 3).await;
    assert_eq!(polls[1]["offset"], 51);
    assert_eq!(polls[2]["offset"], 52);
    eventually(async || tg.model.requests().len() == 2).await;
    let asked: Vec<String> = tg
        .model
        .requests()
        .iter()
        .map(|r| r.messages.last().unwrap().content.clone())
        .collect();
    assert_eq!(asked, ["first", "second"], "update 50 was answered once");
}

#[tokio::test]
async fn a_webhook_update_that_cannot_be_journaled_is_refused_so_telegram_retries() {
    let tg = Tg::new([ScriptedReply::text("kept")]).await;
    // A channel journaling into a household the store does not have: every write fails.
    let api = fa_telegram::BotApi::new(&tg.server.uri(), &Secret::new(TOKEN)).unwrap();
    let sender = fa_telegram::TelegramSender::new(api, tg.clock.clone()).with_throttle(None);
    let journal =
        fa_core::engine::InboundJournal::new(tg.store.clone(), HouseholdId::new(), "telegram");
    let broken = fa_telegram::TelegramChannel::journaled(std::sync::Arc::new(sender), journal);
    let router = webhook_router(broken.clone(), "/hook", Secret::new("s3cret"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let status = reqwest::Client::new()
        .post(&url)
        .header(SECRET_HEADER, "s3cret")
        .body(text_update(60, ANA, "Ana", "hello").to_string())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 503, "not acknowledged");
    assert_eq!(broken.update_stats().received, 0, "nothing was passed on");
}
