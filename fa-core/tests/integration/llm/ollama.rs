//! The Ollama backend against a mock Ollama (wiremock). Every mock body is shaped as Ollama's API
//! reference shows it; each cites where.
#![cfg(feature = "ollama")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use fa_core::llm::*;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A model on the mock server, with the default options except the server.
fn model_on(server: &MockServer, name: &str) -> OllamaModel {
    OllamaModel::new(OllamaOptions::new(name).base_url(server.uri())).unwrap()
}

/// The weather tool of Ollama's tool examples.
fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: "Get the weather in a given city".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city to get the weather for"}
            },
            "required": ["city"]
        }),
    }
}

/// The `tools` array as Ollama's documentation sends it for [`weather_tool`].
fn weather_tool_json() -> Value {
    // As in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-no-streaming-with-tools
    json!([{
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather in a given city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "The city to get the weather for"}
                },
                "required": ["city"]
            }
        }
    }])
}

async fn mount_json(server: &MockServer, at: &str, status: u16, body: Value) {
    Mock::given(method("POST"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

/// The JSON body of the only request the server received.
async fn only_request_body(server: &MockServer) -> Value {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests[0].body_json::<Value>().unwrap()
}

#[tokio::test]
async fn chat_with_a_tool_call_returns_the_call_and_sends_tools_and_num_ctx() {
    let server = MockServer::start().await;
    // Body as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-no-streaming-with-tools
    let body = json!({
        "model": "llama3.2",
        "created_at": "2025-07-07T20:32:53.844124Z",
        "message": {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}
            ]
        },
        "done_reason": "stop",
        "done": true,
        "total_duration": 3244883583u64,
        "load_duration": 2969184542u64,
        "prompt_eval_count": 169,
        "prompt_eval_duration": 141656333,
        "eval_count": 18,
        "eval_duration": 133293625
    });
    mount_json(&server, "/api/chat", 200, body).await;
    let model = OllamaModel::new(
        OllamaOptions::new("llama3.2")
            .base_url(server.uri())
            .num_ctx(16384),
    )
    .unwrap();

    let request = ChatRequest::new(vec![ChatMessage::user("what is the weather in tokyo?")])
        .with_tools(vec![weather_tool()])
        .with_options(ChatOptions::default().temperature(0.2).max_tokens(256));
    let response = model.chat(request).await.unwrap();

    assert_eq!(response.message.role, ChatRole::Assistant);
    assert_eq!(response.message.content, "");
    assert_eq!(
        response.message.tool_calls,
        vec![ToolCall {
            id: "call_0".into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Tokyo"}),
        }]
    );
    assert_eq!(
        response.usage,
        Some(Usage {
            prompt_tokens: 169,
            completion_tokens: 18
        })
    );

    let sent = only_request_body(&server).await;
    assert_eq!(sent["model"], "llama3.2");
    assert_eq!(sent["stream"], false);
    assert_eq!(sent["tools"], weather_tool_json());
    assert_eq!(sent["options"]["num_ctx"], 16384);
    assert_eq!(sent["options"]["num_predict"], 256);
    assert!((sent["options"]["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert_eq!(sent["keep_alive"], "30m");
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": "what is the weather in tokyo?"}])
    );
    assert_eq!(model.context_window(), 16384);
}

#[tokio::test]
async fn two_tool_calls_in_one_answer_come_back_in_order_with_distinct_ids() {
    let server = MockServer::start().await;
    // Body as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-with-tools,
    // with two calls carrying `index` as in the parallel example of
    // https://github.com/ollama/ollama/blob/main/docs/capabilities/tool-calling.mdx#parallel-tool-calling
    let body = json!({
        "model": "qwen3",
        "created_at": "2024-07-22T20:33:28.123648Z",
        "message": {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"function": {"index": 0, "name": "get_temperature", "arguments": {"city": "New York"}}},
                {"function": {"index": 1, "name": "get_conditions", "arguments": {"city": "London"}}}
            ]
        },
        "done_reason": "stop",
        "done": true,
        "total_duration": 885095291,
        "load_duration": 3753500,
        "prompt_eval_count": 122,
        "prompt_eval_duration": 328493000,
        "eval_count": 33,
        "eval_duration": 552222000
    });
    mount_json(&server, "/api/chat", 200, body).await;
    let model = model_on(&server, "qwen3");

    let response = model
        .chat(
            ChatRequest::new(vec![ChatMessage::user(
                "temperature in New York and conditions in London?",
            )])
            .with_tools(vec![weather_tool()]),
        )
        .await
        .unwrap();

    let calls = &response.message.tool_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].id.as_str(), calls[0].name.as_str()),
        ("call_0", "get_temperature")
    );
    assert_eq!(calls[0].arguments, json!({"city": "New York"}));
    assert_eq!(
        (calls[1].id.as_str(), calls[1].name.as_str()),
        ("call_1", "get_conditions")
    );
    assert_eq!(calls[1].arguments, json!({"city": "London"}));
    assert_eq!(
        only_request_body(&server).await["tools"],
        weather_tool_json()
    );
}

