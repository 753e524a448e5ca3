"""The records fa returns: frozen dataclasses with ``repr`` and equality, built from the Rust
types' data by one converter driven by their type hints."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
import enum
import re
import sys
import typing
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Type, TypeVar, Union

__all__ = [
    "Role", "MessageRole", "JobState", "OccurrenceState", "MisfirePolicy", "DeliveryStatus",
    "IntegrationStatus", "PendingActionState",
    "Household", "Member", "ChannelIdentity", "Invite", "UnreachableIdentity", "Conversation",
    "Message", "MemoryNote", "Forgotten", "Habit", "HabitLog", "CheckInAnswer", "CheckIn",
    "Integration", "InboundEvent", "RecordedEvent", "Notification", "DeliveryReceipt",
    "AuditEntry", "AssistantProfile", "PendingAction", "ConversationSummary", "Job",
    "Occurrence", "Upcoming", "Reply", "TickReport", "StoreStatus", "ModelInfo", "Firing",
    "ToolCall", "When", "Trigger", "RotationReport", "TelegramLogin", "Transcript",
    "ModelMessage", "QuietHours", "DeliveryMode", "RouteSpec", "RouteRule", "RouteCommit",
    "FailedEvent",
]


class _Named(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)


class Role(_Named):
    """What a member may do."""

    OWNER = "owner"
    ADULT = "adult"
    CHILD = "child"
    GUEST = "guest"


class MessageRole(_Named):
    """Who wrote a stored message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class JobState(_Named):
    """Where a job stands."""

    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class OccurrenceState(_Named):
    """Where one firing of a job stands (execution, not delivery)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class MisfirePolicy(_Named):
    """What happens to firings missed while nothing ran."""

    SKIP = "skip"
    FIRE_ONCE = "fire_once"
    FIRE_ALL = "fire_all"


class DeliveryStatus(_Named):
    """Where a notification's delivery stands."""

    QUEUED = "queued"
    SENT = "sent"
    RETRYING = "retrying"
    GIVEN_UP = "given_up"


class IntegrationStatus(_Named):
    """Where an integration stands."""

    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    PAUSED = "paused"
    REVOKED = "revoked"


