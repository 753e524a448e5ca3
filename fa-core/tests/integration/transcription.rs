//! `OpenAiTranscriber` against a fake `POST /v1/audio/transcriptions` (wiremock). Every fixture
//! is shaped as a published document shows it; the comment above each one names the source.
//!
//! Sources:
//! - [openapi] OpenAI's API reference, github.com/openai/openai-openapi `openapi.yaml`
//!   (`createTranscription` examples, `CreateTranscriptionRequest`,
//!   `CreateTranscriptionResponseVerboseJson` example).
//! - [whisper.cpp] ggml-org/whisper.cpp `examples/server/server.cpp` (error bodies
//!   `{"error":"…"}`; `--inference-path`).
#![cfg(feature = "openai")]

use std::time::Duration;

use fa_core::llm::ModelErrorKind;
use fa_core::transcription::{Audio, OpenAiTranscriber, Transcriber, TranscriberOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Stands in for an Ogg/Opus voice note: the server under test never decodes it.
const VOICE: &[u8] = b"OggS\x00\x02fake-opus-voice-note\xff\xfe";

fn voice() -> Audio {
    Audio::new(VOICE.to_vec(), "voice.ogg", "audio/ogg")
}

fn transcriber(server: &MockServer) -> OpenAiTranscriber {
    OpenAiTranscriber::new(TranscriberOptions::new(format!("{}/v1", server.uri()))).unwrap()
}

async fn mount(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(response)
        .mount(server)
        .await;
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The value of the multipart text field `name`.
fn field(body: &[u8], name: &str) -> Option<String> {
    let body = String::from_utf8_lossy(body);
    let marker = format!("name=\"{name}\"\r\n\r\n");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find("\r\n")? + start;
    Some(body[start..end].to_owned())
}

#[tokio::test]
async fn sends_file_model_and_language_and_reads_json() {
    let server = MockServer::start().await;
    // [openapi] createTranscription, example "Default", response (json format).
    mount(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{
                "text": "Imagine the wildest idea that you've ever had, and you're curious about how it might scale to something that's a 100, a 1,000 times bigger. This is a place where you can get to do that.",
                "usage": {
                  "type": "tokens",
                  "input_tokens": 14,
                  "input_token_details": {
                    "text_tokens": 0,
                    "audio_tokens": 14
                  },
                  "output_tokens": 45,
                  "total_tokens": 59
                }
              }"#,
            "application/json",
        ),
    )
    .await;
    let transcriber = OpenAiTranscriber::new(
        TranscriberOptions::new(format!("{}/v1/", server.uri()))
            .model("gpt-4o-transcribe")
            .api_key("sk-audio-key"),
    )
    .unwrap();

    // A member's BCP 47 locale goes out as its ISO-639-1 language.
    let transcript = transcriber
        .transcribe(voice(), Some("de-AT"))
        .await
        .unwrap();

    assert!(transcript.text.starts_with("Imagine the wildest idea"));
    assert!(transcript.text.ends_with("get to do that."));
    assert_eq!(transcript.language, None);
    assert_eq!(transcript.duration, None);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        "Bearer sk-audio-key"
    );
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    // [openapi] CreateTranscriptionRequest: file, model, language, response_format.
    let body = &request.body;
    assert_eq!(field(body, "model").as_deref(), Some("gpt-4o-transcribe"));
    assert_eq!(field(body, "language").as_deref(), Some("de"));
    assert_eq!(field(body, "response_format").as_deref(), Some("json"));
    assert!(
        contains(
            body,
            b"name=\"file\"; filename=\"voice.ogg\"\r\nContent-Type: audio/ogg\r\n\r\n"
        ),
        "{}",
        String::from_utf8_lossy(body)
    );
    assert!(contains(body, VOICE));
}

#[tokio::test]
async fn without_a_hint_or_key_neither_is_sent() {
    let server = MockServer::start().await;
    // [openapi] CreateTranscriptionResponseJson: `text` is the one required field.
    mount(
        &server,
        ResponseTemplate::new(200).set_body_raw(r#"{"text":" Hallo Welt."}"#, "application/json"),
    )
    .await;

    let transcript = transcriber(&server)
        .transcribe(voice(), None)
        .await
        .unwrap();

    assert_eq!(transcript.text, "Hallo Welt.");
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
    assert_eq!(field(&requests[0].body, "language"), None);
    assert_eq!(
        field(&requests[0].body, "model").as_deref(),
        Some("whisper-1")
    );
}

#[tokio::test]
async fn reads_verbose_json() {
    let server = MockServer::start().await;
    // [openapi] CreateTranscriptionResponseVerboseJson, x-oaiMeta example (its "..." segment
    // elision dropped).
    mount(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{
                "task": "transcribe",
                "language": "english",
                "duration": 8.470000267028809,
                "text": "The beach was a popular spot on a hot summer day. People were swimming in the ocean, building sandcastles, and playing beach volleyball.",
                "segments": [
                  {
                    "id": 0,
                    "seek": 0,
                    "start": 0.0,
                    "end": 3.319999933242798,
                    "text": " The beach was a popular spot on a hot summer day.",
                    "tokens": [
                      50364, 440, 7534, 390, 257, 3743, 4008, 322, 257, 2368, 4266, 786, 13, 50530
                    ],
                    "temperature": 0.0,
                    "avg_logprob": -0.2860786020755768,
                    "compression_ratio": 1.2363636493682861,
                    "no_speech_prob": 0.00985979475080967
                  }
                ],
                "usage": {
                  "type": "duration",
                  "seconds": 9
                }
              }"#,
            "application/json",
        ),
    )
    .await;

    let transcript = transcriber(&server)
        .transcribe(voice(), None)
        .await
        .unwrap();

    assert!(transcript.text.starts_with("The beach was a popular spot"));
    assert_eq!(transcript.language.as_deref(), Some("english"));
    let duration = transcript.duration.unwrap();
    assert!(
        (duration.as_secs_f64() - 8.47).abs() < 0.001,
        "{duration:?}"
    );
}

