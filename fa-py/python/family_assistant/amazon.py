"""An Amazon seller account in the family chat: SP-API notifications from an SQS queue, routed
to members by rules, and the seller account itself (connect, reconcile, sales).

A minimal pipeline::

    from family_assistant import Store, RouteSpec
    from family_assistant.amazon import EventRouter, SqsConsumer

    store = await Store.open("sqlite:family.db")
    await store.add_route_rule(ana, RouteSpec(kinds=["ORDER_CHANGE"], min_amount=50))
    router = EventRouter(store)
    consumer = SqsConsumer(
        store, home, "https://sqs.eu-west-1.amazonaws.com/123456789012/sp-api",
        region="eu-west-1", access_key_id="AKIA…", secret_access_key="…", router=router,
    )
    await consumer.run()        # until consumer.stop(); each notification stored and routed once

The bot (:class:`family_assistant.Bot`) does all of this from an ``[amazon]`` section of its
configuration; see ``docs/amazon.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Sequence, Union

from . import _native
from .records import (
    Household, Integration, Member, RouteCommit, build, build_optional, instant,
)
from .store import Store

__all__ = [
    "EventRouter", "SellerAccounts", "SqsConsumer", "parse_notification", "SellerAccount",
    "ReconcileReport", "SalesSummary", "SqsBatch", "SqsStats", "ParsedNotification",
    "EVENT_SOURCE",
]

#: The ``source`` of the events Amazon notifications become.
EVENT_SOURCE = "amazon"

HouseholdRef = Union[Household, str]


def _hid(household: HouseholdRef) -> str:
    return household.id if isinstance(household, Household) else household


def _seconds(value: Union[timedelta, float]) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(frozen=True)
class SellerAccount:
    """A connected seller account: its integration (the refresh token is sealed in the vault,
    never shown), where it sells, and how far the scheduled checks have got."""

    integration: Integration
    region: str
    marketplaces: List[str]
    review_asins: List[str]
    reconciled_until: Optional[datetime]
    feedback_checked_at: Optional[datetime]


@dataclass(frozen=True)
class ReconcileReport:
    """Orders getOrders returned, and status changes the queue had missed (now stored)."""

    polled: int
    missed: int


@dataclass(frozen=True)
class SalesSummary:
    orders: int
    cancelled: int
    items: int
    totals: Dict[str, float]
    by_status: Dict[str, int]
    text: str


@dataclass(frozen=True)
class SqsBatch:
    """What one receive-and-handle round did."""

    received: int
    stored: int
    duplicates: int
    malformed: int
    deleted: int


@dataclass(frozen=True)
class SqsStats:
    """A consumer's totals since it was made."""

    received: int
    stored: int
    duplicates: int
    malformed: int
    failed_rounds: int


@dataclass(frozen=True)
class ParsedNotification:
    """An SP-API notification as the consumer stores it."""

    source: str
    idempotency_key: str
    kind: str
    payload: Dict[str, object]


def parse_notification(body: str) -> ParsedNotification:
    """Reads one SP-API notification (an SQS message body, either envelope spelling). Order
    status changes are keyed ``order:<id>:<status>``, others ``notification:<id>``. Raises
    :class:`InvalidInput` saying what is wrong."""
    return build(ParsedNotification, _native.parse_notification(body))


class EventRouter:
    """Routes a household's inbound events to members by the store's route rules
    (:meth:`Store.add_route_rule`): immediate messages go to the notification outbox, quiet
    hours hold them, digests collect them. Timed by the store's clock."""

    def __init__(self, store: Store) -> None:
        self._native = _native.EventRouter(store._native)

    async def route_pending(self, household: HouseholdRef) -> RouteCommit:
        """Routes every unprocessed event of the household, each once."""
        return build(RouteCommit, await self._native.route_pending(_hid(household)))

    async def flush_digests(self, household: HouseholdRef) -> int:
        """Queues the digests that are due, one message per member and channel; returns how many."""
        return int(await self._native.flush_digests(_hid(household)))