class PendingActionState(_Named):
    """Where a change waiting for confirmation stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Household:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Member:
    id: str
    household_id: str
    display_name: str
    role: Role
    timezone: str
    locale: str
    created_at: datetime


@dataclass(frozen=True)
class ChannelIdentity:
    channel: str
    external_id: str


@dataclass(frozen=True)
class Invite:
    id: str
    household_id: str
    role: Role
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: Optional[datetime]
    used_by: Optional[str]


@dataclass(frozen=True)
class UnreachableIdentity:
    member_id: str
    identity: ChannelIdentity
    since: datetime


@dataclass(frozen=True)
class Conversation:
    id: str
    household_id: str
    member_id: str
    channel: str
    chat_id: str
    created_at: datetime


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    role: MessageRole
    content: str
    metadata: Optional[Any]
    created_at: datetime


@dataclass(frozen=True)
class MemoryNote:
    id: str
    household_id: str
    member_id: str
    content: str
    created_at: datetime


@dataclass(frozen=True)
class Forgotten:
    notes: int
    messages: int
    summaries: int


@dataclass(frozen=True)
class Habit:
    id: str
    household_id: str
    member_id: str
    name: str
    target_per_week: Optional[int]
    archived: bool
    created_at: datetime


@dataclass(frozen=True)
class HabitLog:
    id: str
    habit_id: str
    done_at: datetime
    note: Optional[str]


@dataclass(frozen=True)
class CheckInAnswer:
    question: str
    answer: str


@dataclass(frozen=True)
class CheckIn:
    id: str
    household_id: str
    member_id: str
    mood: int
    answers: List[CheckInAnswer]
    recorded_at: datetime


@dataclass(frozen=True)
class Integration:
    id: str
    household_id: str
    member_id: str
    kind: str
    label: str
    status: IntegrationStatus
    settings: Any
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class InboundEvent:
    id: str
    household_id: str
    source: str
    idempotency_key: str
    kind: str
    payload: Any
    received_at: datetime
    processed_at: Optional[datetime]


@dataclass(frozen=True)
class RecordedEvent:
    event: InboundEvent
    new: bool


@dataclass(frozen=True)
class Notification:
    id: str
    household_id: str
    member_id: str
    channel: str
    idempotency_key: str
    body: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: Optional[datetime]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryReceipt:
    id: str
    notification_id: str
    attempt: int
    status: DeliveryStatus
    detail: Optional[str]
    retry_at: Optional[datetime]
    recorded_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: str
    household_id: str
    actor: Optional[str]
    action: str
    subject: Optional[str]
    detail: Any
    at: datetime


@dataclass(frozen=True)
class AssistantProfile:
    id: str
    household_id: str
    name: str
    system_prompt: str
    model: Optional[str]
    allowed_tools: Optional[List[str]]
    temperature: Optional[float]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PendingAction:
    id: str
    household_id: str
    member_id: str
    conversation_id: Optional[str]
    tool: str
    arguments: Any
    summary: str
    state: PendingActionState
    created_at: datetime
    expires_at: datetime
    resolved_at: Optional[datetime]


@dataclass(frozen=True)
class ConversationSummary:
    conversation_id: str
    summary: str
    through_message: str
    updated_at: datetime


@dataclass(frozen=True)
class Job:
    id: str
    household_id: str
    member_id: str
    kind: str
    payload: Any
    trigger: Dict[str, Any]
    timezone: str
    channel: str
    misfire: MisfirePolicy
    grace: Optional[timedelta]
    state: JobState
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Occurrence:
    id: str
    job_id: str
    household_id: str
    member_id: str
    scheduled_at: datetime
    due_at: datetime
    state: OccurrenceState
    claims: int
    fired_at: Optional[datetime]
    late: bool
    detail: Optional[str]
    notification_id: Optional[str]
    snoozed_from: Optional[str]
    acknowledged_at: Optional[datetime]


@dataclass(frozen=True)
class Upcoming:
    job: Job
    occurrence: Occurrence
    local_due: datetime


@dataclass(frozen=True)
class Reply:
    """The assistant's answer: ``text`` to show, and changes waiting for confirmation."""

    text: str
    pending: List[PendingAction]
    offline: bool
    tool_calls: int
    model_requests: int


@dataclass(frozen=True)
class TickReport:
    fired: int
    late: int
    skipped: int
    failed: int
    sent: int
    retrying: int
    given_up: int
    summaries: int


@dataclass(frozen=True)
class StoreStatus:
    backend: str
    location: str
    schema_version: int


@dataclass(frozen=True)
class ModelInfo:
    name: str
    supports_tools: bool
    context_length: Optional[int]


@dataclass(frozen=True)
class Firing:
    """What a job handler written in Python gets when its job fires."""

    job: Job
    occurrence: Occurrence
    now: datetime
    late: bool
    local_due: datetime


@dataclass(frozen=True)
class ToolCall:
    """The context of a tool call: who asked, and when."""

    member: Member
    now: datetime


@dataclass(frozen=True)
class When:
    """A date phrase understood: ``once`` for one instant, else an RRULE from ``start``."""

    once: Optional[datetime] = None
    rule: Optional[str] = None
    start: Optional[datetime] = None
    first: Optional[datetime] = None


@dataclass(frozen=True)
class RotationReport:
    """What re-sealing the credentials under the current master key did."""

    rotated: int
    already_current: int
    changed_meanwhile: int
    failed: List[List[str]]


@dataclass(frozen=True)
class TelegramLogin:
    """A Telegram user whose Login Widget answer was verified."""

    id: int
    first_name: str
    last_name: Optional[str]
    username: Optional[str]
    photo_url: Optional[str]
    auth_date: datetime


@dataclass(frozen=True)
class Transcript:
    """Speech as text; ``duration`` in seconds when the server says."""

    text: str
    language: Optional[str]
    duration: Optional[float]


