//! Voice → event → confirm on the Telegram mock: the voice message is transcribed, the scripted
//! model turns it into a `create_event` call, the preview shows the clash with an event already
//! in Ana's Google calendar and waits for the button, and the confirmed event is created with
//! a link. A forwarded message takes the same road.
//!
//! Google's side is a wiremock server with bodies from Google's reference (the fixtures of
//! fa-calendar, tests/fixtures/google/SOURCES.md and tests/fixtures/oauth/SOURCES.md): the
//! token endpoint, `calendarList.list`, `events.list`
//! (<https://developers.google.com/calendar/api/v3/reference/events/list>) and `events.insert`
//! (<https://developers.google.com/calendar/api/v3/reference/events/insert>, which answers
//! the Event resource it made).

use std::sync::Arc;

use fa_calendar::accounts::{CalendarApps, OAuthApp, Provider};
use fa_calendar::integration::CalendarIntegration;
use fa_core::llm::ScriptedReply;
use fa_core::*;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::*;

fn google_fixture(dir: &str, name: &str) -> Value {
    let path = format!(
        "{}/../fa-calendar/tests/fixtures/{dir}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `events.insert` answers the Event resource it made: the fixture's, with the request's
/// title, start and end.
struct Inserted;

impl Respond for Inserted {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let asked: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let mut made = google_fixture("google", "event_inserted.json");
        for key in ["summary", "start", "end"] {
            made[key] = asked[key].clone();
        }
        made["location"] = asked["location"].clone();
        ResponseTemplate::new(200).set_body_json(made)
    }
}

const TOKEN_PATH: &str = "/oauth2/token";

/// Ana's Google calendar, signed in through the OAuth flow against the mock, and the Google
/// API's answers: one event ("School run", Thu 19 Nov 15:30–16:30 Berlin) on the calendar.
async fn google_for_ana(tg: &Tg) -> CalendarIntegration {
    let server = &tg.server;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(google_fixture("oauth", "google_token.json")),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/calendar/v3/users/me/calendarList"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(google_fixture("google", "calendar_list.json")),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/calendar/v3/calendars/[^/]+/events$"))
        .and(header(
            "Authorization",
            "Bearer ya29.a0AfB_byC-test-access-token",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "calendar#events",
            "summary": "ana@example.com",
            "timeZone": "Europe/Berlin",
            "items": [{
                "kind": "calendar#event",
                "etag": "\"3422100000000000\"",
                "id": "school0run0k9n2q5s8v1y4b7e",
                "status": "confirmed",
                "htmlLink": "https://www.google.com/calendar/event?eid=c2Nob29sMHJ1bg",
                "summary": "School run",
                "start": { "dateTime": "2026-11-19T15:30:00+01:00", "timeZone": "Europe/Berlin" },
                "end": { "dateTime": "2026-11-19T16:30:00+01:00", "timeZone": "Europe/Berlin" }
            }]
        })))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/calendar/v3/calendars/[^/]+/events$"))
        .respond_with(Inserted)
        .mount(server)
        .await;

    let apps = CalendarApps::new()
        .public_url("https://fa.example.org")
        .google(
            OAuthApp::new("1234.apps.googleusercontent.com", Secret::new("app-secret")).endpoints(
                format!("{}/o/oauth2/v2/auth", server.uri()),
                format!("{}{TOKEN_PATH}", server.uri()),
            ),
        )
        .api_endpoints(server.uri(), server.uri());
    let vault = Arc::new(Vault::new(MasterKey::generate().unwrap()));
    let calendar =
        CalendarIntegration::new(tg.store.clone(), vault, apps).with_clock(tg.clock.clone());
    let link = calendar
        .accounts()
        .start_sign_in(tg.ana.scope(), Provider::Google)
        .await
        .unwrap();
    let state = link.url.split("state=").nth(1).unwrap().to_owned();
    calendar
        .accounts()
        .finish_sign_in(Provider::Google, &state, "4/0AeanS0b-code")
        .await
        .unwrap();
    calendar
}