#[tokio::test]
async fn oversized_audio_is_refused_without_a_request() {
    let server = MockServer::start().await;
    let transcriber = OpenAiTranscriber::new(
        TranscriberOptions::new(format!("{}/v1", server.uri())).max_bytes(VOICE.len() - 1),
    )
    .unwrap();

    let error = transcriber
        .transcribe(voice(), Some("de"))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::Rejected);
    assert!(error.to_string().contains("shorter recording"), "{error}");
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn empty_audio_is_refused_without_a_request() {
    let server = MockServer::start().await;

    let error = transcriber(&server)
        .transcribe(Audio::new(Vec::new(), "voice.ogg", "audio/ogg"), None)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::Rejected);
    assert!(
        error
            .to_string()
            .to_lowercase()
            .contains("the audio is empty"),
        "{error}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_server_failure_is_server_error() {
    let server = MockServer::start().await;
    // [whisper.cpp] server.cpp inference handler: 500 with {"error":"failed to process audio"}.
    mount(
        &server,
        ResponseTemplate::new(500)
            .set_body_raw(r#"{"error":"failed to process audio"}"#, "application/json"),
    )
    .await;

    let error = transcriber(&server)
        .transcribe(voice(), None)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ServerError);
    assert!(
        error.to_string().contains("failed to process audio"),
        "{error}"
    );
    assert!(error.is_offline());
}

#[tokio::test]
async fn a_missing_endpoint_points_at_inference_path() {
    // [whisper.cpp] a whisper-server started without --inference-path serves /inference only;
    // /v1/audio/transcriptions answers 404.
    let server = MockServer::start().await;

    let error = transcriber(&server)
        .transcribe(voice(), None)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::Rejected);
    assert!(error.to_string().contains("--inference-path"), "{error}");
}

#[tokio::test]
async fn rate_limiting_and_keys() {
    let server = MockServer::start().await;
    // [openapi] createTranscription lists a 429 (TooManyRequests); body per
    // components.schemas.ErrorResponse.
    mount(
        &server,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "3")
            .set_body_raw(
                r#"{"error":{"message":"Rate limit reached for whisper-1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
                "application/json",
            ),
    )
    .await;

    let error = transcriber(&server)
        .transcribe(voice(), None)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));

    let server = MockServer::start().await;
    // OpenAI's 401 for a bad key (error-codes guide: invalid_api_key).
    mount(
        &server,
        ResponseTemplate::new(401).set_body_raw(
            r#"{"error":{"message":"Incorrect API key provided: sk-wrong.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            "application/json",
        ),
    )
    .await;
    let error = transcriber(&server)
        .transcribe(voice(), None)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Rejected);
    assert!(error.to_string().contains("API key"), "{error}");
}

#[tokio::test]
async fn a_hung_server_is_a_timeout_and_a_dead_one_unreachable() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(200)
            .set_delay(Duration::from_secs(5))
            .set_body_raw(r#"{"text":"late"}"#, "application/json"),
    )
    .await;
    let transcriber = OpenAiTranscriber::new(
        TranscriberOptions::new(format!("{}/v1", server.uri()))
            .request_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let error = transcriber.transcribe(voice(), None).await.unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Timeout);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let transcriber = OpenAiTranscriber::new(TranscriberOptions::new(format!(
        "http://127.0.0.1:{port}/v1"
    )))
    .unwrap();
    let error = transcriber.transcribe(voice(), None).await.unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Unreachable);
    assert!(error.to_string().contains("is it running"), "{error}");
}

#[tokio::test]
async fn an_unreadable_answer_is_a_bad_response() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(200).set_body_raw("<html>Whisper.cpp Server</html>", "text/html"),
    )
    .await;

    let error = transcriber(&server)
        .transcribe(voice(), None)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::BadResponse);
}

#[test]
fn a_transcriber_is_usable_as_a_trait_object() {
    let transcriber: std::sync::Arc<dyn Transcriber> = std::sync::Arc::new(
        OpenAiTranscriber::new(TranscriberOptions::default().api_key("sk-hidden")).unwrap(),
    );
    let printed = format!("{transcriber:?}");
    assert!(!printed.contains("sk-hidden"), "{printed}");
}