#[tokio::test]
async fn a_follow_up_with_a_tool_result_is_sent_as_ollama_expects() {
    let server = MockServer::start().await;
    // Body as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-with-history-with-tools
    let body = json!({
        "model": "llama3.2",
        "created_at": "2025-07-07T20:43:37.688511Z",
        "message": {
            "role": "assistant",
            "content": "The current temperature in Toronto is 11°C."
        },
        "done_reason": "stop",
        "done": true,
        "total_duration": 890771750,
        "load_duration": 707634750,
        "prompt_eval_count": 94,
        "prompt_eval_duration": 91703208,
        "eval_count": 11,
        "eval_duration": 90282125
    });
    mount_json(&server, "/api/chat", 200, body).await;
    let model = model_on(&server, "llama3.2");

    let call = ToolCall {
        id: "call_0".into(),
        name: "get_weather".into(),
        arguments: json!({"city": "Toronto"}),
    };
    let request = ChatRequest::new(vec![
        ChatMessage::system("You are a family assistant."),
        ChatMessage::user("what is the weather in Toronto?"),
        ChatMessage::assistant_calls("", vec![call.clone()]),
        ChatMessage::tool_result(&call, "11 degrees celsius"),
    ])
    .with_tools(vec![weather_tool()]);
    let response = model.chat(request).await.unwrap();

    assert_eq!(
        response.message.content,
        "The current temperature in Toronto is 11°C."
    );
    assert!(response.message.tool_calls.is_empty());
    assert_eq!(
        response.usage,
        Some(Usage {
            prompt_tokens: 94,
            completion_tokens: 11
        })
    );

    // The history as in the request of the same example: the assistant's `tool_calls` with their
    // arguments as an object, the result with `tool_name`; plus the `id`/`index` and
    // `tool_call_id` fields of Ollama's api.Message and api.ToolCall (api/types.go).
    let sent = only_request_body(&server).await;
    assert_eq!(
        sent["messages"],
        json!([
            {"role": "system", "content": "You are a family assistant."},
            {"role": "user", "content": "what is the weather in Toronto?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{
                    "id": "call_0",
                    "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Toronto"}}
                }]
            },
            {
                "role": "tool",
                "content": "11 degrees celsius",
                "tool_name": "get_weather",
                "tool_call_id": "call_0"
            }
        ])
    );
    assert_eq!(sent["tools"], weather_tool_json());
}

