"""The Amazon surface through the generated bindings: notification parsing, route rules, the
event router, seller accounts against a loopback mock of Login with Amazon and SP-API (bodies
from fa-amazon's cited fixtures), and the SQS consumer on moto when FA_TEST_SQS_URL is set."""

import json
import os
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from conftest import START, family, open_test_store, scope
from fa_uniffi import fa_core, fa_ffi

FIXTURES = Path(__file__).resolve().parents[3] / "fa-amazon" / "tests" / "fixtures"
LWA_PATH = "/auth/o2/token"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_notifications_are_parsed_and_garbage_refused() -> None:
    parsed = fa_ffi.parse_notification(fixture("notifications/fba_outbound_shipment_status.json"))
    assert (parsed.source, parsed.kind) == ("amazon", "FBA_OUTBOUND_SHIPMENT_STATUS")
    assert parsed.idempotency_key == "notification:requestId"
    assert json.loads(parsed.payload)
    with pytest.raises(fa_core.FaError.InvalidInput, match="body"):
        fa_ffi.parse_notification("{}")


async def test_route_rules_and_the_router(store_url: str) -> None:
    store = await open_test_store(store_url)
    ann = await family(store)
    bob = await store.add_member(
        ann.household_id,
        fa_core.NewMember(display_name="Bob", role=fa_core.Role.ADULT, timezone="Europe/Berlin", locale="en-GB"),
    )
    digest = fa_core.RouteSpec(
        kinds=["ORDER_CHANGE"], min_amount=50.0, marketplaces=[],
        quiet_hours=fa_core.QuietHours(start_minute=22 * 60, end_minute=7 * 60),
        delivery=fa_core.DeliveryMode.DAILY_DIGEST(minute=8 * 60), channel="default",
    )
    rule = await store.add_route_rule(scope(bob), digest)
    assert rule.spec == digest
    everything = fa_core.RouteSpec(
        kinds=[], min_amount=None, marketplaces=[], quiet_hours=None,
        delivery=fa_core.DeliveryMode.IMMEDIATE(), channel="default",
    )
    await store.add_route_rule(scope(ann), everything)
    assert len(await store.route_rules(ann.household_id)) == 2
    # Ann cannot delete Bob's rule; Bob can.
    assert not await store.delete_route_rule(scope(ann), rule.id)
    assert await store.delete_route_rule(scope(bob), rule.id)

    parsed = fa_ffi.parse_notification(fixture("notifications/fba_outbound_shipment_status.json"))
    await store.record_event(
        ann.household_id,
        fa_core.NewInboundEvent(
            source=parsed.source, idempotency_key=parsed.idempotency_key, kind=parsed.kind, payload=parsed.payload
        ),
    )
    router = fa_ffi.EventRouter(store)
    assert await router.route_pending(ann.household_id) == fa_core.RouteCommit(
        events=1, already_processed=0, notifications=1, digest_items=0
    )
    assert (await router.route_pending(ann.household_id)).events == 0
    assert await router.flush_digests(ann.household_id) == 0
    outbox = await store.due_notifications(ann.household_id, START, 10)
    assert [n.member_id for n in outbox] == [ann.id]
    recent = await store.recent_events(ann.household_id, "amazon", [parsed.kind], 5)
    assert [e.idempotency_key for e in recent] == [parsed.idempotency_key]


Routes = Dict[str, Tuple[int, str]]


@pytest.fixture
def amazon() -> Iterator[Tuple[str, Routes]]:
    """Login with Amazon and SP-API on loopback: each path answers a fixture body."""
    routes: Routes = {
        LWA_PATH: (200, fixture("sp_api/lwa_token.json")),
        "/orders/v0/orders": (200, fixture("sp_api/get_orders_page2.json")),
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = routes.get(self.path.split("?", 1)[0], (404, "{}"))
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes
    server.shutdown()
    server.server_close()


async def test_a_seller_account_connects_and_reconciles(amazon: Tuple[str, Routes]) -> None:
    url, routes = amazon
    store = await open_test_store()
    ann = await family(store)
    app = fa_ffi.AmazonAppSettings(
        client_id="amzn1.application-oa2-client.test", client_secret=fa_ffi.SecretText("client-secret"),
        sp_api_url=url, lwa_url=url + LWA_PATH,
    )
    accounts = fa_ffi.SellerAccounts(store, app)
    assert await accounts.account(ann.household_id) is None
    with pytest.raises(fa_core.FaError.NotFound, match="/amazon connect"):
        await accounts.sales_since(ann.household_id, START)
    settings = fa_ffi.SellerAccountSettings(region="eu", marketplaces=["A1PA6795UKMFR9"])
    account = await accounts.connect(scope(ann), "Atzr|refresh-token", settings)
    assert (account.region, account.marketplaces, account.integration.label) == ("eu", ["A1PA6795UKMFR9"], "Amazon")
    assert await accounts.account(ann.household_id) == account
    first = await accounts.reconcile(ann.household_id, timedelta(hours=6))
    assert (first.polled, first.missed) == (1, 1)
    assert (await accounts.reconcile(ann.household_id, timedelta(hours=6))).missed == 0

    # A revoked refresh token: Auth, and nothing more is stored.
    routes[LWA_PATH] = (400, fixture("sp_api/lwa_invalid_grant.json"))
    bob = await family(store, "Smiths", "Bob")
    with pytest.raises(fa_core.FaError.Auth, match="authorise the app again"):
        await accounts.connect(scope(bob), "Atzr|revoked", settings)
    assert await store.integrations(scope(bob)) == []
    with pytest.raises(fa_core.FaError.InvalidInput, match="region"):
        await accounts.connect(scope(bob), "x", fa_ffi.SellerAccountSettings(region="mars", marketplaces=["x"]))


async def test_the_sqs_consumer_on_moto() -> None:
    endpoint = os.environ.get("FA_TEST_SQS_URL")
    if not endpoint:
        if os.environ.get("FA_TEST_REQUIRE_SQS"):
            pytest.fail("FA_TEST_REQUIRE_SQS is set but FA_TEST_SQS_URL is not")
        pytest.skip("FA_TEST_SQS_URL is not set")
    import boto3  # installed with moto[server]

    sqs = boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )
    queue_url = sqs.create_queue(QueueName=f"fa-ffi-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    for body in [
        fixture("notifications/fba_outbound_shipment_status.json"),
        fixture("notifications/fba_outbound_shipment_status.json"),
        "not json",
    ]:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    store = await open_test_store()
    ann = await family(store)
    await store.add_route_rule(
        scope(ann),
        fa_core.RouteSpec(kinds=[], min_amount=None, marketplaces=[], quiet_hours=None,
                          delivery=fa_core.DeliveryMode.IMMEDIATE(), channel="default"),
    )
    router = fa_ffi.EventRouter(store)
    queue = fa_ffi.SqsQueueSettings(
        queue_url=queue_url, region="us-east-1", access_key_id="test", secret_access_key=fa_ffi.SecretText("test"),
        endpoint_url=endpoint, wait_time=timedelta(seconds=1),
        malformed_visibility=timedelta(minutes=5),
    )
    consumer = fa_ffi.SqsConsumer(store, ann.household_id, queue, router)
    for _ in range(20):
        if (await consumer.poll_once()).received == 0:
            break
    totals = consumer.stats()
    assert (totals.stored, totals.duplicates, totals.malformed) == (1, 1, 1), totals
    failed = await store.failed_events(ann.household_id, 10)
    assert [f.raw for f in failed] == ["not json"]
    assert len(await store.due_notifications(ann.household_id, START, 10)) == 1
