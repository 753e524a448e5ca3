"""The Telegram bot run from Python with the reference binary's configuration, on a mock Bot
API. Fixture shapes follow the Bot API documentation: Update
<https://core.telegram.org/bots/api#update>, Message <https://core.telegram.org/bots/api#message>,
User <https://core.telegram.org/bots/api#user>, Chat <https://core.telegram.org/bots/api#chat>,
getMe <https://core.telegram.org/bots/api#getme>, errors
<https://core.telegram.org/bots/api#making-requests>."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List
from urllib.parse import urlencode

import pytest

from family_assistant import (
    Assistant, Bot, ConfigurationError, Conflict, InvalidInput, ManualClock, Model, Scheduler,
    Trigger, Unauthorized, verify_telegram_login,
)
from mock_http import Answer, MockServer, Request

TOKEN = "123456:TEST-token"
OWNER = 1001


def text_update(update_id: int, text: str) -> Dict[str, Any]:
    message: Dict[str, Any] = {
        "message_id": update_id,
        "date": 1_795_000_000,
        "chat": {"id": OWNER, "type": "private", "first_name": "Ana"},
        "from": {"id": OWNER, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    return {"update_id": update_id, "message": message}


class Telegram:
    """The Bot API for one bot: queued update batches, recorded sends."""

    def __init__(self) -> None:
        self.server = MockServer()
        self.batches: List[List[Dict[str, Any]]] = []
        self.sent: List[Dict[str, Any]] = []
        self.edits: List[Dict[str, Any]] = []
        self.answered = threading.Event()
        base = f"/bot{TOKEN}"
        self.server.json(f"{base}/getMe", {"ok": True, "result": {
            "id": 42, "is_bot": True, "first_name": "Family", "username": "family_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}})
        self.server.route(f"{base}/getUpdates", self._updates)
        self.server.route(f"{base}/sendMessage", self._send)
        self.server.route(f"{base}/editMessageText", self._edit)
        # setMyCommands, sendChatAction and the like answer True.
        self.server.fallback = lambda _r: (200, {"ok": True, "result": True}, {})

    def _updates(self, _request: Request) -> Answer:
        batch = self.batches.pop(0) if self.batches else []
        if not batch:
            threading.Event().wait(0.05)  # a long poll that times out, shortened
        return 200, {"ok": True, "result": batch}, {}

    def _send(self, request: Request) -> Answer:
        self.sent.append(request.body)
        self.answered.set()
        return 200, {"ok": True, "result": {
            "message_id": 500 + len(self.sent), "date": 1_795_000_000,
            "chat": {"id": request.body["chat_id"], "type": "private", "first_name": "Ana"},
            "from": {"id": 42, "is_bot": True, "first_name": "Family", "username": "family_bot"},
            "text": request.body["text"]}}, {}

    def _edit(self, request: Request) -> Answer:
        self.edits.append(request.body)
        return 200, {"ok": True, "result": True}, {}

    def final_text(self, chat_id: int) -> str:
        """What the chat shows: the last text sent or edited."""
        texts = [m["text"] for m in self.sent + self.edits if m["chat_id"] == chat_id]
        return texts[-1]

    def env(self, data_dir: Path) -> Dict[str, str]:
        return {
            "FA_TELEGRAM_TOKEN": TOKEN,
            "FA_TELEGRAM_API_URL": self.server.url,
            "FA_OWNER_TELEGRAM_ID": str(OWNER),
            "FA_HTTP_LISTEN": "off",
            "FA_DATA_DIR": str(data_dir),
        }


@pytest.fixture
def telegram() -> Iterator[Telegram]:
    api = Telegram()
    yield api
    api.server.close()


async def test_the_bot_answers_on_telegram_with_a_python_tool(telegram: Telegram, tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[household]\nname = "Rivera"\ntimezone = "Europe/Berlin"\n')
    model = Model.scripted([
        {"calls": [{"name": "pantry", "arguments": {"item": "rice"}}]},
        {"text": "There are 2 bags of rice."},
    ])
    bot = await Bot.prepare(config, env=telegram.env(tmp_path), model=model)
    assert bot.household.name == "Rivera" and bot.owner.timezone == "Europe/Berlin"
    assistant = Assistant(bot.store, model=model)
    asked: List[str] = []
    loops: List[asyncio.AbstractEventLoop] = []

    @assistant.tool
    async def pantry(item: str) -> str:
        """How much of an item is in the pantry."""
        loops.append(asyncio.get_running_loop())
        asked.append(item)
        return f"2 bags of {item}"

    bot.use_tools(assistant)
    telegram.batches.append([text_update(1, "how much rice do we have?")])
    run = asyncio.ensure_future(bot.run())
    answered = await asyncio.get_running_loop().run_in_executor(None, telegram.answered.wait, 60)
    # The reply is streamed into one message; wait until its last edit has the whole text.
    for _ in range(600):
        if "There are 2 bags of rice" in telegram.final_text(OWNER):
            break
        await asyncio.sleep(0.05)
    bot.stop()
    await asyncio.wait_for(run, 60)
    assert answered and asked == ["rice"]
    # The coroutine tool ran on the loop that awaits bot.run().
    assert loops == [asyncio.get_running_loop()]
    assert {m["chat_id"] for m in telegram.sent} == {OWNER}
    assert "There are 2 bags of rice" in telegram.final_text(OWNER)
    with pytest.raises(Conflict, match="already running or has run"):
        await bot.run()


async def test_python_job_kinds_run_in_the_bot(telegram: Telegram, tmp_path: Path) -> None:
    clock = ManualClock(datetime.now(timezone.utc))
    bot = await Bot.prepare(env=telegram.env(tmp_path), clock=clock)
    scheduler = Scheduler(bot.store)
    scheduler.register_kind("pantry_check", lambda firing: "Time to check the pantry")
    bot.use_job_kinds(scheduler)
    with pytest.raises(InvalidInput, match="past"):
        await scheduler.schedule(bot.owner, "pantry_check", {}, Trigger.once(clock.now() - timedelta(minutes=1)))
    await scheduler.schedule(bot.owner, "pantry_check", {}, Trigger.once(clock.now() + timedelta(hours=1)))
    run = asyncio.ensure_future(bot.run())
    clock.advance(timedelta(hours=1))
    answered = await asyncio.get_running_loop().run_in_executor(None, telegram.answered.wait, 60)
    bot.stop()
    await asyncio.wait_for(run, 60)
    assert answered and "Time to check the pantry" in telegram.sent[0]["text"]


async def test_an_amazon_section_gives_the_bot_the_seller_commands(telegram: Telegram, tmp_path: Path) -> None:
    # The same [amazon] section as family-bot's; no queue, so only the command, tools and jobs.
    env = {
        **telegram.env(tmp_path),
        "FA_AMAZON_CLIENT_ID": "amzn1.application-oa2-client.test",
        "FA_AMAZON_CLIENT_SECRET": "client-secret",
        "FA_AMAZON_SP_API_URL": telegram.server.url,
        "FA_AMAZON_LWA_URL": telegram.server.url + "/auth/o2/token",
    }
    bot = await Bot.prepare(env=env)
    telegram.batches.append([text_update(1, "/amazon status")])
    run = asyncio.ensure_future(bot.run())
    answered = await asyncio.get_running_loop().run_in_executor(None, telegram.answered.wait, 60)
    bot.stop()
    await asyncio.wait_for(run, 60)
    # MarkdownV2 escapes the full stop.
    assert answered and "No seller account is connected\\." in telegram.sent[0]["text"]
    menus = [r.body for r in telegram.server.calls(f"/bot{TOKEN}/setMyCommands")]
    assert "amazon" in [c["command"] for c in menus[0]["commands"]]


async def test_a_refused_token_is_unauthorized(telegram: Telegram, tmp_path: Path) -> None:
    # https://core.telegram.org/bots/api#making-requests: an error is {"ok": false,
    # "error_code", "description"}; a revoked token gets 401 Unauthorized.
    telegram.server.json(f"/bot{TOKEN}/getMe", {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
    bot = await Bot.prepare(env=telegram.env(tmp_path))
    with pytest.raises(Unauthorized, match="FA_TELEGRAM_TOKEN") as raised:
        await bot.run()
    assert TOKEN not in str(raised.value) and "TEST-token" not in str(raised.value)


async def test_a_bad_setting_names_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="FA_HTTP_LISTEN"):
        await Bot.prepare(env={"FA_HTTP_LISTEN": "localhost:80", "FA_DATA_DIR": str(tmp_path)})


def test_a_telegram_login_is_verified_and_forged_or_stale_ones_refused() -> None:
    # https://core.telegram.org/widgets/login#checking-authorization: the data-check-string is
    # the sorted "key=value" lines; the hash is HMAC-SHA256 of it keyed with SHA-256(bot token).
    fields = {"id": "1001", "first_name": "Ana", "username": "ana_r", "auth_date": "1795000000"}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hashlib.sha256(TOKEN.encode()).digest()
    signed = {**fields, "hash": hmac.new(key, check.encode(), hashlib.sha256).hexdigest()}
    at = datetime.fromtimestamp(1795000000 + 60, timezone.utc)
    login = verify_telegram_login(urlencode(signed), TOKEN, now=at)
    assert (login.id, login.first_name, login.username) == (1001, "Ana", "ana_r")
    assert login.auth_date == datetime.fromtimestamp(1795000000, timezone.utc)
    assert verify_telegram_login(signed, TOKEN, now=at) == login
    with pytest.raises(Unauthorized):
        verify_telegram_login({**signed, "first_name": "Eve"}, TOKEN, now=at)
    with pytest.raises(Unauthorized):
        verify_telegram_login(signed, TOKEN, now=at + timedelta(days=2))
