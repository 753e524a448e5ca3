//! fa on Telegram end to end: a mock Bot API, the real engine, store and scheduler on a manual
//! clock, and a scripted model.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod calendar;
mod inbox;
mod support;

use std::sync::Arc;
use std::time::Duration;

use fa_core::engine::ChannelNotifier;
use fa_core::llm::ScriptedReply;
use fa_core::scheduler::{JobRegistry, NewJob, Notifier, Scheduler, StoreScheduler, Trigger};
use fa_core::*;
use fa_telegram::{BotApi, SECRET_HEADER, TelegramSender, webhook_router};
use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn a_polled_text_message_is_answered_with_send_message() {
    let tg = Tg::new([ScriptedReply::text("Hello Ana! All set (really).")]).await;
    let _app = tg.app(|b| b);
    tg.updates
        .push(json!([text_update(7, ANA, "Ana", "hi there")]));
    tg.poll();

    let sent = tg.wait_sent(ANA, "Hello Ana! All set (really).").await;
    // MarkdownV2 with every special character escaped.
    assert_eq!(sent["parse_mode"], "MarkdownV2");
    assert_eq!(sent["text"], "Hello Ana\\! All set \\(really\\)\\.");
    let typing = tg.calls("sendChatAction").await;
    assert!(
        typing
            .iter()
            .any(|b| b["chat_id"] == ANA && b["action"] == "typing"),
        "{typing:?}"
    );
    // The next poll confirms the update: offset = update_id + 1.
    let polls = tg.wait_calls("getUpdates", 2).await;
    assert_eq!(polls[0]["offset"], 0);
    assert_eq!(polls[1]["offset"], 8);
    assert_eq!(
        polls[0]["allowed_updates"],
        json!([
            "message",
            "edited_message",
            "callback_query",
            "my_chat_member"
        ])
    );
    // The model saw the member's text.
    let requests = tg.model.requests();
    let last = requests[0].messages.last().unwrap();
    assert_eq!(last.content, "hi there");
}

