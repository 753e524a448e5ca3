"""fa (Family Assistant) for Python: a private, self-hosted assistant for a household.

The store (SQLite or PostgreSQL), the scheduler, local language models with tools, and the
Telegram bot of the Rust library, asyncio-native and typed::

    import asyncio
    from family_assistant import Assistant, Role, Store

    async def main() -> None:
        store = await Store.open("sqlite:family.db")
        home = await store.create_household("Home")
        ana = await store.add_member(home, "Ana", Role.OWNER, timezone="Europe/Berlin")
        reply = await Assistant(store).ask(ana, "/remind me tomorrow at 9 to call grandma")
        print(reply.text)

    asyncio.run(main())
"""

import atexit

from . import _native
from .assistant import Assistant, Model, ReplyStream, Transcriber
from .bot import Bot, verify_telegram_login
from .clock import ManualClock
from .errors import (
    Conflict, ConfigurationError, Corrupt, CryptoError, DeliveryFailed, FaError, Incompatible,
    InternalError, InvalidInput, NotFound, RateLimited, Unauthorized, Unavailable,
)
from .records import *  # noqa: F403
from .records import __all__ as _records
from .scheduler import Runner, Scheduler, parse_reminder, parse_when
from .store import Store, generate_master_key
from .tools import Tool, schema_of, tool

__version__: str = _native.__version__

# Stop background runners and bots and let in-flight results land before the interpreter
# finalizes (see fa-py/src/runtime.rs).
atexit.register(_native.shutdown)

__all__ = [
    "Assistant", "Bot", "ManualClock", "Model", "ReplyStream", "Runner", "Scheduler", "Store",
    "Tool", "Transcriber", "generate_master_key", "parse_reminder", "parse_when", "schema_of",
    "tool", "verify_telegram_login",
    "FaError", "InvalidInput", "NotFound", "Conflict", "Unavailable", "RateLimited",
    "Unauthorized", "Incompatible", "Corrupt", "CryptoError", "ConfigurationError",
    "InternalError", "DeliveryFailed",
    *_records,
]
