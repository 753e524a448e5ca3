//! `OpenAiCompatibleModel` against a fake Chat Completions server (wiremock). Every fixture is
//! shaped as a published document shows it; the comment above each one names the source.
//!
//! Sources:
//! - [openapi] OpenAI's API reference, github.com/openai/openai-openapi `openapi.yaml`
//!   (`createChatCompletion` examples, `components.schemas.*`, `listModels` example).
//! - [llama-server] llama.cpp `tools/server/README.md` (`GET /v1/models` example) and
//!   `tools/server/server-common.cpp` (`format_error_response`: `{"code","message","type"}`
//!   inside `{"error": …}`; 400 `invalid_request_error`, 500 `server_error`).
#![cfg(feature = "openai")]

use std::time::Duration;

use fa_core::llm::{
    ChatMessage, ChatOptions, ChatRequest, LanguageModel, ModelErrorKind, OpenAiCompatibleModel,
    OpenAiOptions, StreamEvent, ToolCall, ToolSpec,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn options(server: &MockServer, model: &str) -> OpenAiOptions {
    OpenAiOptions::new(format!("{}/v1", server.uri()), model)
}

fn model(server: &MockServer, model: &str) -> OpenAiCompatibleModel {
    OpenAiCompatibleModel::new(options(server, model)).unwrap()
}

/// The tool of [openapi] `createChatCompletion` "Functions" example request.
fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_current_weather".into(),
        description: "Get the current weather in a given location".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "location": {
                    "type": "string",
                    "description": "The city and state, e.g. San Francisco, CA"
                },
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["location"]
        }),
    }
}

fn weather_question() -> ChatRequest {
    ChatRequest::new(vec![
        ChatMessage::system("You are a helpful assistant."),
        ChatMessage::user("What is the weather like in Boston today?"),
    ])
    .with_tools(vec![weather_tool()])
}

async fn mount_chat(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(response)
        .mount(server)
        .await;
}

async fn only_request_body(server: &MockServer) -> (Value, wiremock::Request) {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected one request");
    let request = requests.into_iter().next().unwrap();
    (serde_json::from_slice(&request.body).unwrap(), request)
}

fn sse(events: &[&str]) -> ResponseTemplate {
    let body: String = events
        .iter()
        .map(|data| format!("data: {data}\n\n"))
        .collect();
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

async fn collect(mut receiver: mpsc::Receiver<StreamEvent>) -> Vec<StreamEvent> {
    let mut events = Vec::new();
    while let Some(event) = receiver.recv().await {
        events.push(event);
    }
    events
}

#[tokio::test]
async fn a_tool_call_is_parsed_and_the_request_is_shaped_as_documented() {
    let server = MockServer::start().await;
    // [openapi] createChatCompletion, example "Functions", response.
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{
              "id": "chatcmpl-abc123",
              "object": "chat.completion",
              "created": 1699896916,
              "model": "gpt-4o-mini",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [
                      {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {
                          "name": "get_current_weather",
                          "arguments": "{\n\"location\": \"Boston, MA\"\n}"
                        }
                      }
                    ]
                  },
                  "logprobs": null,
                  "finish_reason": "tool_calls"
                }
              ],
              "usage": {
                "prompt_tokens": 82,
                "completion_tokens": 17,
                "total_tokens": 99,
                "completion_tokens_details": {
                  "reasoning_tokens": 0,
                  "accepted_prediction_tokens": 0,
                  "rejected_prediction_tokens": 0
                }
              }
            }"#,
            "application/json",
        ),
    )
    .await;
    let model =
        OpenAiCompatibleModel::new(options(&server, "gpt-4o-mini").api_key("sk-test-key")).unwrap();
    let request =
        weather_question().with_options(ChatOptions::default().temperature(0.2).max_tokens(256));

    let response = model.chat(request).await.unwrap();

    assert_eq!(response.message.content, "");
    assert_eq!(
        response.message.tool_calls,
        vec![ToolCall {
            id: "call_abc123".into(),
            name: "get_current_weather".into(),
            arguments: json!({"location": "Boston, MA"}),
        }]
    );
    let usage = response.usage.unwrap();
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (82, 17));

    let (body, request) = only_request_body(&server).await;
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        "Bearer sk-test-key"
    );
    // [openapi] createChatCompletion, example "Functions", request (plus a system message).
    assert_eq!(
        body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "What is the weather like in Boston today?"}
            ],
            "stream": false,
            "tools": [{
                "type": "function",
                "function": {
                    "name": "get_current_weather",
                    "description": "Get the current weather in a given location",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "location": {
                                "type": "string",
                                "description": "The city and state, e.g. San Francisco, CA"
                            },
                            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
                        },
                        "required": ["location"]
                    }
                }
            }],
            "temperature": 0.2,
            "max_tokens": 256
        })
    );
}

