"""The assistant from Python: Python tools called by the model end to end, confirmation of
changes, streaming, offline commands, and models behind mock servers."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Dict, List, Literal, Optional

import pytest

from family_assistant import (
    Assistant, InvalidInput, Member, Model, PendingActionState, Scheduler, Store, Tool, ToolCall,
    schema_of, tool,
)


def tool_results(model: Model, request: int) -> List[Dict[str, Any]]:
    """The tool messages the model received in its ``request``-th request."""
    return [m for m in model.requests()[request]["messages"] if m["role"] == "tool"]


async def test_the_model_calls_a_python_tool_and_gets_its_result(store: Store, ana: Member) -> None:
    model = Model.scripted([
        {"calls": [{"name": "add_to_list", "arguments": {"item": "milk", "quantity": 2}}]},
        {"text": "Added 2 milk to the shopping list."},
    ])
    assistant = Assistant(store, model=model)
    added: List[Any] = []

    @assistant.tool
    def add_to_list(item: str, quantity: int = 1) -> str:
        """Adds an item to the family's shopping list.

        Args:
            item: What to buy.
            quantity: How many.
        """
        added.append((item, quantity))
        return f"{item} x{quantity} is on the list"

    reply = await assistant.ask(ana, "we need two milk")
    assert reply.text == "Added 2 milk to the shopping list."
    assert (reply.tool_calls, reply.model_requests, reply.offline) == (1, 2, False)
    assert added == [("milk", 2)]
    assert "add_to_list" in model.requests()[0]["tools"]
    (result,) = tool_results(model, 1)
    assert result["content"] == "milk x2 is on the list" and result["tool_name"] == "add_to_list"


async def test_a_failing_python_tool_reaches_the_model_as_a_tool_error(store: Store, ana: Member) -> None:
    model = Model.scripted([
        {"calls": [{"name": "door_status", "arguments": {}}]},
        {"text": "I cannot reach the door sensor right now."},
        {"calls": [{"name": "door_status", "arguments": {}}]},
        {"text": "Still down."},
    ])
    assistant = Assistant(store, model=model)

    @assistant.tool
    def door_status() -> str:
        """Whether the front door is locked."""
        raise RuntimeError("sensor offline")

    reply = await assistant.ask(ana, "is the door locked?")
    assert reply.text == "I cannot reach the door sensor right now."
    (result,) = tool_results(model, 1)
    assert "RuntimeError: sensor offline" in result["content"]
    # The engine keeps serving after the failure.
    assert (await assistant.ask(ana, "and now?")).text == "Still down."


async def test_invalid_arguments_are_fed_back_for_the_model_to_correct(store: Store, ana: Member) -> None:
    model = Model.scripted([
        {"calls": [{"name": "set_volume", "arguments": {"level": 15}}]},
        {"calls": [{"name": "set_volume", "arguments": {"level": 7}}]},
        {"text": "Volume is 7."},
    ])
    assistant = Assistant(store, model=model)
    levels: List[int] = []

    @assistant.tool
    def set_volume(level: int) -> str:
        """Sets the kitchen speaker's volume (0-10)."""
        if not 0 <= level <= 10:
            raise InvalidInput(f"level {level} is outside 0-10")
        levels.append(level)
        return "ok"

    reply = await assistant.ask(ana, "volume up")
    assert reply.text == "Volume is 7." and levels == [7]
    (feedback,) = tool_results(model, 1)
    assert "outside 0-10" in feedback["content"] and "Correct the arguments" in feedback["content"]


async def test_a_tool_with_side_effects_waits_for_confirmation_and_runs_once(
    store: Store, ana: Member
) -> None:
    model = Model.scripted([
        {"calls": [{"name": "order_pizza", "arguments": {"size": "large"}}]},
        {"calls": [{"name": "order_pizza", "arguments": {"size": "small"}}]},
    ])
    assistant = Assistant(store, model=model)
    orders: List[str] = []

    def order_pizza(size: Literal["small", "large"]) -> str:
        """Orders a pizza for delivery."""
        orders.append(size)
        return f"ordered a {size} pizza"

    assistant.add_tool(tool(order_pizza, changes_state=True, describe=lambda size: f"Order a {size} pizza"))
    reply = await assistant.ask(ana, "order a large pizza")
    assert orders == []
    (action,) = reply.pending
    assert reply.text == "Please confirm:" and reply.model_requests == 1
    assert action.summary == "Order a large pizza" and action.state is PendingActionState.PENDING
    assert await store.open_pending_actions(ana) == [action]
    assert await store.pending_action(ana, action.id) == action
    done = await assistant.confirm(ana, action)
    assert orders == ["large"] and "ordered a large pizza" in done.text
    again = await assistant.confirm(ana, action)
    assert orders == ["large"] and "already" in again.text
    (second,) = (await assistant.ask(ana, "and a small one")).pending
    cancelled = await assistant.cancel(ana, second)
    assert orders == ["large"] and "Cancelled" in cancelled.text


async def test_an_async_tool_runs_on_the_callers_loop_and_sees_who_asked(store: Store, ana: Member) -> None:
    await store.save_note(ana, "Ana's favourite colour is green")
    model = Model.scripted([
        {"calls": [{"name": "favourite_colour", "arguments": {}}]},
        {"text": "Green."},
    ])
    assistant = Assistant(store, model=model)
    loops: List[asyncio.AbstractEventLoop] = []

    @assistant.tool
    async def favourite_colour(call: ToolCall) -> Dict[str, Any]:
        """The asking member's favourite colour."""
        loops.append(asyncio.get_running_loop())
        notes = await store.notes(call.member, "colour")
        return {"member": call.member.display_name, "notes": [n.content for n in notes]}

    assert (await assistant.ask(ana, "what's my colour?")).text == "Green."
    assert loops == [asyncio.get_running_loop()]
    (result,) = tool_results(model, 1)
    assert result["content"] == '{"member": "Ana", "notes": ["Ana\'s favourite colour is green"]}'