/// A streamed answer: three text chunks, a tool-call chunk and the final chunk.
fn weather_stream() -> String {
    // Text chunks as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-streaming;
    // the tool-call chunk (done: false) and the final chunk as in
    // https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-streaming-with-tools
    let text = |piece: &str, at: &str| {
        json!({
            "model": "llama3.2",
            "created_at": at,
            "message": {"role": "assistant", "content": piece, "images": null},
            "done": false
        })
    };
    let lines = [
        text("Let me", "2025-07-07T20:22:19.101Z"),
        text(" check", "2025-07-07T20:22:19.121Z"),
        text(" Tokyo.", "2025-07-07T20:22:19.141Z"),
        json!({
            "model": "llama3.2",
            "created_at": "2025-07-07T20:22:19.184789Z",
            "message": {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}
                ]
            },
            "done": false
        }),
        json!({
            "model": "llama3.2",
            "created_at": "2025-07-07T20:22:19.19314Z",
            "message": {"role": "assistant", "content": ""},
            "done_reason": "stop",
            "done": true,
            "total_duration": 182242375,
            "load_duration": 41295167,
            "prompt_eval_count": 169,
            "prompt_eval_duration": 24573166,
            "eval_count": 15,
            "eval_duration": 115959084
        }),
    ];
    lines.iter().map(|line| format!("{line}\n")).collect()
}

async fn mount_stream(server: &MockServer, ndjson: String) {
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ndjson, "application/x-ndjson"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn streaming_sends_text_deltas_then_the_tool_call_and_returns_the_whole_answer() {
    let server = MockServer::start().await;
    mount_stream(&server, weather_stream()).await;
    let model = model_on(&server, "llama3.2");
    let (events, mut received) = mpsc::channel(16);

    let response = model
        .chat_stream(
            ChatRequest::new(vec![ChatMessage::user("what is the weather in tokyo?")])
                .with_tools(vec![weather_tool()]),
            events,
        )
        .await
        .unwrap();

    let call = ToolCall {
        id: "call_0".into(),
        name: "get_weather".into(),
        arguments: json!({"city": "Tokyo"}),
    };
    let mut got = Vec::new();
    while let Some(event) = received.recv().await {
        got.push(event);
    }
    assert_eq!(
        got,
        vec![
            StreamEvent::TextDelta("Let me".into()),
            StreamEvent::TextDelta(" check".into()),
            StreamEvent::TextDelta(" Tokyo.".into()),
            StreamEvent::ToolCall(call.clone()),
        ]
    );
    assert_eq!(response.message.content, "Let me check Tokyo.");
    assert_eq!(response.message.tool_calls, vec![call]);
    assert_eq!(
        response.usage,
        Some(Usage {
            prompt_tokens: 169,
            completion_tokens: 15
        })
    );

    let sent = only_request_body(&server).await;
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["options"]["num_ctx"], 8192);
    assert_eq!(sent["tools"], weather_tool_json());
}

#[tokio::test]
async fn a_closed_receiver_does_not_stop_a_streamed_answer() {
    let server = MockServer::start().await;
    mount_stream(&server, weather_stream()).await;
    let model = model_on(&server, "llama3.2");
    let (events, received) = mpsc::channel(1);
    drop(received);

    let response = model
        .chat_stream(
            ChatRequest::new(vec![ChatMessage::user("what is the weather in tokyo?")]),
            events,
        )
        .await
        .unwrap();

    assert_eq!(response.message.content, "Let me check Tokyo.");
    assert_eq!(response.message.tool_calls.len(), 1);
}

#[tokio::test]
async fn an_error_in_the_middle_of_a_stream_is_a_server_error() {
    let server = MockServer::start().await;
    // An `{"error": …}` line after some chunks, as in
    // https://github.com/ollama/ollama/blob/main/docs/api/errors.mdx#errors-that-occur-while-streaming
    // (chunks shaped as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-streaming)
    let ndjson = format!(
        "{}\n{}\n",
        json!({
            "model": "llama3.2",
            "created_at": "2025-10-26T17:21:21.196249Z",
            "message": {"role": "assistant", "content": " Yes"},
            "done": false
        }),
        json!({"error": "an error was encountered while running the model"})
    );
    mount_stream(&server, ndjson).await;
    let model = model_on(&server, "llama3.2");
    let (events, _received) = mpsc::channel(16);

    let error = model
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("hi")]), events)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ServerError);
    assert!(
        error
            .to_string()
            .contains("an error was encountered while running the model"),
        "{error}"
    );
}