#[tokio::test]
async fn without_a_key_no_authorization_header_is_sent() {
    let server = MockServer::start().await;
    // [openapi] createChatCompletion, example "Default", response.
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{
              "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
              "object": "chat.completion",
              "created": 1741569952,
              "model": "gpt-5.4",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant",
                    "content": "Hello! How can I assist you today?",
                    "refusal": null,
                    "annotations": []
                  },
                  "logprobs": null,
                  "finish_reason": "stop"
                }
              ],
              "usage": {
                "prompt_tokens": 19,
                "completion_tokens": 10,
                "total_tokens": 29,
                "prompt_tokens_details": {
                  "cached_tokens": 0,
                  "audio_tokens": 0
                },
                "completion_tokens_details": {
                  "reasoning_tokens": 0,
                  "audio_tokens": 0,
                  "accepted_prediction_tokens": 0,
                  "rejected_prediction_tokens": 0
                }
              },
              "service_tier": "default"
            }"#,
            "application/json",
        ),
    )
    .await;

    let response = model(&server, "gpt-5.4")
        .chat(ChatRequest::new(vec![ChatMessage::user("Hello!")]))
        .await
        .unwrap();

    assert_eq!(
        response.message.content,
        "Hello! How can I assist you today?"
    );
    assert_eq!(response.usage.unwrap().completion_tokens, 10);
    assert!(response.message.tool_calls.is_empty());
    let (body, request) = only_request_body(&server).await;
    assert!(request.headers.get("authorization").is_none());
    assert!(
        body.get("tools").is_none(),
        "no tools, no tools field: {body}"
    );
    assert!(body.get("temperature").is_none());
}

#[tokio::test]
async fn two_tool_calls_in_one_response() {
    let server = MockServer::start().await;
    // [openapi] components.schemas.ChatCompletionMessageToolCalls: `tool_calls` is an array;
    // two entries shaped as in the "Functions" example (parallel tool calls).
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"id":"chatcmpl-abc124","object":"chat.completion","created":1699896916,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_boston","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"Boston, MA\"}"}},{"id":"call_paris","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"Paris, France\", \"unit\": \"celsius\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":40,"total_tokens":122}}"#,
            "application/json",
        ),
    )
    .await;

    let response = model(&server, "gpt-4o-mini")
        .chat(weather_question())
        .await
        .unwrap();

    let calls = &response.message.tool_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "call_boston");
    assert_eq!(calls[0].arguments, json!({"location": "Boston, MA"}));
    assert_eq!(calls[1].id, "call_paris");
    assert_eq!(
        calls[1].arguments,
        json!({"location": "Paris, France", "unit": "celsius"})
    );
}