async fn transcribes(tg: &Tg, text: &str) {
    {
        // getFile: https://core.telegram.org/bots/api#getfile (File object).
        Mock::given(method("POST"))
            .and(path_regex(bot_path("getFile")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "ok": true,
                "result": { "file_id": "VOICE-2", "file_unique_id": "U2", "file_size": 5, "file_path": "voice/file_8.oga" }
            })))
            .mount(&tg.server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/file/bot{TOKEN}/voice/file_8.oga")))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(b"OggS\x00".to_vec()))
            .mount(&tg.server)
            .await;
        // https://platform.openai.com/docs/api-reference/audio/createTranscription (json).
        Mock::given(method("POST"))
            .and(path("/v1/audio/transcriptions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "text": text })))
            .mount(&tg.server)
            .await;
    }
}

async fn inserts(tg: &Tg) -> Vec<Value> {
    tg.server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/events"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_voice_message_becomes_a_confirmed_event_with_the_clash_shown_and_a_link() {
    let tg = Tg::new([
        ScriptedReply::call(
            "create_event",
            json!({"title": "Dentist", "when": "thursday at 4pm", "duration_minutes": 60}),
        ),
        ScriptedReply::text("I'll add it once you confirm."),
    ])
    .await;
    let calendar = google_for_ana(&tg).await;
    transcribes(&tg, "dentist thursday at 4 in the afternoon for an hour").await;
    let transcriber = transcription::OpenAiTranscriber::new(
        transcription::TranscriberOptions::new(format!("{}/v1", tg.server.uri())),
    )
    .unwrap();
    let mut tools = assistant::tools::builtin_toolbox();
    calendar.add_tools(&mut tools).unwrap();
    let _app = tg.app(|b| {
        b.transcriber(Arc::new(transcriber))
            .tools(tools)
            .command(calendar.command())
    });

    let mut update = message(11, ANA, "Ana");
    update["voice"] = json!({ "file_id": "VOICE-2", "file_unique_id": "U2", "duration": 3, "mime_type": "audio/ogg", "file_size": 5 });
    tg.channel
        .ingest(json!({ "update_id": 11, "message": update }))
        .await;

    // The preview: what, when, where to, and the clash; nothing is created yet.
    let preview = tg
        .wait_sent(
            ANA,
            "Add to Google Calendar (ana@example.com): Dentist, Thu 19 Nov 16:00–17:00 ⚠ overlaps: Thu 19 Nov 15:30–16:30 School run",
        )
        .await;
    assert_eq!(
        tg.model.requests()[0].messages.last().unwrap().content,
        "dentist thursday at 4 in the afternoon for an hour"
    );
    let buttons = &preview["reply_markup"]["inline_keyboard"][0];
    assert_eq!(buttons[0]["text"], "✅ Confirm");
    assert_eq!(buttons[1]["text"], "✏️ Edit");
    assert_eq!(buttons[2]["text"], "✖️ Cancel");
    assert!(inserts(&tg).await.is_empty());

    // Confirmed: created in Ana's calendar at 16:00 Berlin, and the link comes back.
    let confirm = buttons[0]["callback_data"].as_str().unwrap().to_owned();
    tg.channel
        .ingest(callback_update(12, ANA, "Ana", &confirm))
        .await;
    let done = tg
        .wait_sent(
            ANA,
            "Added in Google Calendar: Thu 19 Nov 16:00–17:00 Dentist.",
        )
        .await;
    assert!(
        plain(&done["text"]).contains(
            "Open it: https://www.google.com/calendar/event?eid=ZmEwZGVudGlzdDBrOW4ycTVzOHYxeTRiN2UgYW5hQGV4YW1wbGUuY29t"
        ),
        "{done}"
    );
    let made = inserts(&tg).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["summary"], "Dentist");
    assert_eq!(made[0]["start"]["dateTime"], "2026-11-19T16:00:00+01:00");
    assert_eq!(made[0]["start"]["timeZone"], "Europe/Berlin");
    assert_eq!(made[0]["end"]["dateTime"], "2026-11-19T17:00:00+01:00");

    // A second tap creates nothing more.
    tg.channel
        .ingest(callback_update(13, ANA, "Ana", &confirm))
        .await;
    tg.wait_sent(ANA, "already").await;
    assert_eq!(inserts(&tg).await.len(), 1);
}

#[tokio::test]
async fn a_forwarded_invitation_becomes_an_event_preview_and_cancel_creates_nothing() {
    let tg = Tg::new([
        ScriptedReply::call(
            "create_event",
            json!({"title": "Parents' evening", "when": "thursday at 6pm", "duration_minutes": 90, "location": "School hall"}),
        ),
        ScriptedReply::text("Shall I add it?"),
    ])
    .await;
    let calendar = google_for_ana(&tg).await;
    let mut tools = assistant::tools::builtin_toolbox();
    calendar.add_tools(&mut tools).unwrap();
    let _app = tg.app(|b| b.tools(tools));
    let mut forwarded = message(21, ANA, "Ana");
    forwarded["text"] = json!("Parents' evening on Thursday at 6pm in the school hall");
    forwarded["forward_origin"] = json!({ "type": "user", "date": 1_794_990_000, "sender_user": user(3003, "Carla", Some("Diaz")) });
    tg.channel
        .ingest(json!({ "update_id": 21, "message": forwarded }))
        .await;
    let preview = tg
        .wait_sent(
            ANA,
            "Add to Google Calendar (ana@example.com): Parents' evening, Thu 19 Nov 18:00–19:30 @ School hall",
        )
        .await;
    assert!(!plain(&preview["text"]).contains("overlaps"), "{preview}");
    let cancel = preview["reply_markup"]["inline_keyboard"][0][2]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    tg.channel
        .ingest(callback_update(22, ANA, "Ana", &cancel))
        .await;
    tg.wait_calls("answerCallbackQuery", 1).await;
    tg.wait_sent(ANA, "Cancelled").await;
    assert!(inserts(&tg).await.is_empty());
}

