"""The family shop in the chat, from Python: SP-API notifications read from the seller's SQS
queue, stored once, routed to members by rules, and delivered (printed here; the bot sends them
on Telegram). Configure the queue with the environment:

    FA_AMAZON_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/sp-api \
    AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… python examples/python/shop_notifications.py

``FA_AMAZON_SQS_ENDPOINT`` points at another SQS server (a local moto). With ``--demo`` no queue
is read: Amazon's published example notifications (fa-amazon/tests/fixtures) are routed instead.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

from family_assistant import Notification, Role, RouteSpec, Scheduler, Store
from family_assistant.amazon import EventRouter, SqsConsumer, parse_notification

EXAMPLES = Path(__file__).resolve().parents[2] / "fa-amazon" / "tests" / "fixtures" / "notifications"


async def main(demo: bool) -> None:
    store = await Store.open("sqlite::memory:" if demo else "sqlite:shop.db")
    home = await store.create_household("Shop")
    ana = await store.add_member(home, "Ana", Role.OWNER, timezone="Europe/Berlin")
    ben = await store.add_member(home, "Ben", Role.ADULT, timezone="Europe/Berlin")
    # Ana hears about everything; Ben only about shipments.
    await store.add_route_rule(ana, RouteSpec())
    await store.add_route_rule(ben, RouteSpec(kinds=["FBA_OUTBOUND_SHIPMENT_STATUS"]))
    router = EventRouter(store)
    names = {ana.id: ana.display_name, ben.id: ben.display_name}

    # The runner delivers several messages at once: one line each, whole.
    printing = threading.Lock()

    def deliver(notification: Notification) -> None:
        with printing:
            print(f"to {names[notification.member_id]}: {notification.body}", flush=True)

    runner = Scheduler(store).runner(deliver, poll_interval=1.0)
    if demo:
        for name in ["fba_outbound_shipment_status.json", "listings_item_status_change.json"]:
            event = parse_notification((EXAMPLES / name).read_text())
            await store.record_event(home, event.source, event.idempotency_key, event.kind, event.payload)
        commit = await router.route_pending(home)
        print(f"routed {commit.events} events into {commit.notifications} messages")
        await runner.tick()
        return
    consumer = SqsConsumer(
        store, home, os.environ["FA_AMAZON_QUEUE_URL"],
        region=os.environ.get("AWS_REGION", "eu-west-1"),
        access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        endpoint_url=os.environ.get("FA_AMAZON_SQS_ENDPOINT"),
        router=router,
    )
    await runner.start()
    try:
        await consumer.run()
    finally:
        consumer.stop()
        await runner.stop()


if __name__ == "__main__":
    try:
        asyncio.run(main("--demo" in sys.argv))
    except KeyboardInterrupt:
        pass
