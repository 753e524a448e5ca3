"""Members' calendars: CalDAV (iCloud, Fastmail, Nextcloud) with app passwords, Google and
Microsoft by OAuth, busy time with a cache, and the slot finder.

Connect, read and find time::

    from family_assistant import Store
    from family_assistant.calendar import CalendarAccounts, Attendee, find_slots

    store = await Store.open("sqlite:family.db", master_key=key)
    calendars = CalendarAccounts(store)
    await calendars.connect_caldav(ana, "https://caldav.icloud.com", "ana@icloud.com",
                                   "abcd-efgh-ijkl-mnop")
    events = await calendars.events(ana, monday, friday)
    busy = await calendars.busy(ana, monday, friday)
    slots = find_slots(now, [Attendee("Europe/Berlin", busy.intervals)],
                       timedelta(hours=1), monday, friday)

Give ``calendars=`` to :class:`family_assistant.Assistant` and the model gets the calendar tools
(events, free time, create, move, cancel; changes are confirmed first). The bot does all of
this from a ``[calendar]`` section; see ``docs/calendars.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from . import _native
from .records import Integration, Member, build, build_list, instant

__all__ = [
    "CalendarAccounts", "CalendarEntry", "CalendarInfo", "CalendarConnection", "SignInLink",
    "Interval", "Busy", "SyncReport", "RefreshReport", "Attendee", "Slot", "find_slots",
    "PROVIDERS",
]

#: The providers, as ``start_sign_in`` and ``connections`` name them.
PROVIDERS = ("google", "microsoft", "caldav")


def _seconds(value: Union[timedelta, float]) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(frozen=True)
class CalendarEntry:
    """An event (or one instance of a repeating one) as the provider has it."""

    id: str
    calendar_id: str
    etag: Optional[str]
    summary: str
    start: datetime
    end: datetime
    all_day: bool
    location: Optional[str]
    recurrence_id: Optional[datetime]
    busy: bool
    link: Optional[str]


@dataclass(frozen=True)
class CalendarInfo:
    """One of the member's calendars at a provider."""

    id: str
    name: str
    read_only: bool


@dataclass(frozen=True)
class CalendarConnection:
    """A connection: its integration (secrets sealed in the vault, never shown), the provider,
    where new events go, and when busy time was last read."""

    integration: Integration
    provider: str
    default_calendar: Optional[str]
    default_calendar_name: Optional[str]
    synced_at: Optional[datetime]


