"""The Amazon surface from Python: notification parsing, route rules, the event router, seller
accounts against a mock SP-API and Login with Amazon (bodies from fa-amazon's cited fixtures),
and the SQS consumer on moto (a real SQS implementation) when ``FA_TEST_SQS_URL`` is set."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

from family_assistant import (
    DeliveryMode, InvalidInput, Member, NotFound, QuietHours, RouteCommit, RouteSpec, Store, Unauthorized,
)
from family_assistant.amazon import (
    EVENT_SOURCE, EventRouter, SellerAccounts, SqsConsumer, parse_notification,
)
from mock_http import MockServer

FIXTURES = Path(__file__).resolve().parents[2] / "fa-amazon" / "tests" / "fixtures"
LWA_PATH = "/auth/o2/token"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_a_notification_is_keyed_by_order_status_and_garbage_is_refused() -> None:
    order = parse_notification(fixture("notifications/order_change.json"))
    assert (order.source, order.kind) == (EVENT_SOURCE, "ORDER_CHANGE")
    # A buyer's change request, not a status change: keyed by the notification's id.
    assert order.idempotency_key == "notification:d0e9e693-c3ad-4373-979f-ed4ec98dd746"
    shipment = parse_notification(fixture("notifications/fba_outbound_shipment_status.json"))
    assert shipment.kind == "FBA_OUTBOUND_SHIPMENT_STATUS"
    assert shipment.idempotency_key.startswith("notification:")
    with pytest.raises(InvalidInput, match="body"):
        parse_notification("not json at all")


async def test_route_rules_are_kept_per_member(store: Store, ana: Member, ben: Member) -> None:
    spec = RouteSpec(
        kinds=["ORDER_CHANGE"],
        min_amount=50.0,
        marketplaces=["A1PA6795UKMFR9"],
        quiet_hours=QuietHours.between("22:00", "07:00"),
        delivery=DeliveryMode.daily_digest("08:30"),
    )
    rule = await store.add_route_rule(ana, spec)
    assert rule.spec == spec and rule.member_id == ana.id
    assert spec.quiet_hours == QuietHours(22 * 60, 7 * 60)
    assert await store.route_rules(ana.household_id) == [rule]
    # Ben cannot delete Ana's rule.
    assert not await store.delete_route_rule(ben, rule)
    assert await store.delete_route_rule(ana, rule)
    assert await store.route_rules(ana.household_id) == []
    with pytest.raises(InvalidInput):
        QuietHours.between("25:00", "07:00")


async def test_the_router_sends_each_event_once_to_matching_members(
    store: Store, ana: Member, ben: Member
) -> None:
    await store.add_route_rule(ana, RouteSpec())
    await store.add_route_rule(ben, RouteSpec(kinds=["ORDER_CHANGE"]))
    shipment = parse_notification(fixture("notifications/fba_outbound_shipment_status.json"))
    recorded = await store.record_event(
        ana.household_id, shipment.source, shipment.idempotency_key, shipment.kind, shipment.payload
    )
    assert recorded.new
    router = EventRouter(store)
    assert await router.route_pending(ana.household_id) == RouteCommit(1, 0, 1, 0)
    assert await router.route_pending(ana.household_id) == RouteCommit(0, 0, 0, 0)
    outbox = await store.due_notifications(ana.household_id)
    assert [n.member_id for n in outbox] == [ana.id]
    recent = await store.recent_events(ana.household_id, EVENT_SOURCE, ["FBA_OUTBOUND_SHIPMENT_STATUS"])
    assert [e.idempotency_key for e in recent] == [shipment.idempotency_key]
    assert await store.recent_events(ana.household_id, EVENT_SOURCE, ["ORDER_CHANGE"]) == []
    assert await router.flush_digests(ana.household_id) == 0


@pytest.fixture
def sp_api() -> Iterator[MockServer]:
    server = MockServer()
    # Login with Amazon's token answer and ordersV0's getOrders sandbox answer (cited in
    # fa-amazon/tests/fixtures/sp_api/SOURCES.md).
    server.routes[LWA_PATH] = lambda _r: (200, json.loads(fixture("sp_api/lwa_token.json")), {})
    server.routes["/orders/v0/orders"] = lambda _r: (
        200, json.loads(fixture("sp_api/get_orders_page2.json")), {},
    )
    yield server
    server.close()


async def test_a_seller_account_connects_and_reconciles_what_the_queue_missed(
    store: Store, ana: Member, sp_api: MockServer
) -> None:
    accounts = SellerAccounts(
        store, "amzn1.application-oa2-client.test", "client-secret",
        sp_api_url=sp_api.url, lwa_url=sp_api.url + LWA_PATH,
    )
    assert "client-secret" not in repr(accounts)
    assert await accounts.account(ana.household_id) is None
    with pytest.raises(NotFound, match="/amazon connect"):
        await accounts.reconcile(ana.household_id)
    account = await accounts.connect(
        ana, "Atzr|refresh-token", region="eu", marketplaces=["A1PA6795UKMFR9"]
    )
    assert (account.region, account.marketplaces) == ("eu", ["A1PA6795UKMFR9"])
    assert "Atzr" not in repr(account)
    assert await accounts.account(ana.household_id) == account

    first = await accounts.reconcile(ana.household_id)
    assert (first.polled, first.missed) == (1, 1)
    again = await accounts.reconcile(ana.household_id)
    assert (again.polled, again.missed) == (1, 0)
    events = await store.recent_events(ana.household_id, EVENT_SOURCE, ["ORDER_CHANGE"])
    assert [e.idempotency_key for e in events] == ["order:902-3159896-1390916:Pending"]


async def test_a_refused_refresh_token_stores_nothing(store: Store, ana: Member) -> None:
    server = MockServer()
    server.routes[LWA_PATH] = lambda _r: (400, json.loads(fixture("sp_api/lwa_invalid_grant.json")), {})
    try:
        accounts = SellerAccounts(
            store, "client", "secret", sp_api_url=server.url, lwa_url=server.url + LWA_PATH
        )
        with pytest.raises(Unauthorized, match="authorise the app again"):
            await accounts.connect(ana, "Atzr|revoked", region="eu", marketplaces=["A1PA6795UKMFR9"])
        with pytest.raises(InvalidInput, match="region"):
            await accounts.connect(ana, "Atzr|x", region="mars", marketplaces=["A1PA6795UKMFR9"])
    finally:
        server.close()
    assert await store.integrations(ana) == []


def _sqs_url() -> Optional[str]:
    url = os.environ.get("FA_TEST_SQS_URL")
    if not url and os.environ.get("FA_TEST_REQUIRE_SQS"):
        raise RuntimeError("FA_TEST_REQUIRE_SQS is set but FA_TEST_SQS_URL is not")
    return url or None


def _queue(endpoint: str) -> "tuple[object, str]":
    import boto3  # installed with moto[server]

    sqs = boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )
    name = f"fa-py-{uuid.uuid4().hex[:12]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    return sqs, url


async def test_the_sqs_consumer_stores_routes_and_keeps_unreadable_messages(
    store: Store, ana: Member
) -> None:
    endpoint = _sqs_url()
    if endpoint is None:
        pytest.skip("FA_TEST_SQS_URL is not set")
    sqs, url = _queue(endpoint)
    bodies: List[str] = [
        fixture("notifications/order_change.json"),
        fixture("notifications/fba_outbound_shipment_status.json"),
        fixture("notifications/order_change.json"),  # Amazon may send one twice
        "{\"NotificationType\": \"ORDER_CHANGE\"",
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)  # type: ignore[attr-defined]
    await store.add_route_rule(ana, RouteSpec())
    router = EventRouter(store)
    consumer = SqsConsumer(
        store, ana.household_id, url, region="us-east-1", access_key_id="test",
        secret_access_key="test", endpoint_url=endpoint, router=router, wait_time=1,
        malformed_visibility=0,
    )
    assert "secret" not in repr(consumer).replace("secret_access_key=***", "")
    for _ in range(50):
        batch = await consumer.poll_once()
        if batch.received == 0:
            break
    stats = consumer.stats()
    assert (stats.stored, stats.duplicates) == (2, 1), stats
    assert stats.malformed >= 1
    failed = await store.failed_events(ana.household_id)
    assert len(failed) == 1 and failed[0].raw.startswith("{\"NotificationType\"")
    # Stored and routed in one transaction: nothing left for the router, two messages queued.
    assert await router.route_pending(ana.household_id) == RouteCommit(0, 0, 0, 0)
    assert len(await store.due_notifications(ana.household_id)) == 2

    # run() until stop(): a late notification is stored and routed too. (Amazon's examples
    # share one NotificationId; this one gets an id of its own.)
    late = fixture("notifications/listings_item_status_change.json").replace(
        "8e009934-da2c-4f9c-9bc7-93f23b7e1f60", str(uuid.uuid4())
    )
    sqs.send_message(QueueUrl=url, MessageBody=late)  # type: ignore[attr-defined]
    running = asyncio.ensure_future(consumer.run())
    for _ in range(300):  # waits on the real queue, not on time
        if consumer.stats().stored == 3:
            break
        await asyncio.sleep(0.1)
    consumer.stop()
    totals = await asyncio.wait_for(running, 30)
    assert totals.stored == 3
    assert len(await store.due_notifications(ana.household_id)) == 3