#[tokio::test]
async fn a_stream_cut_off_before_done_is_a_server_error() {
    let server = MockServer::start().await;
    // A chunk as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-streaming,
    // and then the body ends without the final `"done": true` chunk.
    let ndjson = format!(
        "{}\n",
        json!({
            "model": "llama3.2",
            "created_at": "2023-08-04T08:52:19.385406455-07:00",
            "message": {"role": "assistant", "content": "The", "images": null},
            "done": false
        })
    );
    mount_stream(&server, ndjson).await;
    let model = model_on(&server, "llama3.2");
    let (events, _received) = mpsc::channel(16);

    let error = model
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("hi")]), events)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ServerError);
}

/// An `/api/show` answer with these capabilities.
fn show_body(capabilities: &[&str]) -> Value {
    // Body as in https://github.com/ollama/ollama/blob/main/docs/api.md#show-model-information
    // (the documented json5 as JSON, `capabilities` set per test).
    json!({
        "modelfile": "# Modelfile generated by \"ollama show\"\n# To build a new Modelfile based on this one, replace the FROM line with:\n# FROM llava:latest\n\nFROM /Users/matt/.ollama/models/blobs/sha256:200765e1283640ffbd013184bf496e261032fa75b99498a9613be4e94d63ad52\nTEMPLATE \"\"\"{{ .System }}\nUSER: {{ .Prompt }}\nASSISTANT: \"\"\"\nPARAMETER num_ctx 4096\nPARAMETER stop \"\u{3c}/s\u{3e}\"\nPARAMETER stop \"USER:\"\nPARAMETER stop \"ASSISTANT:\"",
        "parameters": "num_keep                       24\nstop                           \"<|start_header_id|>\"\nstop                           \"<|end_header_id|>\"\nstop                           \"<|eot_id|>\"",
        "template": "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>",
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "8.0B",
            "quantization_level": "Q4_0"
        },
        "model_info": {
            "general.architecture": "llama",
            "general.file_type": 2,
            "general.parameter_count": 8030261248u64,
            "general.quantization_version": 2,
            "llama.attention.head_count": 32,
            "llama.attention.head_count_kv": 8,
            "llama.attention.layer_norm_rms_epsilon": 0.00001,
            "llama.block_count": 32,
            "llama.context_length": 8192,
            "llama.embedding_length": 4096,
            "llama.feed_forward_length": 14336,
            "llama.rope.dimension_count": 128,
            "llama.rope.freq_base": 500000,
            "llama.vocab_size": 128256,
            "tokenizer.ggml.bos_token_id": 128000,
            "tokenizer.ggml.eos_token_id": 128009,
            "tokenizer.ggml.merges": [],
            "tokenizer.ggml.model": "gpt2",
            "tokenizer.ggml.pre": "llama-bpe",
            "tokenizer.ggml.token_type": [],
            "tokenizer.ggml.tokens": []
        },
        "capabilities": capabilities
    })
}

#[tokio::test]
async fn probe_of_a_model_with_tools_reports_them_and_its_context_length() {
    let server = MockServer::start().await;
    mount_json(
        &server,
        "/api/show",
        200,
        show_body(&["completion", "tools"]),
    )
    .await;
    let model = model_on(&server, "llama3.1:8b");

    let info = model.probe().await.unwrap();

    assert_eq!(info, ModelInfo::new("llama3.1:8b", true, Some(8192)));
    // The request as in the documented example: {"model": name}.
    assert_eq!(
        only_request_body(&server).await,
        json!({"model": "llama3.1:8b"})
    );
}