@dataclass(frozen=True)
class SignInLink:
    """The link that signs a member in to Google or Microsoft: it works once, until
    ``expires_at``."""

    integration: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Interval:
    """``[start, end)``."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Busy:
    """A member's busy time, and the connections answered from an older cache (``stale``) or
    not at all (``unread``)."""

    intervals: List[Interval]
    stale: List[str]
    unread: List[str]


@dataclass(frozen=True)
class SyncReport:
    synced: int
    intervals: int
    failed: List[str]


@dataclass(frozen=True)
class RefreshReport:
    refreshed: int
    refused: int
    failed: int


@dataclass(frozen=True)
class Attendee:
    """One person's side of :func:`find_slots`: their IANA time zone, busy time, and the hours
    they can meet (``(8, 20)``; every day, or Monday to Friday with ``weekdays_only``)."""

    timezone: str
    busy: Sequence[Union[Interval, Tuple[datetime, datetime]]] = ()
    hours: Tuple[int, int] = (8, 20)
    weekdays_only: bool = False


@dataclass(frozen=True)
class Slot:
    """A free slot; ``room_minutes`` is the free time around it (more is better)."""

    start: datetime
    end: datetime
    room_minutes: int


def _span(value: Union[Interval, Tuple[datetime, datetime]]) -> List[str]:
    start, end = (value.start, value.end) if isinstance(value, Interval) else value
    return [instant(start), instant(end)]


def find_slots(
    now: datetime,
    attendees: Sequence[Attendee],
    duration: Union[timedelta, float],
    window_start: datetime,
    window_end: datetime,
    *,
    buffer_before: Union[timedelta, float] = 0.0,
    buffer_after: Union[timedelta, float] = 0.0,
    min_notice: Union[timedelta, float] = 0.0,
    limit: int = 10,
    per_day: int = 2,
) -> List[Slot]:
    """The best free slots for everyone in ``attendees``, ranked: none overlaps anyone's busy
    time (with the buffers), all are inside everyone's hours, none starts before ``now +
    min_notice``. Pure and synchronous."""
    people = [
        {
            "timezone": a.timezone,
            "busy": [_span(b) for b in a.busy],
            "hours": list(a.hours),
            "weekdays_only": a.weekdays_only,
        }
        for a in attendees
    ]
    data = _native.find_slots(
        instant(now), people, _seconds(duration), instant(window_start), instant(window_end),
        _seconds(buffer_before), _seconds(buffer_after), _seconds(min_notice), limit, per_day,
    )
    return build_list(Slot, data)


class CalendarAccounts:
    """The calendar connections of a store's households. Passwords and tokens are sealed by the
    store's vault (open the store with ``master_key=`` or set ``FA_MASTER_KEY``).

    ``google`` and ``microsoft`` are the operator's OAuth apps as ``(client_id,
    client_secret)``; ``public_url`` is where the bot's ``/oauth/{provider}/…`` routes are
    reached. ``endpoints`` points elsewhere (tests): ``google_auth``, ``google_token``,
    ``microsoft_auth``, ``microsoft_token``, ``google_api``, ``graph_api``."""

    def __init__(
        self,
        store: Any,
        *,
        public_url: Optional[str] = None,
        google: Optional[Tuple[str, str]] = None,
        microsoft: Optional[Tuple[str, str]] = None,
        endpoints: Optional[Mapping[str, str]] = None,
    ) -> None:
        self._native = _native.CalendarAccounts(
            store._native, public_url, google, microsoft,
            None if endpoints is None else dict(endpoints),
        )

    def __repr__(self) -> str:
        return "CalendarAccounts(secrets=***)"

    async def connect_caldav(
        self, member: Member, server: str, username: str, password: str, *, label: str = "CalDAV"
    ) -> CalendarConnection:
        """Connects a CalDAV account (iCloud: ``https://caldav.icloud.com``, the Apple ID and an
        app-specific password). A wrong password raises :class:`Unauthorized` and nothing is
        stored."""
        data = await self._native.connect_caldav(
            member.household_id, member.id, server, username, password, label
        )
        return build(CalendarConnection, data)

    async def start_sign_in(self, member: Member, provider: str) -> SignInLink:
        """Starts signing ``member`` in to ``google`` or ``microsoft``: send them the link."""
        data = await self._native.start_sign_in(member.household_id, member.id, provider)
        return build(SignInLink, data)

    async def authorization_url(self, provider: str, state: str) -> str:
        """The provider's sign-in page for a live ``state`` (``/oauth/{provider}/start``)."""
        return str(await self._native.authorization_url(provider, state))

    async def finish_sign_in(self, provider: str, state: str, code: str) -> Integration:
        """Finishes a sign-in (``/oauth/{provider}/callback``): the state is checked and used
        up, the code exchanged with the PKCE verifier, the tokens sealed, the member told."""
        return build(Integration, await self._native.finish_sign_in(provider, state, code))

    async def connections(self, member: Member) -> List[Integration]:
        """The member's calendar connections (any state)."""
        return build_list(Integration, await self._native.connections(member.household_id, member.id))

    async def calendars(self, member: Member, integration: Union[Integration, str]) -> List[CalendarInfo]:
        """The calendars of one connection."""
        iid = integration.id if isinstance(integration, Integration) else integration
        return build_list(CalendarInfo, await self._native.calendars(member.household_id, member.id, iid))

    async def set_default_calendar(
        self, member: Member, integration: Union[Integration, str], calendar: CalendarInfo
    ) -> None:
        """Makes ``calendar`` the one new events of this connection go to."""
        iid = integration.id if isinstance(integration, Integration) else integration
        await self._native.set_default_calendar(
            member.household_id, member.id, iid, calendar.id, calendar.name
        )

    async def make_calendar(self, member: Member, integration: Union[Integration, str], name: str) -> CalendarInfo:
        """Makes a new calendar called ``name`` on a CalDAV connection's server; new events of
        the connection go to it. (Google and Microsoft calendars are made in their own apps.)"""
        iid = integration.id if isinstance(integration, Integration) else integration
        return build(CalendarInfo, await self._native.make_calendar(member.household_id, member.id, iid, name))

    async def events(self, member: Member, start: datetime, end: datetime) -> List[CalendarEntry]:
        """The member's events in ``[start, end)`` from every connection, repeating ones
        expanded, by start."""
        data = await self._native.events(member.household_id, member.id, instant(start), instant(end))
        return build_list(CalendarEntry, data)

    async def create_event(
        self,
        member: Member,
        integration: Union[Integration, str],
        title: str,
        start: datetime,
        end: datetime,
        *,
        location: Optional[str] = None,
    ) -> CalendarEntry:
        """Creates an event in the connection's default calendar (see
        :meth:`set_default_calendar`), on the member's clock; returns it as the provider made it,
        with its link when there is one."""
        iid = integration.id if isinstance(integration, Integration) else integration
        data = await self._native.create_event(
            member.household_id, member.id, iid, title, instant(start), instant(end), location,
        )
        return build(CalendarEntry, data)

    async def sync(self, member: Member, days: int = 31) -> SyncReport:
        """Reads the busy time of the member's connections for the next ``days`` days into the
        cache (the bot's daily ``calendar_sync`` job does this)."""
        return build(SyncReport, await self._native.sync(member.household_id, member.id, days))

    async def busy(
        self,
        member: Member,
        start: datetime,
        end: datetime,
        *,
        max_age: Union[timedelta, float] = timedelta(hours=6),
    ) -> Busy:
        """The member's busy time in ``[start, end)``: from the cache when younger than
        ``max_age``, else from the providers."""
        data = await self._native.busy(
            member.household_id, member.id, instant(start), instant(end), _seconds(max_age)
        )
        return build(Busy, data)

    async def refresh_tokens(
        self, member: Member, ahead: Union[timedelta, float] = timedelta(minutes=45)
    ) -> RefreshReport:
        """Renews the member's access tokens that expire within ``ahead``. A refused refresh
        token marks the connection ``needs_reauth`` and tells the member."""
        data = await self._native.refresh_tokens(member.household_id, member.id, _seconds(ahead))
        return build(RefreshReport, data)