#[tokio::test]
async fn a_follow_up_carries_the_calls_and_their_results() {
    let server = MockServer::start().await;
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"id":"chatcmpl-2","object":"chat.completion","created":1699896917,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"It is 22 degrees and sunny in Boston."},"logprobs":null,"finish_reason":"stop"}]}"#,
            "application/json",
        ),
    )
    .await;
    let call = ToolCall {
        id: "call_abc123".into(),
        name: "get_current_weather".into(),
        arguments: json!({"location": "Boston, MA"}),
    };
    let malformed = ToolCall {
        id: "call_def456".into(),
        name: "get_current_weather".into(),
        arguments: json!("{\"location\": "),
    };
    let request = ChatRequest::new(vec![
        ChatMessage::user("What is the weather like in Boston today?"),
        ChatMessage::assistant_calls("", vec![call.clone(), malformed.clone()]),
        ChatMessage::tool_result(&call, "{\"temperature\": 22, \"sky\": \"sunny\"}"),
        ChatMessage::tool_result(&malformed, "error: the arguments are not valid JSON"),
    ])
    .with_tools(vec![weather_tool()]);

    let response = model(&server, "gpt-4o-mini").chat(request).await.unwrap();

    assert_eq!(
        response.message.content,
        "It is 22 degrees and sunny in Boston."
    );
    assert!(response.usage.is_none());
    let (body, _) = only_request_body(&server).await;
    // [openapi] components.schemas.ChatCompletionRequestAssistantMessage (content may be null
    // when tool_calls is given; arguments are a JSON string) and
    // ChatCompletionRequestToolMessage (role, content, tool_call_id).
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "What is the weather like in Boston today?"},
            {
                "role": "assistant",
                "content": null,
                "tool_calls": [
                    {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {
                            "name": "get_current_weather",
                            "arguments": "{\"location\":\"Boston, MA\"}"
                        }
                    },
                    {
                        "id": "call_def456",
                        "type": "function",
                        "function": {
                            "name": "get_current_weather",
                            "arguments": "{\"location\": "
                        }
                    }
                ]
            },
            {
                "role": "tool",
                "tool_call_id": "call_abc123",
                "content": "{\"temperature\": 22, \"sky\": \"sunny\"}"
            },
            {
                "role": "tool",
                "tool_call_id": "call_def456",
                "content": "error: the arguments are not valid JSON"
            }
        ])
    );
}

#[tokio::test]
async fn malformed_arguments_are_kept_as_a_string() {
    let server = MockServer::start().await;
    // [openapi] ChatCompletionMessageToolCall.function.arguments: "the model does not always
    // generate valid JSON". Shaped as the "Functions" example with truncated arguments.
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"id":"chatcmpl-3","object":"chat.completion","created":1699896916,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"Boston, MA\""}}]},"logprobs":null,"finish_reason":"tool_calls"}]}"#,
            "application/json",
        ),
    )
    .await;

    let response = model(&server, "gpt-4o-mini")
        .chat(weather_question())
        .await
        .unwrap();

    assert_eq!(
        response.message.tool_calls[0].arguments,
        Value::String("{\"location\": \"Boston, MA\"".into())
    );
}

#[tokio::test]
async fn arguments_as_an_object_and_a_missing_id_are_accepted() {
    let server = MockServer::start().await;
    // Some OpenAI-compatible servers send `arguments` as an object and omit `id`; otherwise the
    // shape of the [openapi] "Functions" example response.
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"object":"chat.completion","model":"local","choices":[{"index":0,"message":{"role":"assistant","content":"Checking.","tool_calls":[{"type":"function","function":{"name":"get_current_weather","arguments":{"location":"Boston, MA"}}}]},"finish_reason":"tool_calls"}]}"#,
            "application/json",
        ),
    )
    .await;

    let response = model(&server, "local")
        .chat(weather_question())
        .await
        .unwrap();

    assert_eq!(response.message.content, "Checking.");
    assert_eq!(
        response.message.tool_calls,
        vec![ToolCall {
            id: "call_0".into(),
            name: "get_current_weather".into(),
            arguments: json!({"location": "Boston, MA"}),
        }]
    );
}

#[tokio::test]
async fn streaming_sends_text_deltas_and_returns_the_whole_answer() {
    let server = MockServer::start().await;
    // [openapi] createChatCompletion, example "Streaming", response chunks (its "...." filled in
    // with two more content chunks), then the usage chunk that
    // `stream_options.include_usage` adds (ChatCompletionStreamOptions: empty `choices`), then
    // `data: [DONE]`.
    mount_chat(
        &server,
        sse(&[
            r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
            r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}"#,
            r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}]}"#,
            r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":" How can I help?"},"logprobs":null,"finish_reason":null}]}"#,
            r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#,
            r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}"#,
            "[DONE]",
        ]),
    )
    .await;
    let (sender, receiver) = mpsc::channel(64);

    let response = model(&server, "gpt-4o-mini")
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("Hello!")]), sender)
        .await
        .unwrap();

    assert_eq!(response.message.content, "Hello! How can I help?");
    let usage = response.usage.unwrap();
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (9, 12));
    assert_eq!(
        collect(receiver).await,
        vec![
            StreamEvent::TextDelta("Hello".into()),
            StreamEvent::TextDelta("!".into()),
            StreamEvent::TextDelta(" How can I help?".into()),
        ]
    );
    let (body, _) = only_request_body(&server).await;
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