#[tokio::test]
async fn the_oauth_routes_send_the_member_to_google_and_connect_once() {
    let tg = Tg::new([]).await;
    let calendar = google_for_ana(&tg).await;
    let accounts = calendar.accounts().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, fa_telegram::oauth::oauth_router(accounts))
            .await
            .unwrap()
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Ana connects a second Google account: /start redirects to Google with the state.
    let link = calendar
        .accounts()
        .start_sign_in(tg.ana.scope(), Provider::Google)
        .await
        .unwrap();
    let path_and_query = link.url.trim_start_matches("https://fa.example.org");
    let start = http
        .get(format!("{base}{path_and_query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/o/oauth2/v2/auth?", tg.server.uri())),
        "{location}"
    );
    let state = link.url.split("state=").nth(1).unwrap();
    assert!(location.contains("code_challenge="), "{location}");

    // Declined at Google: a page, nothing connected.
    let declined = http
        .get(format!(
            "{base}/oauth/google/callback?error=access_denied&state={state}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 200);
    assert!(
        declined
            .text()
            .await
            .unwrap()
            .contains("Nothing was connected")
    );

    // The callback connects; the same callback again is refused.
    let callback = format!("{base}/oauth/google/callback?state={state}&code=4%2F0AeanS0b-code");
    let first = http.get(&callback).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.text().await.unwrap().contains("Calendar connected"));
    let again = http.get(&callback).send().await.unwrap();
    assert_eq!(again.status(), 400);
    let page = again.text().await.unwrap();
    assert!(page.contains("already used"), "{page}");
    assert!(!page.contains(state), "the state is not echoed");

    // A forged state or an unknown provider gets a page, never a redirect.
    let forged = http
        .get(format!("{base}/oauth/google/start?state=x.y.z.w"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let unknown = http
        .get(format!("{base}/oauth/yahoo/start?state={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let connected = calendar
        .accounts()
        .connections(tg.ana.scope())
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.status == IntegrationStatus::Active)
        .count();
    assert_eq!(connected, 2);
}

#[tokio::test]
async fn edit_withdraws_the_preview_and_the_next_message_proposes_again() {
    let tg = Tg::new([
        // A call to a tool that changes state ends the turn with the preview.
        ScriptedReply::call(
            "create_event",
            json!({"title": "Dentist", "when": "thursday at 4pm"}),
        ),
        ScriptedReply::call(
            "create_event",
            json!({"title": "Dentist", "when": "thursday at 5pm"}),
        ),
    ])
    .await;
    let calendar = google_for_ana(&tg).await;
    let mut tools = assistant::tools::builtin_toolbox();
    calendar.add_tools(&mut tools).unwrap();
    let _app = tg.app(|b| b.tools(tools));
    tg.channel
        .ingest(text_update(31, ANA, "Ana", "dentist thursday at 4pm"))
        .await;
    let preview = tg.wait_sent(ANA, "Dentist, Thu 19 Nov 16:00–17:00").await;
    let row = &preview["reply_markup"]["inline_keyboard"][0];
    let (confirm, edit) = (
        row[0]["callback_data"].as_str().unwrap().to_owned(),
        row[1]["callback_data"].as_str().unwrap().to_owned(),
    );
    assert!(edit.starts_with("e:"), "{edit}");
    tg.channel
        .ingest(callback_update(32, ANA, "Ana", &edit))
        .await;
    tg.wait_sent(ANA, "What should change? (Add to Google Calendar")
        .await;
    // The withdrawn preview cannot be confirmed any more.
    tg.channel
        .ingest(callback_update(33, ANA, "Ana", &confirm))
        .await;
    tg.wait_sent(ANA, "already cancelled").await;
    assert!(inserts(&tg).await.is_empty());
    // The member says what to change; the model sees the question and proposes again.
    tg.channel
        .ingest(text_update(34, ANA, "Ana", "at 5pm instead"))
        .await;
    tg.wait_sent(ANA, "Dentist, Thu 19 Nov 17:00–18:00").await;
    let seen = &tg.model.requests()[1].messages;
    assert!(
        seen.iter().any(|m| m
            .content
            .starts_with("What should change? (Add to Google Calendar")),
        "{seen:?}"
    );
    assert_eq!(seen.last().unwrap().content, "at 5pm instead");
}
