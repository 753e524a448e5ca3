"""Python callables as fa calls them: on a worker thread, with one dict argument and the event
loop that awaits the fa call that needed them, returning plain data.

fa calls tools, job handlers and notifiers on a thread of its own, never on the event loop and
never while it holds a lock. A coroutine function is run on that event loop; without one (a
blocking call such as ``ask_sync``) it gets a fresh loop of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from typing import Any, Awaitable, Callable, Optional, TypeVar

T = TypeVar("T")

# How often a callback waiting for its coroutine looks whether the loop is still there.
_LOOK_EVERY = 0.5


def run_sync(
    loop: Optional[asyncio.AbstractEventLoop], func: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """Calls ``func``; if it gives an awaitable, runs it on ``loop`` and waits for it."""
    result = func(*args, **kwargs)
    if not inspect.isawaitable(result):
        return result
    awaitable: Awaitable[Any] = result
    if loop is None or loop.is_closed():
        return asyncio.run(_wrap(awaitable))
    future = asyncio.run_coroutine_threadsafe(_wrap(awaitable), loop)
    while True:
        try:
            return future.result(timeout=_LOOK_EVERY)
        except concurrent.futures.TimeoutError:
            if loop.is_closed() or not loop.is_running():
                future.cancel()
                raise RuntimeError(
                    "the event loop that awaited this fa call stopped before the callback finished"
                ) from None


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