class SellerAccounts:
    """The seller accounts of a store's households, called as one SP-API application (its Login
    with Amazon client id and secret). Refresh tokens are sealed by the store's vault (open the
    store with ``master_key=`` or set ``FA_MASTER_KEY``)."""

    def __init__(
        self,
        store: Store,
        client_id: str,
        client_secret: str,
        *,
        sp_api_url: Optional[str] = None,
        lwa_url: Optional[str] = None,
    ) -> None:
        self._native = _native.SellerAccounts(store._native, client_id, client_secret, sp_api_url, lwa_url)

    def __repr__(self) -> str:
        return "SellerAccounts(client_secret=***)"

    async def connect(
        self,
        member: Member,
        refresh_token: str,
        *,
        region: str,
        marketplaces: Sequence[str],
        label: str = "Amazon",
        review_asins: Sequence[str] = (),
    ) -> SellerAccount:
        """Connects ``member``'s seller account (``region``: ``na``, ``eu`` or ``fe``). Login with
        Amazon checks the refresh token first: a refused one raises :class:`Unauthorized` and
        nothing is stored."""
        data = await self._native.connect(
            member.household_id, member.id, refresh_token, region, list(marketplaces), label,
            list(review_asins),
        )
        return build(SellerAccount, data)

    async def account(self, household: HouseholdRef) -> Optional[SellerAccount]:
        """The household's active account (connected by an owner or adult), or ``None``."""
        return build_optional(SellerAccount, await self._native.account(_hid(household)))

    async def reconcile(
        self, household: HouseholdRef, window: Union[timedelta, float] = timedelta(hours=6)
    ) -> ReconcileReport:
        """Polls getOrders over the last ``window`` and stores the status changes the queue
        missed, under the same keys as the queue's notifications (so each is routed once)."""
        data = await self._native.reconcile(_hid(household), _seconds(window))
        return build(ReconcileReport, data)

    async def sales_since(self, household: HouseholdRef, since: datetime) -> SalesSummary:
        """Orders since ``since`` (an aware datetime), with totals by currency."""
        return build(SalesSummary, await self._native.sales_since(_hid(household), instant(since)))


class SqsConsumer:
    """Reads SP-API notifications from an SQS queue into one household: each stored once (and,
    with ``router``, routed in the same transaction), deleted from the queue only once stored;
    unreadable messages are kept as failed events (:meth:`Store.failed_events`) and left to the
    queue's dead-letter policy. ``endpoint_url`` points at another SQS server (a local moto)."""

    def __init__(
        self,
        store: Store,
        household: HouseholdRef,
        queue_url: str,
        *,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        endpoint_url: Optional[str] = None,
        router: Optional[EventRouter] = None,
        wait_time: Union[timedelta, float] = 20.0,
        visibility_timeout: Union[timedelta, float] = 60.0,
        heartbeat: Union[timedelta, float] = 20.0,
        malformed_visibility: Union[timedelta, float] = 30.0,
        batch_size: int = 10,
    ) -> None:
        self._native = _native.SqsConsumer(
            store._native, _hid(household), queue_url, region, access_key_id, secret_access_key,
            endpoint_url, router._native if router is not None else None, _seconds(wait_time),
            _seconds(visibility_timeout), _seconds(heartbeat), _seconds(malformed_visibility),
            batch_size,
        )

    def __repr__(self) -> str:
        return "SqsConsumer(secret_access_key=***)"

    async def poll_once(self) -> SqsBatch:
        """One long poll (up to ``wait_time``) and the handling of what it received."""
        return build(SqsBatch, await self._native.poll_once())

    def stats(self) -> SqsStats:
        return build(SqsStats, self._native.stats())

    async def run(self) -> SqsStats:
        """Reads until :meth:`stop` (failed rounds are retried with backoff, never raised),
        finishes the batch in hand, and returns the totals."""
        return build(SqsStats, await self._native.run())

    def stop(self) -> None:
        """Asks :meth:`run` to return after the batch in hand."""
        self._native.stop()