#[tokio::test]
async fn probe_refuses_a_model_that_cannot_call_tools() {
    let server = MockServer::start().await;
    mount_json(&server, "/api/show", 200, show_body(&["completion"])).await;
    let model = model_on(&server, "gemma:2b");

    let error = model.probe().await.unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ToolsUnsupported);
    let message = error.to_string();
    assert!(
        message.contains("\"gemma:2b\" cannot call tools"),
        "{message}"
    );
    assert!(message.contains("completion"), "{message}");
    assert!(message.contains("qwen3"), "{message}");
}

#[tokio::test]
async fn probe_of_a_missing_model_says_how_to_pull_it() {
    let server = MockServer::start().await;
    // Status and body as Ollama's ShowHandler answers an unknown model
    // (https://github.com/ollama/ollama/blob/main/server/routes.go, `model '%s' not found`), in
    // the error format of https://github.com/ollama/ollama/blob/main/docs/api/errors.mdx
    mount_json(
        &server,
        "/api/show",
        404,
        json!({"error": "model 'x' not found"}),
    )
    .await;
    let model = model_on(&server, "x");

    let error = model.probe().await.unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ModelNotFound);
    assert!(error.to_string().contains("ollama pull x"), "{error}");
    assert!(error.to_string().contains(&server.uri()), "{error}");
}

#[tokio::test]
async fn chat_with_a_model_that_cannot_call_tools_is_tools_unsupported() {
    let server = MockServer::start().await;
    // Status and body as Ollama's handleScheduleError answers a missing capability
    // (https://github.com/ollama/ollama/blob/main/server/routes.go, 400 with `does not support
    // tools`), in the error format of https://github.com/ollama/ollama/blob/main/docs/api/errors.mdx
    mount_json(
        &server,
        "/api/chat",
        400,
        json!({"error": "registry.ollama.ai/library/gemma:2b does not support tools"}),
    )
    .await;
    let model = model_on(&server, "gemma:2b");

    let error = model
        .chat(ChatRequest::new(vec![ChatMessage::user("hi")]).with_tools(vec![weather_tool()]))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ToolsUnsupported);
    assert!(error.to_string().contains("gemma:2b"), "{error}");
}

#[tokio::test]
async fn chat_with_a_missing_model_is_model_not_found() {
    let server = MockServer::start().await;
    // Status and body as Ollama's ChatHandler answers an unknown model
    // (https://github.com/ollama/ollama/blob/main/server/routes.go, `model '%s' not found`), in
    // the error format of https://github.com/ollama/ollama/blob/main/docs/api/errors.mdx
    mount_json(
        &server,
        "/api/chat",
        404,
        json!({"error": "model 'qwen3:8b' not found"}),
    )
    .await;
    let model = model_on(&server, "qwen3:8b");

    let error = model
        .chat(ChatRequest::new(vec![ChatMessage::user("hi")]))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::ModelNotFound);
    assert!(
        error.to_string().contains("ollama pull qwen3:8b"),
        "{error}"
    );
}

