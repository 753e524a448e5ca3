"""Models behind mock servers shaped like the providers' documented answers: a Python tool
called through Ollama's native API, and each kind of model error as its Python exception."""

from __future__ import annotations

import socket
from typing import Any, Dict, Iterator, List

import pytest

from family_assistant import (
    Assistant, InvalidInput, Member, Model, NotFound, RateLimited, Store, Transcriber,
    Unauthorized, Unavailable,
)
from mock_http import MockServer


@pytest.fixture
def server() -> Iterator[MockServer]:
    mock = MockServer()
    yield mock
    mock.close()


def ollama_show(capabilities: List[str]) -> Dict[str, Any]:
    # Shape of https://github.com/ollama/ollama/blob/main/docs/api.md#show-model-information
    # (fields fa does not read trimmed; `capabilities` per test).
    return {
        "modelfile": "FROM qwen3:8b",
        "parameters": "stop \"<|im_end|>\"",
        "template": "{{ .Prompt }}",
        "details": {"parent_model": "", "format": "gguf", "family": "qwen3", "families": ["qwen3"],
                    "parameter_size": "8.2B", "quantization_level": "Q4_K_M"},
        "model_info": {"general.architecture": "qwen3", "qwen3.context_length": 40960},
        "capabilities": capabilities,
    }


def ollama_chat(message: Dict[str, Any]) -> Dict[str, Any]:
    # Shape of https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-no-streaming-with-tools
    return {
        "model": "qwen3:8b",
        "created_at": "2025-07-07T20:32:53.844124Z",
        "message": {"role": "assistant", "content": "", **message},
        "done_reason": "stop",
        "done": True,
        "total_duration": 3244883583,
        "load_duration": 2969184542,
        "prompt_eval_count": 169,
        "prompt_eval_duration": 141656333,
        "eval_count": 18,
        "eval_duration": 133293625,
    }


async def test_ollama_calls_a_python_tool_end_to_end(server: MockServer, store: Store, ana: Member) -> None:
    server.json("/api/show", ollama_show(["completion", "tools"]))
    server.sequence("/api/chat", [
        ollama_chat({"tool_calls": [{"function": {"name": "garage_door", "arguments": {"open": False}}}]}),
        ollama_chat({"content": "The garage door is closed now."}),
    ])
    model = Model.ollama("qwen3:8b", server.url, num_ctx=16384)
    info = await model.probe()
    assert info.supports_tools and info.name == "qwen3:8b"
    assistant = Assistant(store, model=model)
    moves: List[bool] = []

    @assistant.tool
    def garage_door(open: bool) -> str:
        """Opens or closes the garage door."""
        moves.append(open)
        return "closed" if not open else "opened"

    reply = await assistant.ask(ana, "close the garage")
    assert reply.text == "The garage door is closed now." and moves == [False]
    first, second = (r.body for r in server.calls("/api/chat"))
    assert first["options"]["num_ctx"] == 16384
    assert "garage_door" in [t["function"]["name"] for t in first["tools"]]
    (result,) = [m for m in second["messages"] if m["role"] == "tool"]
    assert result["content"] == "closed" and result["tool_name"] == "garage_door"


async def test_a_model_that_is_not_pulled_is_not_found_with_what_to_do(server: MockServer) -> None:
    # https://github.com/ollama/ollama/blob/main/docs/api.md#show-model-information: 404 with
    # an `error` body for a model the server does not have.
    server.json("/api/show", {"error": "model 'qwen9' not found"}, status=404)
    with pytest.raises(NotFound, match="ollama pull qwen9"):
        await Model.ollama("qwen9", server.url).probe()


async def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Unavailable):
        await Model.ollama("qwen3:8b", f"http://127.0.0.1:{port}", timeout=5).probe()


async def test_rate_limiting_is_rate_limited_with_retry_after(server: MockServer) -> None:
    # OpenAI's 429 (error-codes guide: rate_limit_exceeded), body per the OpenAPI spec's
    # ErrorResponse, with Retry-After in seconds (RFC 9110 §10.2.3).
    server.json(
        "/v1/models",
        {"error": {"message": "Rate limit reached for gpt-4o-mini. Please try again in 7s.",
                   "type": "requests", "param": None, "code": "rate_limit_exceeded"}},
        status=429,
        headers={"Retry-After": "7"},
    )
    with pytest.raises(RateLimited) as raised:
        await Model.openai("gpt-4o-mini", f"{server.url}/v1").probe()
    assert raised.value.retry_after == 7.0
    assert isinstance(raised.value, Unavailable)


async def test_a_refused_key_is_unauthorized_and_the_key_never_printed(server: MockServer) -> None:
    # OpenAI's 401 for a bad key (error-codes guide: invalid_api_key), body per the OpenAPI
    # spec's ErrorResponse.
    server.json(
        "/v1/models",
        {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                   "param": None, "code": "invalid_api_key"}},
        status=401,
    )
    model = Model.openai("gpt-4o-mini", f"{server.url}/v1", api_key="sk-secret-123")
    with pytest.raises(Unauthorized) as raised:
        await model.probe()
    assert "API key" in str(raised.value) and "sk-secret-123" not in str(raised.value)
    (request,) = server.calls("/v1/models")
    assert request.headers["authorization"] == "Bearer sk-secret-123"


def test_a_bad_base_url_is_refused_at_once() -> None:
    with pytest.raises(InvalidInput, match="http"):
        Model.ollama("qwen3:8b", "ftp://nowhere")


async def test_chat_directly_with_a_model(server: MockServer) -> None:
    server.json("/api/chat", ollama_chat({"content": "Hello, Ana."}))
    model = Model.ollama("qwen3:8b", server.url)
    weather = {"name": "weather", "description": "Weather in a city",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    message = await model.chat([{"role": "user", "content": "hi"}], tools=[weather])
    assert (message.role, message.content, message.tool_calls) == ("assistant", "Hello, Ana.", [])
    (request,) = server.calls("/api/chat")
    assert request.body["messages"][-1] == {"role": "user", "content": "hi"}
    assert request.body["tools"][0]["function"]["name"] == "weather"
    with pytest.raises(InvalidInput, match="messages"):
        await model.chat([{"role": "wizard", "content": "hi"}])


async def test_a_voice_note_is_transcribed(server: MockServer) -> None:
    # The verbose_json answer of createTranscription (OpenAI's openapi.yaml,
    # CreateTranscriptionResponseVerboseJson example), trimmed of its segments.
    server.json("/v1/audio/transcriptions", {
        "task": "transcribe", "language": "english", "duration": 8.47,
        "text": "The beach was a popular spot on a hot summer day.",
    })
    transcriber = Transcriber(f"{server.url}/v1", model="whisper-1", api_key="sk-audio")
    transcript = await transcriber.transcribe(b"OggS\x00fake-opus", "voice.ogg", "audio/ogg")
    assert transcript.text == "The beach was a popular spot on a hot summer day."
    assert transcript.duration == 8.47
    (request,) = server.calls("/v1/audio/transcriptions")
    assert "voice.ogg" in request.body and "whisper-1" in request.body
