"""Scheduler, assistant, app-provided tools and models, through the generated bindings."""

import asyncio
import threading
from datetime import timedelta

import pytest

from conftest import START, family, open_test_store, scope
from fa_uniffi import fa_core, fa_ffi


class Inbox(fa_core.HostNotifier):
    def __init__(self) -> None:
        self.received = []

    def deliver(self, notification):
        self.received.append(notification)
        return f"local-{len(self.received)}"


async def test_a_reminder_is_fired_and_delivered_to_the_app() -> None:
    clock = fa_ffi.ManualClock(START)
    store = await open_test_store(clock=clock)
    ann = await family(store)
    scheduler = fa_ffi.Scheduler(store)
    job = await scheduler.remind(scope(ann), "call grandma", fa_core.Trigger.ONCE(at=START + timedelta(hours=1)), None)
    inbox = Inbox()
    runner = scheduler.runner(inbox, None)
    assert (await runner.tick()).fired == 0
    clock.advance(timedelta(hours=1))
    counts = await runner.tick()
    assert (counts.fired, counts.sent) == (1, 1)
    assert "call grandma" in inbox.received[0].body
    occurrence = (await scheduler.history(scope(ann), job.id, 5))[0]
    receipt = (await scheduler.deliveries(scope(ann), occurrence.id))[0]
    assert receipt.status == fa_core.DeliveryStatus.SENT


async def test_a_failing_notifier_is_retried_not_lost() -> None:
    clock = fa_ffi.ManualClock(START)
    store = await open_test_store(clock=clock)
    ann = await family(store)
    scheduler = fa_ffi.Scheduler(store)

    class Flaky(fa_core.HostNotifier):
        calls = 0

        def deliver(self, notification):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise fa_core.FaError.Network("no signal")
            return None

    await scheduler.remind(scope(ann), "pills", fa_core.Trigger.ONCE(at=START + timedelta(minutes=5)), None)
    runner = scheduler.runner(Flaky(), None)
    clock.advance(timedelta(minutes=5))
    assert (await runner.tick()).retrying == 1
    clock.advance(timedelta(minutes=5))
    assert (await runner.tick()).sent == 1 and Flaky.calls == 2


async def test_a_python_tool_called_by_the_model_runs_off_the_runtime() -> None:
    store = await open_test_store()
    ann = await family(store)
    model = fa_ffi.Model.scripted(
        [fa_core.ScriptedReply.CALLS([fa_core.ToolCall(id="c1", name="shopping_list", arguments='{"item":"milk"}')]),
         fa_core.ScriptedReply.TEXT("Added milk.")],
        False,
    )
    assistant = fa_ffi.Assistant(store, None, model, fa_ffi.AssistantSettings(builtin_tools=False))
    seen = []

    class ShoppingList(fa_core.HostTool):
        def call(self, invocation):
            seen.append((invocation.arguments, invocation.member.display_name, threading.current_thread().name))
            return "ok: milk"

    assistant.add_tool(
        fa_ffi.ToolDefinition(name="shopping_list", description="Adds to the list",
                              parameters='{"type":"object","properties":{"item":{"type":"string"}}}', changes_state=False),
        ShoppingList(),
    )
    reply = await assistant.ask(ann, "add milk", None, None)
    assert reply.text == "Added milk." and reply.tool_calls == 1
    assert seen[0][:2] == ('{"item":"milk"}', "Ann")
    assert seen[0][2] != threading.main_thread().name
    assert model.requests()[1].messages[-1].content == "ok: milk"


async def test_a_changing_tool_waits_for_confirmation() -> None:
    store = await open_test_store()
    ann = await family(store)
    model = fa_ffi.Model.scripted(
        [fa_core.ScriptedReply.CALLS([fa_core.ToolCall(id="c1", name="unlock_door", arguments="{}")])], False
    )
    assistant = fa_ffi.Assistant(store, None, model, fa_ffi.AssistantSettings(builtin_tools=False))
    unlocked = []

    class Door(fa_core.HostTool):
        def call(self, invocation):
            unlocked.append(True)
            return "unlocked"

    assistant.add_tool(fa_ffi.ToolDefinition(name="unlock_door", description="Unlocks", parameters='{"type":"object"}', changes_state=True), Door())
    reply = await assistant.ask(ann, "open the door", None, None)
    assert len(reply.pending) == 1 and unlocked == []
    confirmed = await assistant.confirm(scope(ann), reply.pending[0].id)
    assert unlocked == [True] and "unlocked" in confirmed.text


async def test_streaming_reaches_the_listener() -> None:
    store = await open_test_store()
    ann = await family(store)
    assistant = fa_ffi.Assistant(store, None, fa_ffi.Model.scripted([fa_core.ScriptedReply.TEXT("Hello Ann")], False), None)
    deltas = []

    class Listener(fa_core.ReplyListener):
        def on_delta(self, text):
            deltas.append(text)

    reply = await assistant.stream(ann, "hi", Listener(), None, None)
    assert reply.text == "Hello Ann" == "".join(deltas)


async def test_cancelling_the_task_cancels_the_turn() -> None:
    store = await open_test_store()
    ann = await family(store)
    entered, release = threading.Event(), threading.Event()

    class Slow(fa_core.HostModel):
        def chat(self, request):
            entered.set()
            release.wait(30)
            return fa_core.ChatResponse(message=fa_core.ChatMessage(role=fa_core.ChatRole.ASSISTANT, content="late", tool_calls=[], tool_call_id=None, tool_name=None), usage=None)

    assistant = fa_ffi.Assistant(store, None, fa_ffi.Model.host("slow", Slow(), 4096), None)
    task = asyncio.create_task(assistant.ask(ann, "story", None, None))
    assert await asyncio.to_thread(entered.wait, 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    conversation = await store.conversation(scope(ann), "app", "main")
    assert "late" not in [m.content for m in await store.recent_messages(scope(ann), conversation.id, 10)]


async def test_errors_keep_their_kind_and_retry_after() -> None:
    class Busy(fa_core.HostModel):
        def chat(self, request):
            raise fa_core.FaError.RateLimited("busy", timedelta(seconds=3))

    hello = [fa_core.ChatMessage(role=fa_core.ChatRole.USER, content="hi", tool_calls=[], tool_call_id=None, tool_name=None)]
    with pytest.raises(fa_core.FaError.RateLimited) as raised:
        await fa_ffi.Model.host("busy", Busy(), 4096).chat(hello, [])
    assert raised.value.retry_after == timedelta(seconds=3)

    class Broken(fa_core.HostModel):
        def chat(self, request):
            raise ValueError("weights missing")

    with pytest.raises(fa_core.FaError.Other, match="weights missing"):
        await fa_ffi.Model.host("broken", Broken(), 4096).chat(hello, [])
    offline = fa_ffi.Model.scripted([fa_core.ScriptedReply.ERROR(fa_core.ModelErrorKind.UNREACHABLE)], False)
    with pytest.raises(fa_core.FaError.Network):
        await offline.chat(hello, [])


def test_dates_are_read_in_the_members_timezone() -> None:
    parsed = fa_ffi.parse_reminder("tomorrow at 9 to call grandma", START, "Europe/Berlin")
    assert parsed.text == "call grandma"
    assert isinstance(parsed.when, fa_ffi.ParsedWhen.ONCE)
    assert parsed.when.at.isoformat() == "2026-12-04T08:00:00+00:00"
    weekly = fa_ffi.parse_when("every Monday at 8am", START, "Europe/Berlin")
    assert isinstance(weekly, fa_ffi.ParsedWhen.RECURRING) and "FREQ=WEEKLY" in weekly.rule