#[tokio::test]
async fn a_server_failure_is_a_server_error_and_other_refusals_are_rejected() {
    let server = MockServer::start().await;
    // Error format of https://github.com/ollama/ollama/blob/main/docs/api/errors.mdx
    mount_json(
        &server,
        "/api/chat",
        500,
        json!({"error": "the model failed to generate a response"}),
    )
    .await;
    let model = model_on(&server, "llama3.2");
    let error = model
        .chat(ChatRequest::new(vec![ChatMessage::user("hi")]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::ServerError);
    assert!(error.to_string().contains("failed to generate"), "{error}");
    assert!(error.is_offline());

    let server = MockServer::start().await;
    // Ollama's ChatHandler on a bad parameter (server/routes.go), format as in errors.mdx.
    mount_json(
        &server,
        "/api/chat",
        400,
        json!({"error": "top_logprobs must be between 0 and 20"}),
    )
    .await;
    let model = model_on(&server, "llama3.2");
    let error = model
        .chat(ChatRequest::new(vec![ChatMessage::user("hi")]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Rejected);
    assert!(error.to_string().contains("top_logprobs"), "{error}");
}

#[tokio::test]
async fn a_hung_server_times_out_within_the_timeout() {
    let server = MockServer::start().await;
    // Body as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-no-streaming,
    // sent too late.
    let body = json!({
        "model": "llama3.2",
        "created_at": "2023-12-12T14:13:43.416799Z",
        "message": {"role": "assistant", "content": "Hello! How are you today?"},
        "done": true,
        "total_duration": 5191566416u64,
        "load_duration": 2154458,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 383809000,
        "eval_count": 298,
        "eval_duration": 4799921000u64
    });
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let model = OllamaModel::new(
        OllamaOptions::new("llama3.2")
            .base_url(server.uri())
            .request_timeout(Duration::from_millis(300)),
    )
    .unwrap();

    let started = Instant::now();
    let error = model
        .chat(ChatRequest::new(vec![ChatMessage::user("hi")]))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();

    assert_eq!(error.kind(), ModelErrorKind::Timeout);
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    let message = error.to_string();
    assert!(message.contains("300 ms"), "{message}");
    assert!(message.contains("request_timeout"), "{message}");
    assert!(message.contains("smaller model"), "{message}");

    // Streaming waits as long for the first chunk, then gives up the same way.
    let (events, _received) = mpsc::channel(16);
    let started = Instant::now();
    let error = model
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("hi")]), events)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_server_that_is_down_is_unreachable() {
    // A port nothing listens on: bound, then released.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base_url = format!("http://127.0.0.1:{port}");
    let model = OllamaModel::new(OllamaOptions::new("llama3.2").base_url(&base_url)).unwrap();

    let error = model
        .chat(ChatRequest::new(vec![ChatMessage::user("hi")]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Unreachable);
    let message = error.to_string();
    assert!(message.contains(&base_url), "{message}");
    assert!(message.contains("ollama serve"), "{message}");
    assert!(error.is_offline());

    let error = model.probe().await.unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Unreachable);

    let (events, _received) = mpsc::channel(16);
    let error = model
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("hi")]), events)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::Unreachable);
}

#[tokio::test]
async fn a_malformed_answer_is_a_bad_response() {
    let server = MockServer::start().await;
    // Not Ollama's JSON at all (e.g. a captive portal or the wrong server answering 200).
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>not json</html>", "text/html"))
        .mount(&server)
        .await;
    let model = model_on(&server, "llama3.2");

    let error = model
        .chat(ChatRequest::new(vec![ChatMessage::user("hi")]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::BadResponse);

    let (events, _received) = mpsc::channel(16);
    let error = model
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("hi")]), events)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ModelErrorKind::BadResponse);
}

#[tokio::test]
async fn keep_alive_can_be_left_to_the_server() {
    let server = MockServer::start().await;
    // Body as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-no-streaming
    let body = json!({
        "model": "llama3.2",
        "created_at": "2023-12-12T14:13:43.416799Z",
        "message": {"role": "assistant", "content": "Hello! How are you today?"},
        "done": true,
        "total_duration": 5191566416u64,
        "load_duration": 2154458,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 383809000,
        "eval_count": 298,
        "eval_duration": 4799921000u64
    });
    mount_json(&server, "/api/chat", 200, body).await;
    let model = OllamaModel::new(
        OllamaOptions::new("llama3.2")
            .base_url(server.uri())
            .keep_alive(None),
    )
    .unwrap();

    let response = model
        .chat(ChatRequest::new(vec![ChatMessage::user("Hello!")]))
        .await
        .unwrap();

    assert_eq!(response.message.content, "Hello! How are you today?");
    let sent = only_request_body(&server).await;
    assert!(sent.get("keep_alive").is_none(), "{sent}");
    assert!(sent.get("tools").is_none(), "{sent}");
    assert_eq!(sent["options"], json!({"num_ctx": 8192}));
}

#[test]
fn an_address_that_is_not_an_http_url_is_rejected() {
    for bad in ["http://exa mple.com", "ftp://example.com"] {
        let error = OllamaModel::new(OllamaOptions::new("llama3.2").base_url(bad)).unwrap_err();
        assert_eq!(error.kind(), ModelErrorKind::Rejected, "{bad}");
        assert!(
            error.to_string().contains("http://localhost:11434"),
            "{error}"
        );
    }
}