@dataclass(frozen=True)
class ModelMessage:
    """A model's answer to :meth:`Model.chat`: text and tool calls (``{"id", "name",
    "arguments"}``)."""

    role: str
    content: str
    tool_calls: List[Dict[str, Any]] = dataclasses.field(default_factory=list)


def _clock_minute(text: str, field: str) -> int:
    from .errors import InvalidInput

    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if match is None:
        raise InvalidInput(f"{field}: {text!r} is not a time of day like 22:00")
    return int(match.group(1)) * 60 + int(match.group(2))


@dataclass(frozen=True)
class QuietHours:
    """Hours in which routed messages are held and sent when they end, in minutes after the
    member's local midnight; ``start_minute > end_minute`` wraps midnight (22:00-07:00)."""

    start_minute: int
    end_minute: int

    @staticmethod
    def between(start: str, end: str) -> QuietHours:
        """Quiet from ``start`` to ``end`` on the member's clock, e.g. ``("22:00", "07:00")``."""
        return QuietHours(_clock_minute(start, "start"), _clock_minute(end, "end"))


@dataclass(frozen=True)
class DeliveryMode:
    """One message per event (``immediate``), or one digest an hour (``hourly_digest``) or a
    day (``daily_digest`` at ``minute`` after local midnight)."""

    mode: str = "immediate"
    minute: Optional[int] = None

    @staticmethod
    def immediate() -> DeliveryMode:
        return DeliveryMode("immediate")

    @staticmethod
    def hourly_digest() -> DeliveryMode:
        return DeliveryMode("hourly_digest")

    @staticmethod
    def daily_digest(at: str) -> DeliveryMode:
        """One digest a day at ``at`` (e.g. ``"08:00"``) on the member's clock."""
        return DeliveryMode("daily_digest", _clock_minute(at, "at"))


@dataclass(frozen=True)
class RouteSpec:
    """Which inbound events a member receives, and how. Every condition must hold; an empty
    list or ``None`` matches everything. ``kinds`` are event kinds such as ``ORDER_CHANGE``."""

    kinds: List[str] = dataclasses.field(default_factory=list)
    min_amount: Optional[float] = None
    marketplaces: List[str] = dataclasses.field(default_factory=list)
    quiet_hours: Optional[QuietHours] = None
    delivery: DeliveryMode = DeliveryMode()
    channel: str = "default"

    def to_data(self) -> Dict[str, Any]:
        """The spec as fa's native half reads it."""
        delivery: Dict[str, Any] = {"mode": self.delivery.mode}
        if self.delivery.minute is not None:
            delivery["minute"] = self.delivery.minute
        return {
            "kinds": list(self.kinds),
            "min_amount": self.min_amount,
            "marketplaces": list(self.marketplaces),
            "quiet_hours": dataclasses.asdict(self.quiet_hours) if self.quiet_hours else None,
            "delivery": delivery,
            "channel": self.channel,
        }


@dataclass(frozen=True)
class RouteRule:
    id: str
    household_id: str
    member_id: str
    spec: RouteSpec
    created_at: datetime


@dataclass(frozen=True)
class RouteCommit:
    """What a routing pass wrote."""

    events: int
    already_processed: int
    notifications: int
    digest_items: int


@dataclass(frozen=True)
class FailedEvent:
    """Something a source received and could not read, kept raw with the reason; ``attempts``
    counts the sightings."""

    id: str
    household_id: str
    source: str
    external_id: str
    raw: str
    reason: str
    attempts: int
    first_seen: datetime
    last_seen: datetime