/// A streamed tool call whose arguments arrive in fragments. [openapi]
/// ChatCompletionMessageToolCallChunk: `index`, then `id`, `type` and `function.name` in the
/// first fragment and `function.arguments` pieces after it; the pieces are split as in the
/// reference's streamed tool-call example (`{\"`, `location`, …, `\"}` for get_current_weather).
fn fragmented_tool_call_stream() -> ResponseTemplate {
    sse(&[
        r#"{"id":"chatcmpl-456","object":"chat.completion.chunk","created":1710351819,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_XXNp8YGaFrjrSjgqxtC8JJ1B","type":"function","function":{"name":"get_current_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-456","object":"chat.completion.chunk","created":1710351819,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\""}}]},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-456","object":"chat.completion.chunk","created":1710351819,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"location"}}]},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-456","object":"chat.completion.chunk","created":1710351819,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\":\"San Francisco, CA\",\"unit\":\"f"}}]},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-456","object":"chat.completion.chunk","created":1710351819,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ahrenheit"}}]},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-456","object":"chat.completion.chunk","created":1710351819,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"}"}}]},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-456","object":"chat.completion.chunk","created":1710351819,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ])
}

fn san_francisco_call() -> ToolCall {
    ToolCall {
        id: "call_XXNp8YGaFrjrSjgqxtC8JJ1B".into(),
        name: "get_current_weather".into(),
        arguments: json!({"location": "San Francisco, CA", "unit": "fahrenheit"}),
    }
}

#[tokio::test]
async fn a_streamed_tool_call_is_assembled_from_its_fragments() {
    let server = MockServer::start().await;
    mount_chat(&server, fragmented_tool_call_stream()).await;
    let (sender, receiver) = mpsc::channel(64);

    let response = model(&server, "gpt-4o")
        .chat_stream(weather_question(), sender)
        .await
        .unwrap();

    assert_eq!(response.message.content, "");
    assert_eq!(response.message.tool_calls, vec![san_francisco_call()]);
    assert_eq!(
        collect(receiver).await,
        vec![StreamEvent::ToolCall(san_francisco_call())]
    );
}

#[tokio::test]
async fn a_closed_receiver_does_not_stop_the_completion() {
    let server = MockServer::start().await;
    mount_chat(&server, fragmented_tool_call_stream()).await;
    let (sender, receiver) = mpsc::channel(1);
    drop(receiver);

    let response = model(&server, "gpt-4o")
        .chat_stream(weather_question(), sender)
        .await
        .unwrap();

    assert_eq!(response.message.tool_calls, vec![san_francisco_call()]);
}

#[tokio::test]
async fn an_error_inside_the_stream_is_an_error() {
    let server = MockServer::start().await;
    // [llama-server] errors while streaming arrive as a data event holding
    // format_error_response's object: {"error":{"code":…,"message":…,"type":…}}.
    mount_chat(
        &server,
        sse(&[
            r#"{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1735142223,"model":"local","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
            r#"{"error":{"code":500,"message":"the model crashed","type":"server_error"}}"#,
        ]),
    )
    .await;
    let (sender, _receiver) = mpsc::channel(64);

    let error = model(&server, "local")
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("Hi")]), sender)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ServerError);
    assert!(error.to_string().contains("the model crashed"), "{error}");
}

#[tokio::test]
async fn a_stream_that_breaks_off_is_a_bad_response() {
    let server = MockServer::start().await;
    // [openapi] "Streaming" example chunks, cut before any finish_reason or [DONE].
    mount_chat(
        &server,
        sse(&[
            r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}"#,
        ]),
    )
    .await;
    let (sender, _receiver) = mpsc::channel(64);

    let error = model(&server, "gpt-4o-mini")
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("Hi")]), sender)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::BadResponse);
}

