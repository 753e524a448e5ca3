"""The :class:`Scheduler` (reminders, check-ins, habit nudges, digests, your own job kinds) and
its :class:`Runner`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
import asyncio

from ._callbacks import run_sync
from .records import (
    DeliveryReceipt, Firing, Habit, Job, Member, MisfirePolicy, Notification, Occurrence,
    TickReport, Trigger, Upcoming, When, _datetime, build, build_list, build_optional, instant,
)
from .store import Store

__all__ = ["Scheduler", "Runner", "parse_when", "parse_reminder"]

TriggerLike = Union[Trigger, str]
MaybeText = Union[Optional[str], Awaitable[Optional[str]]]
JobHandler = Callable[[Firing], MaybeText]
Deliver = Callable[[Notification], MaybeText]


def parse_when(phrase: str, now: datetime, timezone: str) -> When:
    """Reads a date phrase ("tomorrow at 9", "every Monday at 8am", "in 2 hours") at ``now`` on
    the wall clock of ``timezone``."""
    return build(When, _native.parse_when(phrase, instant(now), timezone))


def parse_reminder(sentence: str, now: datetime, timezone: str) -> Tuple[When, str]:
    """Finds the time phrase in a reminder sentence ("me tomorrow at 9 to call grandma"):
    returns when, and what to be reminded of."""
    data = dict(_native.parse_reminder(sentence, instant(now), timezone))
    text = str(data.pop("text"))
    return build(When, data), text


def _trigger_of(when: When) -> Trigger:
    if when.once is not None:
        return Trigger.once(when.once)
    assert when.rule is not None and when.start is not None
    return Trigger.rrule(when.rule, when.start)


class Scheduler:
    """Plans members' jobs as rows in the store; a :class:`Runner` fires them.

    A trigger is a :class:`Trigger` or a phrase read on the member's clock ("tomorrow at 9",
    "every weekday at 7:30"). Register your own job kinds with :meth:`register_kind`.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._native = _native.Scheduler(store._native)

    def _trigger(
        self, member: Member, trigger: TriggerLike, timezone: Optional[str] = None
    ) -> Dict[str, Any]:
        """A trigger's data; a phrase is read on the job's clock (``timezone``, else the
        member's)."""
        if isinstance(trigger, Trigger):
            return trigger.data
        now = _datetime(self.store._native.now())
        return _trigger_of(parse_when(trigger, now, timezone or member.timezone)).data

    def register_kind(
        self,
        name: str,
        handler: JobHandler,
        *,
        misfire: Union[MisfirePolicy, str] = MisfirePolicy.FIRE_ONCE,
    ) -> None:
        """Adds a job kind: ``handler(firing)`` returns the message to send, or ``None``. It may
        be a coroutine function. An exception marks that firing failed (its text, with anything
        that looks like a secret taken out, is kept with the firing); the job goes on. Register
        kinds before creating runners or bots: they take the kinds as they stand, and a later
        registration raises :class:`Conflict`."""

        def run(data: Dict[str, Any], loop: Optional[asyncio.AbstractEventLoop]) -> Optional[str]:
            result = run_sync(loop, handler, build(Firing, data))
            return None if result is None else str(result)

        self._native.register_kind(name, run, str(misfire))

    def kind(self, name: str, **options: Any) -> Callable[[JobHandler], JobHandler]:
        """Decorator form of :meth:`register_kind`."""

        def register(handler: JobHandler) -> JobHandler:
            self.register_kind(name, handler, **options)
            return handler

        return register

    @property
    def kinds(self) -> List[str]:
        return list(self._native.kinds())

    async def schedule(
        self,
        member: Member,
        kind: str,
        payload: Any,
        trigger: TriggerLike,
        *,
        timezone: Optional[str] = None,
        channel: Optional[str] = None,
        misfire: Union[MisfirePolicy, str, None] = None,
        grace: Optional[timedelta] = None,
    ) -> Job:
        """Schedules a job of ``kind``; bad input raises :class:`InvalidInput` and stores nothing."""
        data = await self._native.schedule(
            member.household_id, member.id, kind, payload, self._trigger(member, trigger, timezone),
            timezone, channel, None if misfire is None else str(misfire),
            None if grace is None else grace.total_seconds(),
        )
        return build(Job, data)

    async def schedule_many(
        self, jobs: Sequence[Tuple[Member, str, Any, TriggerLike]]
    ) -> List[str]:
        """Schedules ``(member, kind, payload, trigger)`` jobs of one household, all or nothing;
        the error for a bad one names its index. Returns the new jobs' ids."""
        if not jobs:
            return []
        household = jobs[0][0].household_id
        items = [
            (member.id, kind, payload, self._trigger(member, trigger))
            for member, kind, payload, trigger in jobs
        ]
        return list(await self._native.schedule_many(household, items))

    async def remind(self, member: Member, text: str, when: TriggerLike, **options: Any) -> Job:
        """A reminder: ``await scheduler.remind(ana, "call grandma", "tomorrow at 9")``."""
        return await self.schedule(member, "reminder", {"text": text}, when, **options)

    async def check_in(
        self, member: Member, when: TriggerLike, prompt: Optional[str] = None, **options: Any
    ) -> Job:
        """The daily check-in question (or ``prompt``)."""
        payload = {} if prompt is None else {"prompt": prompt}
        return await self.schedule(member, "check_in", payload, when, **options)

    async def habit_nudge(self, member: Member, habit: Habit, when: TriggerLike, **options: Any) -> Job:
        """A nudge for one of the member's habits."""
        return await self.schedule(member, "habit_nudge", {"habit_id": habit.id}, when, **options)

    async def digest(self, member: Member, when: TriggerLike, **options: Any) -> Job:
        """The member's agenda for the next 24 hours."""
        return await self.schedule(member, "digest", {}, when, **options)

    async def job(self, member: Member, job_id: str) -> Optional[Job]:
        return build_optional(Job, await self._native.job(member.household_id, member.id, job_id))

    async def jobs(self, member: Member) -> List[Job]:
        """The member's active and paused jobs."""
        return build_list(Job, await self._native.jobs(member.household_id, member.id))

    async def upcoming(self, member: Member, limit: int = 10) -> List[Upcoming]:
        """The next firings, soonest first, with times on the member's wall clock."""
        return build_list(Upcoming, await self._native.upcoming(member.household_id, member.id, limit))

    async def pause(self, member: Member, job: Job) -> Job:
        return build(Job, await self._native.pause(member.household_id, member.id, job.id))

    async def resume(self, member: Member, job: Job) -> Job:
        return build(Job, await self._native.resume(member.household_id, member.id, job.id))

    async def cancel(self, member: Member, job: Job) -> Job:
        """Cancels a job; it never fires again."""
        return build(Job, await self._native.cancel(member.household_id, member.id, job.id))

    async def snooze(self, member: Member, occurrence: Occurrence, until: datetime) -> Occurrence:
        """Moves a pending firing, or fires a fired one again, at ``until``."""
        data = await self._native.snooze(member.household_id, member.id, occurrence.id, instant(until))
        return build(Occurrence, data)

    async def done(self, member: Member, occurrence: Occurrence) -> Occurrence:
        """Marks a firing done (the member tapped "Done")."""
        return build(Occurrence, await self._native.done(member.household_id, member.id, occurrence.id))

    async def history(self, member: Member, job: Job, limit: int = 20) -> List[Occurrence]:
        data = await self._native.history(member.household_id, member.id, job.id, limit)
        return build_list(Occurrence, data)

    async def deliveries(self, member: Member, occurrence: Occurrence) -> List[DeliveryReceipt]:
        data = await self._native.deliveries(member.household_id, member.id, occurrence.id)
        return build_list(DeliveryReceipt, data)

    def runner(
        self,
        deliver: Deliver,
        *,
        poll_interval: float = 1.0,
        late_after: float = 60.0,
    ) -> Runner:
        """A runner handing each message to ``deliver(notification)``, which returns the
        channel's message id (or ``None``) or raises :class:`DeliveryFailed`. It may be a
        coroutine function."""
        def run(data: Dict[str, Any], loop: Optional[asyncio.AbstractEventLoop]) -> Optional[str]:
            result = run_sync(loop, deliver, build(Notification, data))
            return None if result is None else str(result)

        return Runner(self._native.runner(run, poll_interval, late_after))


class Runner:
    """Fires due jobs and delivers their messages: :meth:`tick` once, or run in the background
    with ``async with runner:`` (or :meth:`start` / :meth:`stop`)."""

    def __init__(self, native: _native.Runner) -> None:
        self._native = native

    async def tick(self) -> TickReport:
        """Fires what is due now and delivers what is waiting."""
        return build(TickReport, await self._native.tick())

    async def start(self) -> None:
        self._native.start()

    @property
    def running(self) -> bool:
        return bool(self._native.is_running())

    async def stop(self) -> None:
        """Stops, letting work under way finish."""
        await self._native.stop()

    async def __aenter__(self) -> Runner:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