#[tokio::test]
async fn a_proposal_is_confirmed_with_its_inline_button() {
    let tg = Tg::new([
        ScriptedReply::call(
            "create_reminder",
            json!({"text": "water the plants", "when": "in 5 minutes"}),
        ),
        ScriptedReply::text("I can set that for you."),
    ])
    .await;
    let _app = tg.app(|b| b);
    tg.channel
        .ingest(text_update(
            1,
            ANA,
            "Ana",
            "remind me to water the plants in 5 minutes",
        ))
        .await;
    let shown = tg
        .wait_sent(ANA, "Remind you Wed 18 Nov 11:20: water the plants")
        .await;
    let buttons = &shown["reply_markup"]["inline_keyboard"][0];
    assert_eq!(buttons[0]["text"], "✅ Confirm");
    assert_eq!(buttons[1]["text"], "✏️ Edit");
    assert_eq!(buttons[2]["text"], "✖️ Cancel");
    let confirm = buttons[0]["callback_data"].as_str().unwrap().to_owned();
    assert!(
        confirm.starts_with("c:") && confirm.len() <= 64,
        "{confirm}"
    );
    assert!(
        tg.store
            .pending_action(
                tg.ana.scope(),
                confirm[2..].parse::<uuid::Uuid>().unwrap().into()
            )
            .await
            .unwrap()
            .is_some()
    );
    // Nothing is scheduled before the tap.
    let scheduler = StoreScheduler::new(tg.store.clone(), JobRegistry::with_builtins());
    assert!(scheduler.jobs(tg.ana.scope()).await.unwrap().is_empty());

    tg.channel
        .ingest(callback_update(2, ANA, "Ana", &confirm))
        .await;
    tg.wait_sent(ANA, "Reminder set for Wed 18 Nov 11:20").await;
    let answered = tg.calls("answerCallbackQuery").await;
    assert_eq!(answered, vec![json!({ "callback_query_id": "cb2" })]);
    assert_eq!(scheduler.jobs(tg.ana.scope()).await.unwrap().len(), 1);

    // A second tap on the same button changes nothing.
    tg.channel
        .ingest(callback_update(3, ANA, "Ana", &confirm))
        .await;
    tg.wait_calls("answerCallbackQuery", 2).await;
    tg.wait_sent(ANA, "already").await;
    assert_eq!(scheduler.jobs(tg.ana.scope()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_voice_message_is_downloaded_transcribed_and_answered_with_the_transcript() {
    let tg = Tg::new([ScriptedReply::text("Milk is on the list.")]).await;
    // getFile: https://core.telegram.org/bots/api#getfile (File object).
    Mock::given(method("POST"))
        .and(path_regex(bot_path("getFile")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "result": { "file_id": "VOICE-1", "file_unique_id": "U1", "file_size": 5, "file_path": "voice/file_7.oga" }
        })))
        .mount(&tg.server)
        .await;
    // https://core.telegram.org/bots/api#file: https://api.telegram.org/file/bot<token>/<file_path>
    Mock::given(method("GET"))
        .and(path(format!("/file/bot{TOKEN}/voice/file_7.oga")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"OggS\x00".to_vec()))
        .mount(&tg.server)
        .await;
    // https://platform.openai.com/docs/api-reference/audio/createTranscription (json).
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "text": "add milk to the list" })),
        )
        .mount(&tg.server)
        .await;
    let transcriber = transcription::OpenAiTranscriber::new(
        transcription::TranscriberOptions::new(format!("{}/v1", tg.server.uri())),
    )
    .unwrap();
    let _app = tg.app(|b| b.transcriber(Arc::new(transcriber)));
    let mut update = message(9, ANA, "Ana");
    update["voice"] = json!({ "file_id": "VOICE-1", "file_unique_id": "U1", "duration": 2, "mime_type": "audio/ogg", "file_size": 5 });
    tg.channel
        .ingest(json!({ "update_id": 9, "message": update }))
        .await;

    let reply = tg.wait_sent(ANA, "Milk is on the list.").await;
    assert_eq!(
        plain(&reply["text"]),
        "🎙 “add milk to the list”\n\nMilk is on the list."
    );
    let requests = tg.server.received_requests().await.unwrap();
    let upload = requests
        .iter()
        .find(|r| r.url.path() == "/v1/audio/transcriptions")
        .unwrap();
    assert!(
        upload.body.windows(5).any(|w| w == b"OggS\x00"),
        "the downloaded audio was not sent"
    );
    assert_eq!(
        tg.model.requests()[0].messages.last().unwrap().content,
        "add milk to the list"
    );
}