async def test_a_tool_may_call_back_into_the_assistant_during_a_turn(store: Store, ana: Member) -> None:
    model = Model.scripted([{"calls": [{"name": "my_tools", "arguments": {}}]}, {"text": "done"}])
    assistant = Assistant(store, model=model, builtin_tools=False)

    @assistant.tool
    def my_tools() -> str:
        """Lists the tools."""
        return ",".join(assistant.tool_names)

    reply = await asyncio.wait_for(assistant.ask(ana, "what can you do?"), timeout=60)
    assert reply.text == "done"
    assert tool_results(model, 1)[0]["content"] == "my_tools"


def test_schemas_come_from_type_hints_and_the_docstring() -> None:
    def plan_meal(day: str, guests: int, vegetarian: bool = False, notes: Optional[str] = None,
                  dishes: Optional[List[str]] = None, mood: Literal["quick", "fancy"] = "quick",
                  call: Optional[ToolCall] = None) -> str:
        """Plans a meal.

        Args:
            day: The day, e.g. "Friday".
            guests: How many people eat.
        """
        return ""

    assert schema_of(plan_meal) == {
        "type": "object",
        "properties": {
            "day": {"type": "string", "description": 'The day, e.g. "Friday".'},
            "guests": {"type": "integer", "description": "How many people eat."},
            "vegetarian": {"type": "boolean"},
            "notes": {"type": "string"},
            "dishes": {"type": "array", "items": {"type": "string"}},
            "mood": {"enum": ["quick", "fancy"]},
        },
        "required": ["day", "guests"],
    }
    spec = tool(plan_meal)
    assert isinstance(spec, Tool) and spec.name == "plan_meal" and spec.description == "Plans a meal."


async def test_a_bad_tool_name_is_refused(store: Store) -> None:
    assistant = Assistant(store)
    with pytest.raises(InvalidInput, match="tool name"):
        assistant.add_tool(Tool("Bad Name", "x", {"type": "object"}, lambda: "x"))


async def test_a_reply_streams_with_async_for(store: Store, ana: Member) -> None:
    model = Model.scripted([])
    assert model.name == "scripted" and repr(model) == "Model('scripted')"
    model.push([{"text": "Good morning, Ana!"}])
    assistant = Assistant(store, model=model)
    async with assistant.stream(ana, "morning") as stream:
        deltas = [delta async for delta in stream]
        reply = await stream.reply()
    assert "".join(deltas) == "Good morning, Ana!"
    assert reply.text == "Good morning, Ana!"


async def test_without_a_model_commands_still_work_and_the_reply_says_offline(
    store: Store, ana: Member
) -> None:
    assistant = Assistant(store, model=Model.scripted([{"error": "unreachable"}]))
    reply = await assistant.ask(ana, "what's on today?")
    assert reply.offline and "offline" in reply.text and "/retry" in reply.text
    command = await assistant.ask(ana, "/remind me in 2 hours to check the oven")
    assert "check the oven" in command.text and not command.offline
    (job,) = await Scheduler(store).jobs(ana)
    assert job.payload == {"text": "check the oven"}


def test_ask_sync_releases_the_gil_for_python_tools() -> None:
    async def setup() -> Any:
        store = await Store.open("sqlite::memory:")
        home = await store.create_household("Sync")
        return store, await store.add_member(home, "Sam", "owner")

    store, sam = asyncio.run(setup())
    model = Model.scripted([{"calls": [{"name": "ping", "arguments": {}}]}, {"text": "pong"}])
    assistant = Assistant(store, model=model)
    threads: List[str] = []

    @assistant.tool
    def ping() -> str:
        """Answers pong."""
        threads.append(threading.current_thread().name)
        return "pong"

    # The tool runs on another thread and needs the GIL while ask_sync waits on this one.
    replies: List[str] = []
    worker = threading.Thread(target=lambda: replies.append(assistant.ask_sync(sam, "ping").text))
    worker.start()
    worker.join(timeout=60)
    assert replies == ["pong"]
    assert threads and threads[0] != worker.name


async def test_a_profile_answers_with_its_named_model(store: Store, ana: Member) -> None:
    default = Model.scripted([{"text": "default answer"}])
    chef = Model.scripted([{"text": "Risotto tonight."}])
    assistant = Assistant(store, model=default, models={"chef": chef})
    await store.save_profile(ana.household_id, "chef", "You plan meals.", model="chef")
    reply = await assistant.ask(ana, "what's for dinner?", profile="chef")
    assert reply.text == "Risotto tonight." and len(chef.requests()) == 1
    assert chef.requests()[0]["messages"][0]["content"].startswith("You plan meals.")
    assert default.requests() == []


async def test_a_turn_is_kept_in_the_conversation_it_names(store: Store, ana: Member) -> None:
    assistant = Assistant(store, model=Model.scripted([{"text": "one"}, {"text": "two"}]))
    kitchen = await store.conversation(ana, "tablet", "kitchen")
    assert (await assistant.ask(ana, "first", conversation=kitchen)).text == "one"
    assert (await assistant.ask(ana, "second", channel="tablet", chat_id="kitchen")).text == "two"
    stored = [(m.role.value, m.content) for m in await store.recent_messages(ana, kitchen)]
    assert stored == [("user", "first"), ("assistant", "one"), ("user", "second"), ("assistant", "two")]
    main = await store.conversation(ana, "python", "main")
    assert await store.recent_messages(ana, main) == []
