"""A tool written in Python that the model calls: the family's shopping list.

Uses Ollama when it answers (``FA_MODEL``, default ``qwen3:8b``; ``OLLAMA_HOST``), and otherwise
shows the same exchange with a scripted model, so it runs anywhere. Adding to the list changes
something, so the member confirms it first.
"""

from __future__ import annotations

import asyncio
import os
from typing import Dict, List

from family_assistant import Assistant, FaError, Model, Role, Store, tool

SHOPPING: Dict[str, int] = {}


@tool(changes_state=True, describe=lambda item, quantity=1: f"Add {quantity} × {item} to the list")
def add_to_shopping_list(item: str, quantity: int = 1) -> str:
    """Adds an item to the family's shopping list.

    Args:
        item: What to buy, e.g. "oat milk".
        quantity: How many.
    """
    SHOPPING[item] = SHOPPING.get(item, 0) + quantity
    return f"{item}: {SHOPPING[item]} on the list"


@tool
def shopping_list() -> List[str]:
    """What is on the family's shopping list."""
    return [f"{n} × {item}" for item, n in SHOPPING.items()]


async def pick_model() -> Model:
    model = Model.ollama(os.environ.get("FA_MODEL", "qwen3:8b"), timeout=60)
    try:
        await model.probe()
        return model
    except FaError as error:
        print(f"(no usable Ollama: {error}; showing the exchange with a scripted model)")
        return Model.scripted([
            {"calls": [{"name": "add_to_shopping_list", "arguments": {"item": "oat milk", "quantity": 2}}]},
            {"calls": [{"name": "shopping_list", "arguments": {}}]},
            {"text": "The list has 2 × oat milk."},
        ])


async def main() -> None:
    store = await Store.open("sqlite::memory:")
    home = await store.create_household("Home")
    ana = await store.add_member(home, "Ana", Role.OWNER, timezone="Europe/Berlin")
    assistant = Assistant(store, model=await pick_model())
    assistant.add_tool(add_to_shopping_list)
    assistant.add_tool(shopping_list)

    reply = await assistant.ask(ana, "Put two oat milk on the shopping list")
    print("assistant:", reply.text)
    for action in reply.pending:
        print("confirm? ", action.summary)
        print("assistant:", (await assistant.confirm(ana, action)).text)
    print("assistant:", (await assistant.ask(ana, "What's on the list?")).text)


if __name__ == "__main__":
    asyncio.run(main())
