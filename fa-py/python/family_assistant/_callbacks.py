"""Python callables as fa calls them: on a worker thread, one dict argument, plain data back.

fa calls tools, job handlers and notifiers on a thread of its own, never on the event loop and
never while it holds a lock. A coroutine function is run on the event loop that awaits the fa
call which needed it (``LoopRef``), or in a fresh loop when there is none (a blocking call)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Callable, Optional, TypeVar

T = TypeVar("T")


class LoopRef:
    """The event loop that awaits fa calls now, for coroutine callbacks to run on."""

    def __init__(self) -> None:
        self.loop: Optional[asyncio.AbstractEventLoop] = None

    def capture(self) -> None:
        """Called from ``async`` methods: remember the running loop."""
        self.loop = asyncio.get_running_loop()

    def clear(self) -> None:
        """Called from blocking methods: coroutines get a loop of their own."""
        self.loop = None


def run_sync(ref: LoopRef, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Calls ``func``; if it gives an awaitable, waits for it on the captured loop."""
    result = func(*args, **kwargs)
    if not inspect.isawaitable(result):
        return result
    awaitable: Awaitable[Any] = result
    loop = ref.loop
    if loop is not None and loop.is_running() and not loop.is_closed():
        return asyncio.run_coroutine_threadsafe(_wrap(awaitable), loop).result()
    return asyncio.run(_wrap(awaitable))


async def _wrap(awaitable: Awaitable[T]) -> T:
    return await awaitable


def settle(future: "asyncio.Future[Any]", ok: bool, value: Any) -> None:
    """Completes ``future`` with fa's result (called on its loop) unless it is already done:
    cancelled while fa was working."""
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
