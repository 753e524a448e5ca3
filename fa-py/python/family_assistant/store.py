"""The :class:`Store`: households, members, and everything fa keeps for them."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any, List, Optional, Sequence, Tuple, Type, Union

from . import _native
from .clock import ManualClock
from .records import (
    AssistantProfile, AuditEntry, ChannelIdentity, CheckIn, Conversation, ConversationSummary,
    DeliveryReceipt, DeliveryStatus, Forgotten, Habit, HabitLog, Household, InboundEvent, Integration,
    FailedEvent, IntegrationStatus, Invite, Member, MemoryNote, Message, MessageRole, Notification,
    PendingAction, RecordedEvent, Role, RouteRule, RouteSpec, RotationReport, StoreStatus, UnreachableIdentity, build, build_list,
    build_optional, instant,
)

__all__ = ["Store", "generate_master_key"]


def generate_master_key() -> str:
    """A new master key (32 random bytes in base64) for ``FA_MASTER_KEY`` or ``master_key=``.
    Keep it safe: credentials sealed with it cannot be opened without it."""
    return _native.generate_master_key()

HouseholdRef = Union[Household, str]


def _hid(household: HouseholdRef) -> str:
    return household.id if isinstance(household, Household) else household


def _named(value: Union[str, Any]) -> str:
    return str(value.value if hasattr(value, "value") else value)


class Store:
    """Where fa keeps everything: SQLite (one file, the default) or PostgreSQL.

    Open one with ``await Store.open("sqlite:family.db")`` (or ``"sqlite::memory:"``,
    ``"postgres://user@host/db"``); migrations run on open. Every query is scoped to its
    household, and member-level calls to the :class:`Member` passed in. It may be used as an
    async context manager; its connections close when the last reference to it is gone.
    """

    def __init__(self, native: _native.Store) -> None:
        self._native = native

    @staticmethod
    async def open(
        url: str,
        *,
        clock: Optional[ManualClock] = None,
        master_key: Optional[str] = None,
        schema: Optional[str] = None,
        previous_keys: Sequence[str] = (),
    ) -> Store:
        """Opens (and migrates) the store at ``url``. ``clock`` drives time in tests;
        ``master_key`` (32 bytes in base64) seals integration credentials, else
        ``FA_MASTER_KEY`` is used when they are stored; ``schema`` keeps fa's tables in that
        PostgreSQL schema (created if missing), e.g. inside another application's database;
        ``previous_keys`` open credentials sealed before a key change (see
        :meth:`rotate_credentials`)."""
        native = await _native.open_store(
            url, clock._native if clock else None, master_key, schema, list(previous_keys)
        )
        return Store(native)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        return None

    def __repr__(self) -> str:
        return "<family_assistant.Store>"

    async def status(self) -> StoreStatus:
        """Backend, location (never a password) and schema version; a liveness check too."""
        return build(StoreStatus, await self._native.status())

    # --- households and members ---------------------------------------------------------------

    async def create_household(self, name: str) -> Household:
        return build(Household, await self._native.create_household(name))

    async def household(self, household: HouseholdRef) -> Optional[Household]:
        return build_optional(Household, await self._native.household(_hid(household)))

    async def household_ids(self) -> List[str]:
        return list(await self._native.household_ids())

    async def add_member(
        self,
        household: HouseholdRef,
        name: str,
        role: Union[Role, str] = Role.ADULT,
        *,
        timezone: Optional[str] = None,
        locale: Optional[str] = None,
    ) -> Member:
        """Adds a member; ``timezone`` is an IANA name (default UTC), ``locale`` a BCP 47 tag."""
        data = await self._native.add_member(_hid(household), name, _named(role), timezone, locale)
        return build(Member, data)

    async def member(self, household: HouseholdRef, member_id: str) -> Optional[Member]:
        return build_optional(Member, await self._native.member(_hid(household), member_id))

    async def members(self, household: HouseholdRef) -> List[Member]:
        return build_list(Member, await self._native.members(_hid(household)))

    async def update_member(
        self,
        member: Member,
        *,
        name: Optional[str] = None,
        role: Union[Role, str, None] = None,
        timezone: Optional[str] = None,
        locale: Optional[str] = None,
    ) -> Member:
        """Changes what is given and returns the member as stored."""
        data = await self._native.update_member(
            member.household_id, member.id, name, None if role is None else _named(role),
            timezone, locale,
        )
        return build(Member, data)

    async def remove_member(self, member: Member) -> bool:
        """Removes the member and everything that is theirs."""
        return bool(await self._native.remove_member(member.household_id, member.id))

    async def link_identity(self, member: Member, channel: str, external_id: str) -> None:
        """Links a channel identity (``"telegram"``, a user id) to the member."""
        await self._native.link_identity(member.household_id, member.id, channel, external_id)

    async def unlink_identity(self, member: Member, channel: str, external_id: str) -> bool:
        return bool(
            await self._native.unlink_identity(member.household_id, member.id, channel, external_id)
        )

    async def identities(self, member: Member) -> List[ChannelIdentity]:
        return build_list(ChannelIdentity, await self._native.identities(member.household_id, member.id))

    async def member_by_identity(self, channel: str, external_id: str) -> Optional[Member]:
        return build_optional(Member, await self._native.member_by_identity(channel, external_id))

    async def set_identity_reachable(
        self, channel: str, external_id: str, reachable: bool
    ) -> Optional[Member]:
        """Records whether fa can reach an identity; returns its member, or ``None``."""
        data = await self._native.set_identity_reachable(channel, external_id, reachable)
        return build_optional(Member, data)

    async def unreachable_identities(self, household: HouseholdRef) -> List[UnreachableIdentity]:
        data = await self._native.unreachable_identities(_hid(household))
        return build_list(UnreachableIdentity, data)

    async def create_invite(
        self, by: Member, role: Union[Role, str], expires_at: datetime
    ) -> Tuple[str, Invite]:
        """A single-use invite; returns the code to hand over (only its hash is stored)."""
        code, invite = await self._native.create_invite(
            by.household_id, by.id, _named(role), instant(expires_at)
        )
        return str(code), build(Invite, invite)

    async def accept_invite(
        self, code: str, name: str, channel: str, external_id: str, *, timezone: Optional[str] = None
    ) -> Optional[Member]:
        """Joins with an invite code; ``None`` when the code is not a valid unused invite."""
        data = await self._native.accept_invite(code, name, channel, external_id, timezone)
        return build_optional(Member, data)

    async def invites(self, household: HouseholdRef) -> List[Invite]:
        return build_list(Invite, await self._native.invites(_hid(household)))

    # --- a member's own things ------------------------------------------------------------------

    async def conversation(self, member: Member, channel: str, chat_id: str) -> Conversation:
        data = await self._native.conversation(member.household_id, member.id, channel, chat_id)
        return build(Conversation, data)

    async def conversations(self, member: Member) -> List[Conversation]:
        return build_list(Conversation, await self._native.conversations(member.household_id, member.id))

    async def append_message(
        self,
        member: Member,
        conversation: Conversation,
        role: Union[MessageRole, str],
        content: str,
        metadata: Any = None,
    ) -> Message:
        data = await self._native.append_message(
            member.household_id, member.id, conversation.id, _named(role), content, metadata
        )
        return build(Message, data)

    async def append_messages(
        self,
        member: Member,
        conversation: Conversation,
        messages: Sequence[Tuple[Union[MessageRole, str], str]],
    ) -> List[Message]:
        """Appends ``(role, content)`` messages in order, all or nothing, in one write."""
        pairs = [(_named(role), content) for role, content in messages]
        data = await self._native.append_messages(member.household_id, member.id, conversation.id, pairs)
        return build_list(Message, data)

    async def recent_messages(
        self, member: Member, conversation: Conversation, limit: int = 50
    ) -> List[Message]:
        data = await self._native.recent_messages(member.household_id, member.id, conversation.id, limit)
        return build_list(Message, data)

    async def save_note(self, member: Member, content: str) -> MemoryNote:
        """Saves a fact the assistant should remember about the member."""
        return build(MemoryNote, await self._native.save_note(member.household_id, member.id, content))

    async def notes(self, member: Member, query: Optional[str] = None) -> List[MemoryNote]:
        return build_list(MemoryNote, await self._native.notes(member.household_id, member.id, query))

    async def delete_note(self, member: Member, note: MemoryNote) -> bool:
        return bool(await self._native.delete_note(member.household_id, member.id, note.id))

    async def forget_memory(self, member: Member) -> Forgotten:
        """Erases the member's facts, messages and summaries (what ``/forget`` does)."""
        return build(Forgotten, await self._native.forget_memory(member.household_id, member.id))

    async def create_habit(
        self, member: Member, name: str, target_per_week: Optional[int] = None
    ) -> Habit:
        data = await self._native.create_habit(member.household_id, member.id, name, target_per_week)
        return build(Habit, data)

    async def habits(self, member: Member) -> List[Habit]:
        return build_list(Habit, await self._native.habits(member.household_id, member.id))

    async def set_habit_archived(self, member: Member, habit: Habit, archived: bool = True) -> bool:
        return bool(
            await self._native.set_habit_archived(member.household_id, member.id, habit.id, archived)
        )

    async def log_habit(
        self, member: Member, habit: Habit, done_at: Optional[datetime] = None, note: Optional[str] = None
    ) -> HabitLog:
        data = await self._native.log_habit(
            member.household_id, member.id, habit.id,
            None if done_at is None else instant(done_at), note,
        )
        return build(HabitLog, data)

    async def habit_logs(
        self, member: Member, habit: Habit, start: datetime, end: datetime
    ) -> List[HabitLog]:
        data = await self._native.habit_logs(
            member.household_id, member.id, habit.id, instant(start), instant(end)
        )
        return build_list(HabitLog, data)

    async def record_check_in(
        self, member: Member, mood: int, answers: Optional[List[Tuple[str, str]]] = None
    ) -> CheckIn:
        """Records a check-in: mood 1–5 and ``(question, answer)`` pairs."""
        data = await self._native.record_check_in(
            member.household_id, member.id, mood, list(answers or [])
        )
        return build(CheckIn, data)

    async def check_ins(self, member: Member, start: datetime, end: datetime) -> List[CheckIn]:
        data = await self._native.check_ins(member.household_id, member.id, instant(start), instant(end))
        return build_list(CheckIn, data)

    async def export_member(self, member: Member) -> Any:
        """Everything fa keeps about the member, as one JSON-like document."""
        return await self._native.export_member(member.household_id, member.id)

    # --- integrations, events, notifications, audit ---------------------------------------------

    async def create_integration(
        self, member: Member, kind: str, label: str, settings: Any = None
    ) -> Integration:
        data = await self._native.create_integration(member.household_id, member.id, kind, label, settings)
        return build(Integration, data)

    async def integration(self, member: Member, integration_id: str) -> Optional[Integration]:
        data = await self._native.integration(member.household_id, member.id, integration_id)
        return build_optional(Integration, data)

    async def integrations(self, member: Member) -> List[Integration]:
        return build_list(Integration, await self._native.integrations(member.household_id, member.id))

    async def set_integration_status(
        self, member: Member, integration: Integration, status: Union[IntegrationStatus, str]
    ) -> bool:
        return bool(
            await self._native.set_integration_status(
                member.household_id, member.id, integration.id, _named(status)
            )
        )

    async def delete_integration(self, member: Member, integration: Integration) -> bool:
        return bool(await self._native.delete_integration(member.household_id, member.id, integration.id))

    async def store_credential(self, member: Member, integration: Integration, secret: str) -> None:
        """Seals ``secret`` (AES-256-GCM, a key for this member) and stores it."""
        await self._native.store_credential(member.household_id, member.id, integration.id, secret)

    async def load_credential(self, member: Member, integration: Integration) -> Optional[str]:
        data = await self._native.load_credential(member.household_id, member.id, integration.id)
        return None if data is None else str(data)

    async def rotate_credentials(self) -> RotationReport:
        """Re-seals every credential under the current master key; open the store with the old
        key in ``previous_keys`` first."""
        return build(RotationReport, await self._native.rotate_credentials())

    async def record_event(
        self, household: HouseholdRef, source: str, idempotency_key: str, kind: str, payload: Any
    ) -> RecordedEvent:
        """Stores an inbound event once per ``(source, idempotency_key)``; says whether it was new."""
        data = await self._native.record_event(_hid(household), source, idempotency_key, kind, payload)
        return build(RecordedEvent, data)

    async def event(self, household: HouseholdRef, event_id: str) -> Optional[InboundEvent]:
        return build_optional(InboundEvent, await self._native.event(_hid(household), event_id))

    async def unprocessed_events(self, household: HouseholdRef, limit: int = 100) -> List[InboundEvent]:
        return build_list(InboundEvent, await self._native.unprocessed_events(_hid(household), limit))

    async def mark_event_processed(self, household: HouseholdRef, event: InboundEvent) -> bool:
        return bool(await self._native.mark_event_processed(_hid(household), event.id))

    async def recent_events(
        self, household: HouseholdRef, source: str, kinds: Sequence[str], limit: int = 20
    ) -> List[InboundEvent]:
        """The household's latest events of ``source`` whose kind is one of ``kinds``, newest first."""
        data = await self._native.recent_events(_hid(household), source, list(kinds), limit)
        return build_list(InboundEvent, data)

    async def add_route_rule(self, member: Member, spec: RouteSpec) -> RouteRule:
        """Sends ``member`` the inbound events ``spec`` matches (see :class:`EventRouter`)."""
        data = await self._native.add_route_rule(member.household_id, member.id, spec.to_data())
        return build(RouteRule, data)

    async def route_rules(self, household: HouseholdRef) -> List[RouteRule]:
        return build_list(RouteRule, await self._native.route_rules(_hid(household)))

    async def delete_route_rule(self, member: Member, rule: Union[RouteRule, str]) -> bool:
        """Deletes one of ``member``'s rules; ``False`` if it was not theirs or is gone."""
        rule_id = rule.id if isinstance(rule, RouteRule) else rule
        return bool(await self._native.delete_route_rule(member.household_id, member.id, rule_id))

    async def failed_events(self, household: HouseholdRef, limit: int = 100) -> List[FailedEvent]:
        """What sources received and could not read (e.g. malformed queue messages), newest first."""
        return build_list(FailedEvent, await self._native.failed_events(_hid(household), limit))

    async def enqueue_notification(
        self,
        member: Member,
        channel: str,
        idempotency_key: str,
        body: str,
        not_before: Optional[datetime] = None,
    ) -> Notification:
        """Puts a message in the outbox; the same key twice gives the first one back."""
        data = await self._native.enqueue_notification(
            member.household_id, member.id, channel, idempotency_key, body,
            None if not_before is None else instant(not_before),
        )
        return build(Notification, data)

    async def notification(self, household: HouseholdRef, notification_id: str) -> Optional[Notification]:
        data = await self._native.notification(_hid(household), notification_id)
        return build_optional(Notification, data)

    async def due_notifications(self, household: HouseholdRef, limit: int = 100) -> List[Notification]:
        """Notifications due now, for a delivery loop of your own (a Runner does this for you)."""
        return build_list(Notification, await self._native.due_notifications(_hid(household), limit))

    async def record_delivery(
        self,
        household: HouseholdRef,
        notification: Notification,
        status: Union[DeliveryStatus, str],
        *,
        detail: Optional[str] = None,
        retry_at: Optional[datetime] = None,
    ) -> DeliveryReceipt:
        """Records an attempt: ``sent`` (``detail`` = the channel's message id), ``retrying``
        (with ``retry_at``) or ``given_up``."""
        data = await self._native.record_delivery(
            _hid(household), notification.id, _named(status), detail,
            None if retry_at is None else instant(retry_at),
        )
        return build(DeliveryReceipt, data)

    async def delivery_receipts(self, household: HouseholdRef, notification_id: str) -> List[DeliveryReceipt]:
        data = await self._native.delivery_receipts(_hid(household), notification_id)
        return build_list(DeliveryReceipt, data)

    async def append_audit(
        self,
        household: HouseholdRef,
        action: str,
        *,
        actor: Optional[Member] = None,
        subject: Optional[str] = None,
        detail: Any = None,
    ) -> AuditEntry:
        data = await self._native.append_audit(
            _hid(household), action, None if actor is None else actor.id, subject, detail
        )
        return build(AuditEntry, data)

    async def audit_log(self, household: HouseholdRef, limit: int = 100) -> List[AuditEntry]:
        return build_list(AuditEntry, await self._native.audit_log(_hid(household), limit))

    # --- assistant state --------------------------------------------------------------------------

    async def save_profile(
        self,
        household: HouseholdRef,
        name: str,
        system_prompt: str,
        *,
        model: Optional[str] = None,
        tools: Optional[List[str]] = None,
        temperature: Optional[float] = None,
    ) -> AssistantProfile:
        """Saves an assistant profile (a persona with its own prompt, model and tools)."""
        data = await self._native.save_profile(
            _hid(household), name, system_prompt, model, tools, temperature
        )
        return build(AssistantProfile, data)

    async def profile(self, household: HouseholdRef, name: str) -> Optional[AssistantProfile]:
        return build_optional(AssistantProfile, await self._native.profile(_hid(household), name))

    async def profiles(self, household: HouseholdRef) -> List[AssistantProfile]:
        return build_list(AssistantProfile, await self._native.profiles(_hid(household)))

    async def delete_profile(self, household: HouseholdRef, name: str) -> bool:
        return bool(await self._native.delete_profile(_hid(household), name))

    async def pending_action(self, member: Member, action_id: str) -> Optional[PendingAction]:
        data = await self._native.pending_action(member.household_id, member.id, action_id)
        return build_optional(PendingAction, data)

    async def create_pending_action(
        self,
        member: Member,
        tool: str,
        arguments: Any,
        summary: str,
        expires_at: datetime,
        conversation: Optional[Conversation] = None,
    ) -> PendingAction:
        """Stores a change waiting for the member's confirmation."""
        data = await self._native.create_pending_action(
            member.household_id, member.id, tool, arguments, summary, instant(expires_at),
            None if conversation is None else conversation.id,
        )
        return build(PendingAction, data)

    async def resolve_pending_action(
        self, member: Member, action: PendingAction, confirm: bool
    ) -> PendingAction:
        """Marks it confirmed or cancelled, once, without running it (:meth:`Assistant.confirm`
        runs it)."""
        data = await self._native.resolve_pending_action(member.household_id, member.id, action.id, confirm)
        return build(PendingAction, data)

    async def open_pending_actions(self, member: Member) -> List[PendingAction]:
        data = await self._native.open_pending_actions(member.household_id, member.id)
        return build_list(PendingAction, data)

    async def set_tool_confirmation(self, member: Member, tool: str, confirm: bool) -> None:
        """Whether the member confirms calls of ``tool`` (the default) or lets them run at once."""
        await self._native.set_tool_confirmation(member.household_id, member.id, tool, confirm)

    async def tools_without_confirmation(self, member: Member) -> List[str]:
        return list(await self._native.tools_without_confirmation(member.household_id, member.id))

    async def save_conversation_summary(
        self, member: Member, conversation: Conversation, summary: str, through: Message
    ) -> ConversationSummary:
        data = await self._native.save_conversation_summary(
            member.household_id, member.id, conversation.id, summary, through.id
        )
        return build(ConversationSummary, data)

    async def conversation_summary(
        self, member: Member, conversation: Conversation
    ) -> Optional[ConversationSummary]:
        data = await self._native.conversation_summary(member.household_id, member.id, conversation.id)
        return build_optional(ConversationSummary, data)