#[tokio::test]
async fn a_server_without_tool_support_is_tools_unsupported_with_the_fix() {
    let server = MockServer::start().await;
    // [llama-server] oaicompat_chat_params_parse refuses `tools` without --jinja with
    // "tools param requires --jinja flag"; body per format_error_response (400,
    // invalid_request_error).
    mount_chat(
        &server,
        ResponseTemplate::new(400).set_body_raw(
            r#"{"error":{"code":400,"message":"tools param requires --jinja flag","type":"invalid_request_error"}}"#,
            "application/json",
        ),
    )
    .await;

    let error = model(&server, "qwen3")
        .chat(weather_question())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ToolsUnsupported);
    let message = error.to_string();
    assert!(message.contains("--jinja"), "{message}");
    assert!(message.contains("restart"), "{message}");
}

#[tokio::test]
async fn an_unknown_model_is_model_not_found() {
    let server = MockServer::start().await;
    // OpenAI's 404 for an unknown model (error-codes guide), body per [openapi]
    // components.schemas.ErrorResponse.
    mount_chat(
        &server,
        ResponseTemplate::new(404).set_body_raw(
            r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            "application/json",
        ),
    )
    .await;

    let error = model(&server, "gpt-9")
        .chat(weather_question())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ModelNotFound);
    assert!(error.to_string().contains("gpt-9"), "{error}");
    assert!(!error.is_offline());
}

#[tokio::test]
async fn rate_limiting_is_rate_limited_with_retry_after() {
    let server = MockServer::start().await;
    // OpenAI's 429 (error-codes guide: rate_limit_exceeded), body per [openapi]
    // components.schemas.ErrorResponse, with a Retry-After header in seconds (RFC 9110 §10.2.3).
    mount_chat(
        &server,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "7")
            .set_body_raw(
                r#"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-123 on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 7s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
                "application/json",
            ),
    )
    .await;

    let error = model(&server, "gpt-4o-mini")
        .chat(weather_question())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.is_offline());
}

#[tokio::test]
async fn a_server_failure_is_server_error() {
    let server = MockServer::start().await;
    // [llama-server] format_error_response with ERROR_TYPE_UNAVAILABLE (503), sent while the
    // model loads.
    mount_chat(
        &server,
        ResponseTemplate::new(503).set_body_raw(
            r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
            "application/json",
        ),
    )
    .await;

    let error = model(&server, "local")
        .chat(weather_question())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ServerError);
    assert!(error.to_string().contains("Loading model"), "{error}");
}

#[tokio::test]
async fn a_refused_key_says_so() {
    let server = MockServer::start().await;
    // [llama-server] format_error_response with ERROR_TYPE_AUTHENTICATION (401), as sent when
    // the server was started with --api-key and the request's key is missing or wrong.
    mount_chat(
        &server,
        ResponseTemplate::new(401).set_body_raw(
            r#"{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}"#,
            "application/json",
        ),
    )
    .await;

    let error = model(&server, "local")
        .chat(weather_question())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::Rejected);
    assert!(error.to_string().contains("API key"), "{error}");
}

#[tokio::test]
async fn an_unreadable_answer_is_a_bad_response() {
    let server = MockServer::start().await;
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_raw("<html>It works!</html>", "text/html"),
    )
    .await;

    let error = model(&server, "local")
        .chat(weather_question())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::BadResponse);
}

#[tokio::test]
async fn a_hung_server_is_a_timeout() {
    let server = MockServer::start().await;
    mount_chat(
        &server,
        ResponseTemplate::new(200)
            .set_delay(Duration::from_secs(5))
            .set_body_raw("{}", "application/json"),
    )
    .await;
    let model = OpenAiCompatibleModel::new(
        options(&server, "local").request_timeout(Duration::from_millis(300)),
    )
    .unwrap();

    let started = std::time::Instant::now();
    let error = model.chat(weather_question()).await.unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Timeout);
    let (sender, _receiver) = mpsc::channel(8);
    let error = model
        .chat_stream(weather_question(), sender)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Timeout);

    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(error.is_offline());
}

#[tokio::test]
async fn a_server_that_is_down_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let model = OpenAiCompatibleModel::new(OpenAiOptions::new(
        format!("http://127.0.0.1:{port}/v1"),
        "local",
    ))
    .unwrap();

    let error = model.chat(weather_question()).await.unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::Unreachable);
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("is it running"), "{message}");
    let error = model.probe().await.unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Unreachable);
}

