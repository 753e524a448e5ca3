"""How the package behaves as a Python library: cancellation reaches the Rust work, the event
loop and the GIL stay free while Rust works, and every error kind arrives as its exception."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

import family_assistant as fa
from conftest import MASTER_KEY
from family_assistant import (
    Assistant, ConfigurationError, CryptoError, FaError, Incompatible, InvalidInput, Member, Model,
    Store, Unavailable,
)


class HangingOllama:
    """An Ollama stand-in whose ``/api/chat`` never answers: it waits until the client closes the
    connection and records that it did. ``/api/show`` answers with tool support."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.chat_started = threading.Event()
        self.client_closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            if b"/api/chat" not in data.split(b"\r\n", 1)[0]:
                body = json.dumps({"capabilities": ["completion", "tools"], "model_info": {}}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                return
            self.chat_started.set()
            conn.settimeout(60)
            try:
                while conn.recv(65536):
                    pass
            except OSError:
                pass
            self.client_closed.set()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def hanging() -> Iterator[HangingOllama]:
    server = HangingOllama()
    yield server
    server.close()


async def wait_for(event: threading.Event) -> bool:
    return await asyncio.get_running_loop().run_in_executor(None, event.wait, 60)


async def test_cancelling_an_ask_cancels_the_rust_turn(hanging: HangingOllama, store: Store, ana: Member) -> None:
    assistant = Assistant(store, model=Model.ollama("qwen3:8b", hanging.url, timeout=120))
    task = asyncio.ensure_future(assistant.ask(ana, "what's for dinner?"))
    assert await wait_for(hanging.chat_started)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The request under way is dropped: the server sees the connection close.
    assert await wait_for(hanging.client_closed)
    chat = await store.conversation(ana, "python", "main")
    assert await store.recent_messages(ana, chat) == []


async def test_cancelling_a_streams_reply_cancels_its_turn(
    hanging: HangingOllama, store: Store, ana: Member
) -> None:
    assistant = Assistant(store, model=Model.ollama("qwen3:8b", hanging.url, timeout=120))
    stream = assistant.stream(ana, "tell me a story")
    waiting = asyncio.ensure_future(stream.reply())
    assert await wait_for(hanging.chat_started)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await wait_for(hanging.client_closed)


async def test_the_reply_of_an_unread_stream_does_not_wait_for_the_reader(store: Store, ana: Member) -> None:
    text = " ".join(f"word{i}" for i in range(400))
    assistant = Assistant(store, model=Model.scripted([{"text": text}]))
    stream = assistant.stream(ana, "talk a lot")
    reply = await asyncio.wait_for(stream.reply(), 60)
    assert reply.text == text


async def test_closing_a_stream_cancels_its_turn(hanging: HangingOllama, store: Store, ana: Member) -> None:
    assistant = Assistant(store, model=Model.ollama("qwen3:8b", hanging.url, timeout=120))
    stream = assistant.stream(ana, "tell me a story")
    assert await wait_for(hanging.chat_started)
    stream.close()
    assert await wait_for(hanging.client_closed)
    with pytest.raises(RuntimeError, match="did not finish"):
        await stream.reply()


async def test_the_event_loop_runs_while_rust_works(hanging: HangingOllama, store: Store, ana: Member) -> None:
    assistant = Assistant(store, model=Model.ollama("qwen3:8b", hanging.url, timeout=120))
    task = asyncio.ensure_future(assistant.ask(ana, "hello"))
    assert await wait_for(hanging.chat_started)
    # While the turn waits for the model, other coroutines on the loop run and finish.
    other = await asyncio.wait_for(asyncio.gather(*(asyncio.sleep(0.001, i) for i in range(50))), 30)
    assert other == list(range(50)) and not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_exceptions_form_one_tree_with_kinds() -> None:
    leaves = [fa.InvalidInput, fa.NotFound, fa.Conflict, fa.Unavailable, fa.RateLimited,
              fa.Unauthorized, fa.Incompatible, fa.Corrupt, fa.CryptoError,
              fa.ConfigurationError, fa.InternalError, fa.DeliveryFailed]
    assert all(issubclass(cls, FaError) for cls in leaves)
    assert len({cls.kind for cls in leaves}) == len(leaves)
    assert issubclass(fa.RateLimited, fa.Unavailable)
    assert issubclass(fa.InvalidInput, ValueError) and issubclass(fa.NotFound, LookupError)
    error = fa.RateLimited("slow down", 3.0)
    assert (error.message, error.retry_after, str(error)) == ("slow down", 3.0, "slow down")


async def test_a_file_that_is_not_a_database_is_incompatible(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping: milk, eggs\n" * 200)
    with pytest.raises(Incompatible, match="not a usable fa database"):
        await Store.open(f"sqlite:{path}")
    assert path.read_text().startswith("shopping")


async def test_a_credential_sealed_with_another_key_is_a_crypto_error(tmp_path: Path) -> None:
    url = f"sqlite:{tmp_path / 'fa.db'}"
    store = await Store.open(url, master_key=MASTER_KEY)
    home = await store.create_household("Home")
    ana = await store.add_member(home, "Ana", "owner")
    integration = await store.create_integration(ana, "google", "Calendar")
    await store.store_credential(ana, integration, "refresh-token")
    other_key = "HxwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgEAAAA="
    reopened = await Store.open(url, master_key=other_key)
    with pytest.raises(CryptoError, match="FA_MASTER_KEY"):
        await reopened.load_credential(ana, integration)


async def test_without_a_master_key_storing_a_secret_says_how_to_set_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FA_MASTER_KEY", raising=False)
    monkeypatch.delenv("FA_MASTER_KEY_FILE", raising=False)
    store = await Store.open("sqlite::memory:")
    home = await store.create_household("Home")
    ana = await store.add_member(home, "Ana", "owner")
    integration = await store.create_integration(ana, "google", "Calendar")
    with pytest.raises(ConfigurationError, match="FA_MASTER_KEY"):
        await store.store_credential(ana, integration, "refresh-token")
    with pytest.raises(ConfigurationError, match="32 random bytes in base64"):
        await Store.open("sqlite::memory:", master_key="too-short")


async def test_store_urls_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="sqlite:PATH") as raised:
        await Store.open("postgress://fa:hunter2@db.example/fa")
    assert "hunter2" not in str(raised.value) and "postgress" in str(raised.value)
    with pytest.raises(InvalidInput, match="PostgreSQL only"):
        await Store.open(f"sqlite:{tmp_path / 'x.db'}", schema="fa")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Unavailable):
        await Store.open(f"postgres://postgres@127.0.0.1:{port}/postgres")


def test_the_version_is_the_crates() -> None:
    assert fa.__version__ == fa._native.version() and fa.__version__.count(".") == 2


async def test_many_awaits_at_once_all_complete(store: Store, ana: Member) -> None:
    results: List[Tuple[str, int]] = []

    async def count(i: int) -> None:
        notes = await store.notes(ana)
        results.append((str(i), len(notes)))

    await store.save_note(ana, "one")
    await asyncio.gather(*(count(i) for i in range(50)))
    assert len(results) == 50 and {n for _, n in results} == {1}
