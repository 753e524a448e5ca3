"""Python → Rust call overhead of the family_assistant package.

    python fa-py/benches/calls.py [--rounds N]

Measures, on the installed package (build it in release: `pip install ./fa-py`):
- a sync getter (`Model.name`, native property) — target p50 ≤ 2 µs;
- an awaited no-op round trip (`await _native.noop()`: a Rust future on fa's runtime, its result
  handed back to the asyncio loop) — target p50 ≤ 30 µs;
- `Assistant.ask` with a scripted model that answers at once, on an in-memory SQLite store — the
  whole turn (member and conversation lookup, history, the model call, one write transaction) plus
  the binding — target p50 ≤ 1 ms.
Prints p50/p90/p99 per measurement, and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import queue
import statistics
import threading
import time
from typing import Awaitable, Callable, List

import family_assistant as fa
from family_assistant import _native


def percentiles(samples: List[float]) -> str:
    samples = sorted(samples)
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return f"p50 {pick(0.5):9.2f} µs   p90 {pick(0.9):9.2f} µs   p99 {pick(0.99):9.2f} µs"


def sync_getter(rounds: int) -> List[float]:
    model = fa.Model.scripted([{"text": "ok"}])._native
    batch = 1000
    out = []
    for _ in range(rounds // batch):
        start = time.perf_counter_ns()
        for _ in range(batch):
            model.name
        out.append((time.perf_counter_ns() - start) / batch / 1000)
    return out


async def timed(call: Callable[[], Awaitable[object]], rounds: int, warmup: int) -> List[float]:
    for _ in range(warmup):
        await call()
    out = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        await call()
        out.append((time.perf_counter_ns() - start) / 1000)
    return out


async def thread_hop_floor(rounds: int) -> List[float]:
    """The machine's floor for any cross-thread round trip: a future completed by another
    (pure Python) thread through call_soon_threadsafe, as the bridge does from fa's runtime."""
    loop = asyncio.get_running_loop()
    requests: "queue.SimpleQueue[asyncio.Future[None]]" = queue.SimpleQueue()

    def worker() -> None:
        while True:
            fut = requests.get()
            if fut is None:  # type: ignore[comparison-overlap]
                return
            loop.call_soon_threadsafe(fut.set_result, None)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()

    async def hop() -> None:
        fut: asyncio.Future[None] = loop.create_future()
        requests.put(fut)
        await fut

    out = await timed(hop, rounds, 200)
    requests.put(None)  # type: ignore[arg-type]
    return out


async def main(rounds: int) -> None:
    print(f"family_assistant {fa.__version__} on {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.processor() or platform.platform()}")
    print(f"sync getter (Model.name)        {percentiles(sync_getter(rounds * 10))}   (target p50 ≤ 2 µs)")
    print(f"awaited no-op round trip        {percentiles(await timed(_native.noop, rounds, 200))}   (target p50 ≤ 30 µs)")
    print(f"  … through fa's runtime        {percentiles(await timed(_native.noop_yield, rounds, 200))}   (a future that waits once)")
    print(f"  floor: a Python thread hop    {percentiles(await thread_hop_floor(rounds))}   (no fa: the machine's wake-up cost)")
    store = await fa.Store.open("sqlite::memory:")
    home = await store.create_household("Bench")
    ana = await store.add_member(home, "Ana", fa.Role.OWNER, timezone="Europe/Berlin")
    reads = await timed(lambda: store.member(home, ana.id), rounds // 10, 50)
    print(f"store.member (one SELECT)       {percentiles(reads)}")
    model = fa.Model.scripted([{"text": "ok"}], cycle=True)
    assistant = fa.Assistant(store, model=model)
    turns = max(200, rounds // 10)
    chat = await store.conversation(ana, "bench", "main")
    asks = await timed(lambda: assistant.ask(ana, "hello", conversation=chat), turns, 50)
    print(f"ask, scripted instant model     {percentiles(asks)}   (target p50 ≤ 1000 µs; {turns} turns)")
    print(f"  mean {statistics.mean(asks):.1f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20000)
    asyncio.run(main(parser.parse_args().rounds))