#[tokio::test]
async fn a_forwarded_message_is_handed_to_the_assistant_as_content_to_act_on() {
    let tg = Tg::new([ScriptedReply::text("Noted.")]).await;
    let _app = tg.app(|b| b);
    let mut forwarded = message(4, ANA, "Ana");
    forwarded["text"] = json!("Parents' evening on Thursday at 6pm");
    forwarded["forward_origin"] = json!({ "type": "user", "date": 1_794_990_000, "sender_user": user(3003, "Carla", Some("Diaz")) });
    tg.channel
        .ingest(json!({ "update_id": 4, "message": forwarded }))
        .await;
    tg.wait_sent(ANA, "Noted.").await;
    let seen = tg.model.requests()[0]
        .messages
        .last()
        .unwrap()
        .content
        .clone();
    assert!(
        seen.starts_with("[Forwarded message from Carla Diaz] Parents' evening on Thursday at 6pm"),
        "{seen}"
    );
    // A hidden sender and a channel origin are named as well.
    for (origin, name) in [
        (
            json!({ "type": "hidden_user", "date": 1, "sender_user_name": "Mystery" }),
            "Mystery",
        ),
        (
            json!({ "type": "channel", "date": 1, "chat": { "id": -100_777, "type": "channel", "title": "School news" }, "message_id": 5 }),
            "the channel School news",
        ),
    ] {
        tg.model.push([ScriptedReply::text("Ok.")]);
        let mut m = message(5, ANA, "Ana");
        m["text"] = json!("Bake sale");
        m["forward_origin"] = origin;
        tg.channel
            .ingest(json!({ "update_id": 5, "message": m }))
            .await;
        for _ in 0..500 {
            if tg
                .model
                .requests()
                .iter()
                .any(|r| r.messages.last().unwrap().content.contains(name))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(tg.model.requests().iter().any(|r| {
            r.messages
                .last()
                .unwrap()
                .content
                .contains(&format!("[Forwarded message from {name}]"))
        }));
    }
}

#[tokio::test]
async fn an_edited_message_is_answered_as_a_correction() {
    let tg = Tg::new([ScriptedReply::text("Got the correction.")]).await;
    let _app = tg.app(|b| b);
    let mut edited = message(11, ANA, "Ana");
    edited["text"] = json!("dinner at 8, not 7");
    edited["edit_date"] = json!(1_795_000_100);
    tg.channel
        .ingest(json!({ "update_id": 11, "edited_message": edited }))
        .await;
    tg.wait_sent(ANA, "Got the correction.").await;
    let seen = tg.model.requests()[0]
        .messages
        .last()
        .unwrap()
        .content
        .clone();
    assert!(
        seen.contains("edited") && seen.ends_with("dinner at 8, not 7"),
        "{seen}"
    );
}

#[tokio::test]
async fn a_stranger_is_refused_once_and_nothing_about_them_is_stored() {
    let tg = Tg::new([ScriptedReply::text("never")]).await;
    let app = tg.app(|b| b);
    for id in [1, 2, 3] {
        tg.channel
            .ingest(text_update(id, 5555, "Eve", "hello, who are you?"))
            .await;
    }
    tg.wait_sent(5555, "not a member").await;
    // The other two are ignored: wait until the engine has seen all three.
    for _ in 0..500 {
        if app.metrics().unknown_senders == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(app.metrics().unknown_senders, 3);
    assert_eq!(tg.sent_to(5555).await.len(), 1);
    assert!(
        tg.model.requests().is_empty(),
        "the model saw a stranger's message"
    );
    assert!(
        tg.store
            .member_by_identity(&ChannelIdentity::new("telegram", "5555"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(tg.store.members(tg.home.id).await.unwrap().len(), 2);
    for member in [&tg.ana, &tg.ben] {
        let export = export_member(tg.store.as_ref(), member.scope())
            .await
            .unwrap();
        assert!(
            !export.to_string().contains("who are you"),
            "a stranger's text was stored"
        );
    }
}

#[tokio::test]
async fn the_setup_code_makes_the_owner_and_invites_work_once() {
    let tg = Tg::new([]).await;
    // A household whose owner is not on Telegram yet.
    let owner = tg
        .store
        .add_member(tg.home.id, NewMember::new("Olga", Role::Guest))
        .await
        .unwrap();
    let _ = owner;
    let fresh = tg.store.create_household("Second home").await.unwrap();
    let olga = tg
        .store
        .add_member(
            fresh.id,
            NewMember::new("Olga", Role::Owner).with_timezone("Europe/Vienna"),
        )
        .await
        .unwrap();
    let _app = tg.app(|b| b.owner_setup_code(olga.scope(), Secret::new("SETUPCODE123")));

    tg.channel
        .ingest(text_update(1, 7001, "Olga", "/start WRONGCODE"))
        .await;
    tg.wait_sent(7001, "not a member").await;
    tg.channel
        .ingest(text_update(2, 7001, "Olga", "/start SETUPCODE123"))
        .await;
    tg.wait_sent(7001, "Welcome, Olga! You are now an owner")
        .await;
    let member = tg
        .store
        .member_by_identity(&ChannelIdentity::new("telegram", "7001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.id, olga.id);

    // The code worked once.
    tg.channel
        .ingest(text_update(3, 7002, "Mallory", "/start SETUPCODE123"))
        .await;
    tg.wait_sent(7002, "not a member").await;

    // The owner invites a child.
    tg.channel
        .ingest(text_update(4, 7001, "Olga", "/invite child"))
        .await;
    let invite = tg.wait_sent(7001, "Invite code for one child").await;
    let text = plain(&invite["text"]);
    let code = text
        .split("/start ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    tg.channel
        .ingest(text_update(5, 7003, "Tim", &format!("/start {code}")))
        .await;
    tg.wait_sent(7003, "Welcome, Tim! You are now a child")
        .await;
    let tim = tg
        .store
        .member_by_identity(&ChannelIdentity::new("telegram", "7003"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (tim.role, tim.household_id, tim.timezone.name()),
        (Role::Child, fresh.id, "Europe/Vienna")
    );
    // Single use.
    tg.channel
        .ingest(text_update(6, 7004, "Zed", &format!("/start {code}")))
        .await;
    tg.wait_sent(7004, "not a member").await;
    assert!(
        tg.store
            .member_by_identity(&ChannelIdentity::new("telegram", "7004"))
            .await
            .unwrap()
            .is_none()
    );

    // Only the owner invites.
    tg.channel
        .ingest(text_update(7, 7003, "Tim", "/invite"))
        .await;
    tg.wait_sent(7003, "Only the household's owner can invite")
        .await;
}

#[tokio::test]
async fn the_webhook_refuses_a_wrong_or_missing_secret_and_processes_nothing() {
    let tg = Tg::new([ScriptedReply::text("Webhook works.")]).await;
    let _app = tg.app(|b| b);
    let router = webhook_router(
        tg.channel.clone(),
        "/telegram/webhook",
        Secret::new("s3cret-TOKEN_1"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/telegram/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let http = reqwest::Client::new();
    let update = text_update(21, ANA, "Ana", "via the webhook");

    let post = async |secret: Option<&str>, body: String| {
        let mut request = http.post(&url).body(body);
        if let Some(secret) = secret {
            request = request.header(SECRET_HEADER, secret);
        }
        request.send().await.unwrap().status()
    };
    let json = update.to_string();

    assert_eq!(post(None, json.clone()).await, 401);
    assert_eq!(post(Some("s3cret-TOKEN_2"), json.clone()).await, 401);
    assert_eq!(post(Some("s3cret-TOKEN_1x"), json.clone()).await, 401);
    assert_eq!(tg.channel.update_stats().received, 0);

    // Not JSON at all: skipped with a log line, 200 so Telegram does not resend it.
    assert_eq!(
        post(Some("s3cret-TOKEN_1"), "{not json".to_owned()).await,
        200
    );
    assert_eq!(post(Some("s3cret-TOKEN_1"), json).await, 200);
    tg.wait_sent(ANA, "Webhook works.").await;
    assert_eq!(tg.sent_to(ANA).await.len(), 1);
    assert_eq!(tg.model.requests().len(), 1);
}

#[tokio::test]
async fn a_malformed_update_is_skipped_with_a_log_line_and_polling_goes_on() {
    let logs = support::LogCapture::install();
    let tg = Tg::new([
        ScriptedReply::text("first answer"),
        ScriptedReply::text("second answer"),
    ])
    .await;
    let _app = tg.app(|b| b);
    tg.updates.push(json!([
        text_update(31, ANA, "Ana", "one"),
        { "update_id": 32, "message": { "message_id": "not a number", "chat": 5 } },
        { "no_update_id": true },
        text_update(33, ANA, "Ana", "two"),
    ]));
    tg.poll();
    tg.wait_sent(ANA, "first answer").await;
    tg.wait_sent(ANA, "second answer").await;
    let polls = tg.wait_calls("getUpdates", 2).await;
    assert_eq!(polls[1]["offset"], 34);
    let stats = tg.channel.update_stats();
    assert_eq!(stats.malformed, 2, "{stats:?}");
    let logged = logs.text();
    assert!(
        logged.contains("skipped an update that could not be read"),
        "{logged}"
    );
    assert!(logged.contains("update_id=Some(32)"), "{logged}");
    assert!(
        logged.contains("skipped an update without an update_id"),
        "{logged}"
    );
    assert!(!logged.contains(TOKEN), "the token was logged");
}

#[tokio::test]
async fn flood_control_retry_after_is_obeyed_on_the_manual_clock() {
    let tg = Tg::new([]).await;
    Mock::given(method("POST"))
        .and(path_regex(bot_path("sendMessage")))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({
            "ok": false, "error_code": 429,
            "description": "Too Many Requests: retry after 5",
            "parameters": { "retry_after": 5 }
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&tg.server)
        .await;
    let sender = tg.channel.sender().clone();
    let sending = tokio::spawn(async move {
        sender
            .send_message(ANA, json!({ "text": "hello" }), None)
            .await
    });
    tg.wait_calls("sendMessage", 1).await;
    // However long we wait in real time, nothing is retried before the clock says so.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(tg.calls("sendMessage").await.len(), 1);
    tg.clock.advance(chrono::Duration::seconds(4));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(tg.calls("sendMessage").await.len(), 1);
    tg.clock.advance(chrono::Duration::seconds(1));
    let sent = sending.await.unwrap().unwrap();
    assert!(sent.message_id.is_some());
    assert_eq!(tg.calls("sendMessage").await.len(), 2);
    let stats = tg.channel.sender().stats();
    assert_eq!((stats.sent, stats.retried, stats.failed), (1, 1, 0));
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_handed_back_as_transient() {
    let tg = Tg::new([]).await;
    Mock::given(method("POST"))
        .and(path_regex(bot_path("sendMessage")))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .with_priority(1)
        .mount(&tg.server)
        .await;
    let sender = tg.channel.sender().clone();
    let sending = tokio::spawn(async move {
        sender
            .send_message(ANA, json!({ "text": "hi" }), None)
            .await
    });
    // Backoff 1 s, 2 s, 4 s on the manual clock: 4 attempts in all.
    for (attempts, wait) in [(1, 1), (2, 2), (3, 4)] {
        tg.wait_calls("sendMessage", attempts).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(tg.calls("sendMessage").await.len(), attempts);
        tg.clock.advance(chrono::Duration::seconds(wait));
    }
    let error = sending.await.unwrap().unwrap_err();
    assert_eq!(tg.calls("sendMessage").await.len(), 4);
    assert_eq!(
        error.kind,
        fa_core::scheduler::DeliveryErrorKind::Transient,
        "{error:?}"
    );
}

#[tokio::test]
async fn a_member_who_blocked_the_bot_is_marked_unreachable_and_the_owner_is_told() {
    let tg = Tg::new([]).await;
    Mock::given(method("POST"))
        .and(path_regex(bot_path("sendMessage")))
        .and(wiremock::matchers::body_partial_json(
            json!({ "chat_id": BEN }),
        ))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"
        })))
        .with_priority(1)
        .mount(&tg.server)
        .await;
    let _app = tg.app(|b| b);
    let scheduler = StoreScheduler::new(tg.store.clone(), JobRegistry::with_builtins())
        .with_clock(tg.clock.clone());
    scheduler
        .schedule(
            tg.ben.scope(),
            NewJob::reminder(
                "take out the bins",
                Trigger::once(now() + chrono::Duration::minutes(1)),
            ),
        )
        .await
        .unwrap();
    tg.clock.advance(chrono::Duration::minutes(1));
    tg.wait_sent(ANA, "Ben blocked me on telegram").await;
    let unreachable = tg.store.unreachable_identities(tg.home.id).await.unwrap();
    assert_eq!(unreachable.len(), 1);
    assert_eq!(
        (
            unreachable[0].member_id,
            unreachable[0].identity.external_id.as_str()
        ),
        (tg.ben.id, "2002")
    );
    assert_eq!(tg.channel.sender().stats().blocked, 1);

    // Unblocking (my_chat_member: kicked → member) makes Ben reachable again.
    let change = |old: &str, new: &str| {
        json!({
            "update_id": 90,
            "my_chat_member": {
                "chat": private_chat(BEN, "Ben"), "from": user(BEN, "Ben", None), "date": 1_795_000_500,
                "old_chat_member": { "status": old, "user": { "id": 42, "is_bot": true, "first_name": "Family" }, "until_date": 0 },
                "new_chat_member": { "status": new, "user": { "id": 42, "is_bot": true, "first_name": "Family" }, "until_date": 0 }
            }
        })
    };
    tg.channel.ingest(change("kicked", "member")).await;
    eventually(async || tg.unreachable().await == 0).await;
    assert_eq!(tg.unreachable().await, 0);
    tg.channel.ingest(change("member", "kicked")).await;
    eventually(async || tg.unreachable().await == 1).await;
    assert_eq!(tg.unreachable().await, 1);
}

#[tokio::test]
async fn a_reminder_is_delivered_through_the_sender_with_a_receipt_and_done_from_its_button() {
    let tg = Tg::new([]).await;
    let _app = tg.app(|b| b);
    let scheduler = StoreScheduler::new(tg.store.clone(), JobRegistry::with_builtins())
        .with_clock(tg.clock.clone());
    let job = scheduler
        .schedule(
            tg.ana.scope(),
            NewJob::reminder(
                "call grandma",
                Trigger::once(now() + chrono::Duration::minutes(10)),
            ),
        )
        .await
        .unwrap();
    tg.clock.advance(chrono::Duration::minutes(10));
    let sent = tg.wait_sent(ANA, "⏰ call grandma").await;
    let row = &sent["reply_markup"]["inline_keyboard"][0];
    assert_eq!(row[0]["text"], "✓ Done");
    assert_eq!(row[1]["text"], "💤 10 min");
    assert_eq!(row[2]["text"], "💤 1 h");
    let occurrence = {
        let mut found = None;
        for _ in 0..500 {
            let history = scheduler.history(tg.ana.scope(), job.id, 5).await.unwrap();
            if let Some(o) = history.into_iter().find(|o| o.notification_id.is_some()) {
                let receipts = scheduler.deliveries(tg.ana.scope(), o.id).await.unwrap();
                if !receipts.is_empty() {
                    found = Some((o, receipts));
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        found.expect("no delivery receipt was written")
    };
    let (occurrence, receipts) = occurrence;
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].status, DeliveryStatus::Sent);
    let done = row[0]["callback_data"].as_str().unwrap();
    assert_eq!(done, format!("d:{}", occurrence.notification_id.unwrap()));

    tg.channel
        .ingest(callback_update(40, ANA, "Ana", done))
        .await;
    tg.wait_sent(ANA, "✓ Done: call grandma").await;
    let history = scheduler.history(tg.ana.scope(), job.id, 5).await.unwrap();
    assert!(
        history.iter().any(|o| o.acknowledged_at.is_some()),
        "{history:?}"
    );
}

#[tokio::test]
async fn a_redelivered_occurrence_is_not_sent_twice() {
    let tg = Tg::new([]).await;
    let notification = tg
        .store
        .enqueue_notification(
            tg.ana.scope(),
            NewNotification::new(
                fa_core::scheduler::DEFAULT_CHANNEL,
                format!("job:{}:1795000000000000", uuid::Uuid::now_v7()),
                "feed the cat",
            ),
        )
        .await
        .unwrap();
    let notifier = ChannelNotifier::new(tg.store.clone(), vec![tg.channel.clone()]);
    let first = notifier.deliver(&notification).await.unwrap();
    let again = notifier.deliver(&notification).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(tg.sent_to(ANA).await.len(), 1);
    assert_eq!(tg.channel.sender().stats().duplicates, 1);
}

#[tokio::test]
async fn long_replies_are_split_below_the_limit_and_nothing_is_lost() {
    let paragraph = "Step 1. Mix (gently) 2-3 eggs_with *sugar*; then [bake] at 180°C! ";
    let long = paragraph.repeat(120);
    let tg = Tg::new([ScriptedReply::text(long.clone())]).await;
    let _app = tg.app(|b| b);
    tg.channel
        .ingest(text_update(50, ANA, "Ana", "recipe please"))
        .await;
    // Streamed: the first words are sent, then the message is edited to the whole text, which
    // continues in new messages past Telegram's limit.
    let first = tg.wait_sent(ANA, "Step").await;
    tg.wait_calls("sendMessage", 3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = tg.sent_to(ANA).await;
    let edits = tg.calls("editMessageText").await;
    let first_id = edits.first().map(|e| e["message_id"].clone()).unwrap();
    let head = edits
        .iter()
        .rev()
        .find(|e| e["message_id"] == first_id)
        .unwrap();
    assert_eq!(sent[0]["text"], first["text"]);
    let mut parts = vec![head.clone()];
    parts.extend(sent[1..].iter().cloned());
    assert!(parts.len() >= 3, "{}", parts.len());
    let mut joined = String::new();
    for part in &parts {
        let text = part["text"].as_str().unwrap();
        assert!(text.encode_utf16().count() <= 4096);
        assert_eq!(part["parse_mode"], "MarkdownV2");
        joined.push_str(&plain(&part["text"]));
    }
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(squash(&joined), squash(&long));
}

#[tokio::test]
async fn sends_keep_to_telegrams_per_chat_and_global_limits() {
    let tg = Tg::new([]).await;
    let api = BotApi::new(&tg.server.uri(), &Secret::new(TOKEN)).unwrap();
    let sender = Arc::new(TelegramSender::new(api, tg.clock.clone()));
    let send = |chat: i64, text: &'static str| {
        let sender = sender.clone();
        tokio::spawn(async move {
            sender
                .send_message(chat, json!({ "text": text }), None)
                .await
        })
    };
    let a1 = send(ANA, "a1");
    tg.wait_calls("sendMessage", 1).await;
    // A second message to the same chat waits a second; one to another chat only 1/30 s.
    let a2 = send(ANA, "a2");
    let b1 = send(BEN, "b1");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(tg.calls("sendMessage").await.len(), 1);
    tg.clock.advance(chrono::Duration::milliseconds(34));
    tg.wait_calls("sendMessage", 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let texts: Vec<Value> = tg
        .calls("sendMessage")
        .await
        .iter()
        .map(|b| b["text"].clone())
        .collect();
    assert_eq!(texts, vec![json!("a1"), json!("b1")]);
    tg.clock.advance(chrono::Duration::milliseconds(966));
    tg.wait_calls("sendMessage", 3).await;
    for handle in [a1, a2, b1] {
        handle.await.unwrap().unwrap();
    }
    // A group chat (negative id) gets one message per 3 s.
    let g1 = send(-100_500, "g1");
    tg.clock.advance(chrono::Duration::milliseconds(34));
    tg.wait_calls("sendMessage", 4).await;
    let g2 = send(-100_500, "g2");
    tg.clock.advance(chrono::Duration::seconds(2));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(tg.calls("sendMessage").await.len(), 4);
    tg.clock.advance(chrono::Duration::seconds(1));
    tg.wait_calls("sendMessage", 5).await;
    g1.await.unwrap().unwrap();
    g2.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_non_member_event_and_an_unknown_callback_change_nothing() {
    let tg = Tg::new([]).await;
    let app = tg.app(|b| b);
    tg.channel
        .ingest(callback_update(60, ANA, "Ana", "zz:nonsense"))
        .await;
    // A stranger blocks the bot: nothing to record, nobody to tell.
    tg.channel
        .ingest(json!({
            "update_id": 61,
            "my_chat_member": {
                "chat": private_chat(9, "Eve"), "from": user(9, "Eve", None), "date": 1_795_000_500,
                "old_chat_member": { "status": "member", "user": { "id": 42, "is_bot": true, "first_name": "Family" } },
                "new_chat_member": { "status": "kicked", "user": { "id": 42, "is_bot": true, "first_name": "Family" }, "until_date": 0 }
            }
        }))
        .await;
    tg.wait_calls("answerCallbackQuery", 1).await;
    for _ in 0..500 {
        if app.metrics().inbound == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The unknown callback data was not passed on; the stranger's event was, and dropped.
    assert_eq!(app.metrics().inbound, 1);
    assert!(tg.calls("sendMessage").await.is_empty());
    assert!(
        tg.store
            .unreachable_identities(tg.home.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_bot_token_never_reaches_errors_or_debug_output() {
    let api = BotApi::new("http://127.0.0.1:9", &Secret::new(TOKEN)).unwrap();
    let error = api.call::<Value>("getMe", &json!({})).await.unwrap_err();
    assert!(!error.to_string().contains("TEST-token"), "{error}");
    assert!(!format!("{error:?}").contains("TEST-token"));
    let sender = TelegramSender::new(api, Arc::new(SystemClock));
    assert!(!format!("{sender:?}").contains("TEST-token"));
}