class Trigger:
    """When a job fires. Build one with the static methods."""

    __slots__ = ("data",)

    def __init__(self, data: Dict[str, Any]) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"Trigger({self.data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trigger) and self.data == other.data

    def __hash__(self) -> int:
        return hash(repr(sorted(self.data.items())))

    @staticmethod
    def once(at: datetime) -> Trigger:
        """Once, at an instant (an aware datetime)."""
        return Trigger({"type": "once", "at": instant(at)})

    @staticmethod
    def interval(start: datetime, every: timedelta) -> Trigger:
        """Every ``every`` from ``start`` (real time; DST does not move it)."""
        return Trigger(
            {"type": "interval", "start": instant(start), "every_secs": int(every.total_seconds())}
        )

    @staticmethod
    def cron(expr: str) -> Trigger:
        """A cron expression on the member's wall clock, e.g. ``"0 8 * * MON-FRI"``."""
        return Trigger({"type": "cron", "expr": expr})

    def upcoming(self, timezone: str, after: datetime, count: int = 5) -> List[datetime]:
        """The next ``count`` instants it fires after ``after``, read in ``timezone``; nothing
        is stored (a preview)."""
        from . import _native

        return [_datetime(t) for t in _native.trigger_upcoming(self.data, timezone, instant(after), count)]

    @staticmethod
    def rrule(rule: str, start: datetime, exdates: Optional[List[datetime]] = None) -> Trigger:
        """An RFC 5545 RRULE from the wall-clock ``start`` (a naive datetime), minus ``exdates``."""
        data: Dict[str, Any] = {"type": "rrule", "rule": rule, "start": _wall(start)}
        if exdates:
            data["exdates"] = [_wall(d) for d in exdates]
        return Trigger(data)


# --- conversion ---------------------------------------------------------------------------------

_FRACTION = re.compile(r"(\.\d{6})\d+")
T = TypeVar("T")


def instant(at: datetime) -> str:
    """An aware datetime as RFC 3339 text; a naive one is refused (whose clock would it be?)."""
    from .errors import InvalidInput

    if not isinstance(at, datetime):
        raise InvalidInput(f"expected a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(
            f"{at!r} has no time zone; use an aware datetime, e.g. "
            "datetime(2026, 5, 1, 9, tzinfo=ZoneInfo('Europe/Berlin'))"
        )
    return at.isoformat()


def _wall(at: datetime) -> str:
    return at.replace(tzinfo=None).isoformat()


def _datetime(text: str) -> datetime:
    text = _FRACTION.sub(r"\1", text.replace("Z", "+00:00"))
    parsed = datetime.fromisoformat(text)
    return parsed


def _hints(cls: type) -> Dict[str, Any]:
    cache = _HINTS.get(cls)
    if cache is None:
        cache = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        _HINTS[cls] = cache
    return cache


_HINTS: Dict[type, Dict[str, Any]] = {}


def convert(tp: Any, value: Any) -> Any:
    """Builds a value of type ``tp`` from plain data (dicts, lists, strings, numbers)."""
    if value is None or tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin is Union:
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return convert(inner[0], value) if len(inner) == 1 else value
    if origin in (list, List):
        (item,) = typing.get_args(tp)
        return [convert(item, v) for v in value]
    if origin in (dict, Dict):
        return dict(value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _record(tp, value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is datetime:
        return _datetime(value) if isinstance(value, str) else value
    if tp is timedelta:
        return timedelta(seconds=value["secs"], microseconds=value.get("nanos", 0) // 1000)
    return value


def _record(cls: type, value: Dict[str, Any]) -> Any:
    """A record from the Rust type's data. Its fields must match: a field the data lacks or
    a key the record does not know is a mismatch between the two halves of the package."""
    hints = _hints(cls)
    fields = dataclasses.fields(cls)
    names = {f.name for f in fields}
    unknown = set(value) - names
    missing = [
        f.name for f in fields
        if f.name not in value and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if unknown or missing:
        from .errors import InternalError

        raise InternalError(
            f"{cls.__name__} does not match fa's record (unknown {sorted(unknown)}, missing "
            f"{missing}): the package's Python and native parts come from different builds"
        )
    return cls(**{name: convert(hints[name], v) for name, v in value.items()})


def build(cls: Type[T], value: Any) -> T:
    """A record of class ``cls`` from plain data."""
    result: T = convert(cls, value)
    return result


def build_list(cls: Type[T], values: Any) -> List[T]:
    """A list of records of class ``cls``."""
    return [build(cls, v) for v in values]


def build_optional(cls: Type[T], value: Any) -> Optional[T]:
    """A record of class ``cls``, or ``None``."""
    return None if value is None else build(cls, value)