async fn mount_models(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn probe_finds_a_listed_model() {
    let server = MockServer::start().await;
    // [llama-server] GET /v1/models example.
    mount_models(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{
                "object": "list",
                "data": [
                    {
                        "id": "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf",
                        "object": "model",
                        "created": 1735142223,
                        "owned_by": "llamacpp",
                        "meta": {
                            "vocab_type": 2,
                            "n_vocab": 128256,
                            "n_ctx_train": 131072,
                            "n_embd": 4096,
                            "n_params": 8030261312,
                            "size": 4912898304
                        }
                    }
                ]
            }"#,
            "application/json",
        ),
    )
    .await;

    let info = model(&server, "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf")
        .probe()
        .await
        .unwrap();

    assert_eq!(
        info.name,
        "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"
    );
    assert!(info.supports_tools);
    assert_eq!(info.context_length, Some(131_072));
}

#[tokio::test]
async fn probe_lists_the_models_there_are_when_the_model_is_missing() {
    let server = MockServer::start().await;
    // [openapi] listModels example response.
    mount_models(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{
              "object": "list",
              "data": [
                {
                  "id": "model-id-0",
                  "object": "model",
                  "created": 1686935002,
                  "owned_by": "organization-owner",
                  "shutdown_date": null
                },
                {
                  "id": "model-id-1",
                  "object": "model",
                  "created": 1686935002,
                  "owned_by": "organization-owner",
                  "shutdown_date": null
                },
                {
                  "id": "model-id-2",
                  "object": "model",
                  "created": 1686935002,
                  "owned_by": "openai",
                  "shutdown_date": null
                }
              ]
            }"#,
            "application/json",
        ),
    )
    .await;

    let found = model(&server, "model-id-1").probe().await.unwrap();
    assert!(found.supports_tools);
    assert_eq!(found.context_length, None);

    let error = model(&server, "qwen3").probe().await.unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::ModelNotFound);
    let message = error.to_string();
    for id in ["model-id-0", "model-id-1", "model-id-2", "qwen3"] {
        assert!(message.contains(id), "{id} missing from: {message}");
    }
}

#[tokio::test]
async fn probe_shows_at_most_ten_models() {
    let server = MockServer::start().await;
    // [openapi] listModels response shape, with 12 entries.
    let data: Vec<Value> = (0..12)
        .map(|n| json!({"id": format!("model-{n:02}"), "object": "model", "created": 1686935002, "owned_by": "organization-owner"}))
        .collect();
    mount_models(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data})),
    )
    .await;

    let message = model(&server, "absent")
        .probe()
        .await
        .unwrap_err()
        .to_string();

    assert!(message.contains("model-09"), "{message}");
    assert!(!message.contains("model-10"), "{message}");
    assert!(message.contains("2 more"), "{message}");
}

#[tokio::test]
async fn probe_accepts_an_empty_or_missing_list() {
    let server = MockServer::start().await;
    mount_models(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": []})),
    )
    .await;
    assert!(
        model(&server, "anything")
            .probe()
            .await
            .unwrap()
            .supports_tools
    );

    let bare = MockServer::start().await; // Answers 404 to everything.
    assert!(
        model(&bare, "anything")
            .probe()
            .await
            .unwrap()
            .supports_tools
    );
}

#[tokio::test]
async fn probe_with_a_wrong_key_is_rejected() {
    let server = MockServer::start().await;
    // OpenAI's 401 for a bad key (error-codes guide: invalid_api_key), body per [openapi]
    // components.schemas.ErrorResponse.
    mount_models(
        &server,
        ResponseTemplate::new(401).set_body_raw(
            r#"{"error":{"message":"Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            "application/json",
        ),
    )
    .await;
    let model =
        OpenAiCompatibleModel::new(options(&server, "gpt-4o-mini").api_key("sk-wrong")).unwrap();

    let error = model.probe().await.unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::Rejected);
    assert!(
        error.to_string().contains("API key is missing or wrong"),
        "{error}"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        "Bearer sk-wrong"
    );
}