#[test]
fn ollama_host_values_are_read_like_the_ollama_cli_reads_them() {
    // Cases from Ollama's envconfig tests (TestHost, TestConnectableHost), for a client.
    let cases = [
        (None, "http://localhost:11434"),
        (Some(""), "http://localhost:11434"),
        (Some("0.0.0.0"), "http://127.0.0.1:11434"),
        (Some("0.0.0.0:11434"), "http://127.0.0.1:11434"),
        (Some("1.2.3.4"), "http://1.2.3.4:11434"),
        (Some(":1234"), "http://127.0.0.1:1234"),
        (Some("1.2.3.4:1234"), "http://1.2.3.4:1234"),
        (Some("gpu-box"), "http://gpu-box:11434"),
        (Some("gpu-box:8080"), "http://gpu-box:8080"),
        (Some("http://gpu-box:8080"), "http://gpu-box:8080"),
        (Some("http://gpu-box:8080/"), "http://gpu-box:8080"),
        (Some("http://1.2.3.4"), "http://1.2.3.4:80"),
        (Some("https://1.2.3.4"), "https://1.2.3.4:443"),
        (
            Some("https://example.com/ollama"),
            "https://example.com:443/ollama",
        ),
        (Some("[::1]"), "http://[::1]:11434"),
        (Some("[::]"), "http://[::1]:11434"),
        (Some("::1"), "http://[::1]:11434"),
        (Some("[::1]:1337"), "http://[::1]:1337"),
        (Some(" 1.2.3.4 "), "http://1.2.3.4:11434"),
        (Some("\"1.2.3.4\""), "http://1.2.3.4:11434"),
        (Some("'1.2.3.4'"), "http://1.2.3.4:11434"),
        (Some(":66000"), "http://127.0.0.1:11434"),
        (Some("ollama.com"), "https://ollama.com:443"),
    ];
    for (host, expected) in cases {
        assert_eq!(OllamaOptions::base_url_from(host), expected, "{host:?}");
    }
}

#[test]
fn debug_names_the_model_and_server() {
    let model = OllamaModel::new(OllamaOptions::new("qwen3:8b").base_url("http://127.0.0.1:11434"))
        .unwrap();
    let debug = format!("{model:?}");
    assert!(
        debug.contains("qwen3:8b") && debug.contains("127.0.0.1:11434"),
        "{debug}"
    );
    assert_eq!(model.name(), "qwen3:8b");
}

#[tokio::test]
async fn a_stream_that_stalls_between_chunks_times_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // wiremock sends a body in one piece, so this server is written by hand: it sends the headers
    // and one chunk, then nothing more while the connection stays open.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.unwrap();
            if read == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..read]);
        }
        // A chunk as in https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-streaming
        let line = format!(
            "{}\n",
            json!({
                "model": "llama3.2",
                "created_at": "2023-08-04T08:52:19.385406455-07:00",
                "message": {"role": "assistant", "content": "The", "images": null},
                "done": false
            })
        );
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\n\
                    transfer-encoding: chunked\r\n\r\n";
        let chunk = format!("{:x}\r\n{line}\r\n", line.len());
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(chunk.as_bytes()).await.unwrap();
        socket.flush().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let model = OllamaModel::new(
        OllamaOptions::new("llama3.2")
            .base_url(&base_url)
            .request_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let (events, mut received) = mpsc::channel(16);

    let started = Instant::now();
    let error = model
        .chat_stream(ChatRequest::new(vec![ChatMessage::user("hi")]), events)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ModelErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        error.to_string().contains("sent nothing for 300 ms"),
        "{error}"
    );
    assert_eq!(
        received.recv().await,
        Some(StreamEvent::TextDelta("The".into()))
    );
    server.abort();
}
