"""The scheduler from Python on a manual clock: reminders fire when due and are delivered
through Python notifiers; job kinds written in Python run; nothing sleeps to wait for time."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import List, Optional

import pytest

from conftest import START
from family_assistant import (
    Conflict, DeliveryFailed, DeliveryStatus, Firing, InvalidInput, JobState, ManualClock, Member,
    MisfirePolicy, Notification, OccurrenceState, Scheduler, Store, Trigger, parse_reminder,
    parse_when,
)


class Outbox:
    """A notifier that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: List[Notification] = []

    def __call__(self, notification: Notification) -> str:
        self.sent.append(notification)
        return f"msg-{len(self.sent)}"


async def test_a_reminder_fires_when_due_and_is_delivered_with_a_receipt(
    store: Store, ana: Member, clock: ManualClock
) -> None:
    scheduler = Scheduler(store)
    job = await scheduler.remind(ana, "call grandma", "tomorrow at 9")
    (next_up,) = await scheduler.upcoming(ana)
    assert next_up.job == job and next_up.local_due.isoformat() == "2026-03-28T09:00:00+01:00"
    outbox = Outbox()
    runner = scheduler.runner(outbox)
    assert (await runner.tick()).fired == 0
    clock.advance(timedelta(hours=23, minutes=59))
    assert (await runner.tick()).fired == 0 and outbox.sent == []
    clock.advance(timedelta(minutes=1))
    report = await runner.tick()
    assert (report.fired, report.sent, report.late) == (1, 1, False)
    (sent,) = outbox.sent
    assert "call grandma" in sent.body and sent.member_id == ana.id
    (occurrence,) = await scheduler.history(ana, job)
    assert occurrence.state is OccurrenceState.DONE and occurrence.notification_id == sent.id
    (receipt,) = await scheduler.deliveries(ana, occurrence)
    assert receipt.status is DeliveryStatus.SENT and receipt.detail == "msg-1"
    assert (await scheduler.job(ana, job.id)).state is JobState.COMPLETED  # type: ignore[union-attr]
    assert (await runner.tick()).sent == 0


async def test_cron_is_read_on_the_members_clock_across_the_dst_gap(
    store: Store, ana: Member, clock: ManualClock
) -> None:
    scheduler = Scheduler(store)
    await scheduler.remind(ana, "water the plants", Trigger.cron("30 2 * * *"))
    (first,) = await scheduler.upcoming(ana)
    assert first.local_due.isoformat() == "2026-03-28T02:30:00+01:00"
    clock.set(first.occurrence.due_at)
    assert (await scheduler.runner(Outbox()).tick()).sent == 1
    (second,) = await scheduler.upcoming(ana)
    # 02:30 does not exist on 29 March in Berlin: the first valid instant after it.
    assert second.local_due.isoformat() == "2026-03-29T03:00:00+02:00"


async def test_every_trigger_form_and_the_phrases(store: Store, ana: Member) -> None:
    scheduler = Scheduler(store)
    once = await scheduler.remind(ana, "a", Trigger.once(START + timedelta(hours=1)))
    every = await scheduler.remind(ana, "b", Trigger.interval(START, timedelta(hours=6)))
    rule = await scheduler.remind(
        ana, "c", Trigger.rrule("FREQ=WEEKLY;BYDAY=MO", datetime(2026, 3, 30, 8, 0),
                                exdates=[datetime(2026, 4, 6, 8, 0)])
    )
    weekly = await scheduler.remind(ana, "d", "every Monday at 8am")
    assert [j.trigger["type"] for j in (once, every, rule, weekly)] == ["once", "interval", "rrule", "rrule"]
    upcoming = {u.job.id: u.local_due for u in await scheduler.upcoming(ana, 10)}
    assert upcoming[rule.id].isoformat() == "2026-03-30T08:00:00+02:00"
    assert upcoming[weekly.id] == upcoming[rule.id]
    new_york = await scheduler.remind(ana, "e", "tomorrow at 9", timezone="America/New_York")
    upcoming = {u.job.id: u.local_due for u in await scheduler.upcoming(ana, 10)}
    assert upcoming[new_york.id].isoformat() == "2026-03-28T09:00:00-04:00"
    when = parse_when("in 2 hours", START, "Europe/Berlin")
    assert when.once == START + timedelta(hours=2) and when.rule is None
    assert {j.id for j in await scheduler.jobs(ana)} == {once.id, every.id, rule.id, weekly.id, new_york.id}


async def test_bad_triggers_are_refused_and_nothing_is_stored(store: Store, ana: Member) -> None:
    scheduler = Scheduler(store)
    with pytest.raises(InvalidInput, match="cron"):
        await scheduler.remind(ana, "x", Trigger.cron("61 * * * *"))
    with pytest.raises(InvalidInput, match="time zone"):
        Trigger.once(datetime(2026, 5, 1, 9))
    with pytest.raises(InvalidInput):
        await scheduler.remind(ana, "x", "whenever you like")
    with pytest.raises(InvalidInput, match="kind"):
        await scheduler.schedule(ana, "no_such_kind", {}, "tomorrow at 9")
    assert await scheduler.jobs(ana) == []


async def test_pause_resume_cancel_snooze_and_done(store: Store, ana: Member, clock: ManualClock) -> None:
    scheduler = Scheduler(store)
    job = await scheduler.remind(ana, "stretch", Trigger.interval(START + timedelta(hours=1), timedelta(hours=1)))
    assert (await scheduler.pause(ana, job)).state is JobState.PAUSED
    assert (await scheduler.resume(ana, job)).state is JobState.ACTIVE
    (pending,) = await scheduler.upcoming(ana)
    later = START + timedelta(hours=1, minutes=30)
    snoozed = await scheduler.snooze(ana, pending.occurrence, later)
    assert snoozed.due_at == later
    outbox = Outbox()
    runner = scheduler.runner(outbox)
    clock.set(later)
    assert (await runner.tick()).sent == 1
    (fired,) = [o for o in await scheduler.history(ana, job) if o.state is OccurrenceState.DONE]
    assert (await scheduler.done(ana, fired)).acknowledged_at == later
    assert (await scheduler.cancel(ana, job)).state is JobState.CANCELLED
    assert await scheduler.upcoming(ana) == []


async def test_built_in_kinds_check_in_habit_nudge_and_digest(store: Store, ana: Member, clock: ManualClock) -> None:
    scheduler = Scheduler(store)
    habit = await store.create_habit(ana, "Stretch")
    at = Trigger.once(START + timedelta(minutes=5))
    await scheduler.check_in(ana, at, prompt="How was your day?")
    await scheduler.habit_nudge(ana, habit, at)
    await scheduler.digest(ana, at)
    outbox = Outbox()
    clock.advance(timedelta(minutes=5))
    assert (await scheduler.runner(outbox).tick()).sent == 3
    bodies = "\n".join(n.body for n in outbox.sent)
    assert "How was your day?" in bodies and "Stretch" in bodies


async def test_a_python_job_kind_runs_sync_or_async_and_its_failures_are_recorded(
    store: Store, ana: Member, clock: ManualClock
) -> None:
    scheduler = Scheduler(store)
    seen: List[Firing] = []

    @scheduler.kind("water_plants")
    def water(firing: Firing) -> str:
        seen.append(firing)
        # Calling back into the scheduler from a handler: no Rust lock is held during the call.
        assert "water_plants" in scheduler.kinds
        return f"Water the {firing.job.payload['room']} plants"

    async def quiet(firing: Firing) -> Optional[str]:
        await asyncio.sleep(0)
        return None

    def broken(firing: Firing) -> str:
        raise RuntimeError(
            "the sensor is offline: https://api.telegram.org/bot123456:AAE-secret/sendMessage"
        )

    scheduler.register_kind("sync_calendar", quiet, misfire=MisfirePolicy.SKIP)
    scheduler.register_kind("broken", broken)
    with pytest.raises(InvalidInput, match="a-z"):
        scheduler.register_kind("Bad Name", water)
    assert {"water_plants", "sync_calendar", "broken", "reminder"} <= set(scheduler.kinds)
    at = Trigger.once(START + timedelta(minutes=1))
    job = await scheduler.schedule(ana, "water_plants", {"room": "kitchen"}, at)
    await scheduler.schedule(ana, "sync_calendar", {}, at)
    failing = await scheduler.schedule(ana, "broken", {}, at)
    outbox = Outbox()
    clock.advance(timedelta(minutes=1))
    report = await scheduler.runner(outbox).tick()
    assert (report.fired, report.failed, report.sent) == (2, 1, 1)
    assert [n.body for n in outbox.sent] == ["Water the kitchen plants"]
    assert seen[0].job.id == job.id and seen[0].local_due.utcoffset() == timedelta(hours=1)
    (failed,) = await scheduler.history(ana, failing)
    assert failed.state is OccurrenceState.FAILED and "the sensor is offline" in (failed.detail or "")
    # What a callback raised is kept without what looks like a secret.
    assert "AAE-secret" not in (failed.detail or "") and "bot123456:***" in (failed.detail or "")
    # The runner took the kinds as they stood: a kind added now could never run there.
    with pytest.raises(Conflict, match="register kinds before creating runners"):
        scheduler.register_kind("too_late", water)
    assert "too_late" not in scheduler.kinds


async def test_delivery_failures_are_retried_or_given_up_as_the_notifier_says(
    store: Store, ana: Member, clock: ManualClock
) -> None:
    scheduler = Scheduler(store)
    flaky = await scheduler.remind(ana, "flaky", Trigger.once(START + timedelta(minutes=1)))
    blocked = await scheduler.remind(
        ana, "blocked", Trigger.once(START + timedelta(minutes=1)), channel="sms"
    )

    async def deliver(notification: Notification) -> str:
        if notification.channel == "sms":
            raise DeliveryFailed("the member blocked us", permanent=True)
        raise ConnectionError("network down")

    clock.advance(timedelta(minutes=1))
    report = await scheduler.runner(deliver).tick()
    assert (report.fired, report.sent, report.retrying, report.given_up) == (2, 0, 1, 1)
    receipts = {}
    for job in (flaky, blocked):
        (occurrence,) = await scheduler.history(ana, job)
        (receipts[job.id],) = await scheduler.deliveries(ana, occurrence)
    assert receipts[flaky.id].status is DeliveryStatus.RETRYING
    assert "network down" in (receipts[flaky.id].detail or "")
    assert receipts[blocked.id].status is DeliveryStatus.GIVEN_UP
    assert "the member blocked us" in (receipts[blocked.id].detail or "")


async def test_a_started_runner_delivers_in_the_background_until_stopped(
    store: Store, ana: Member, clock: ManualClock
) -> None:
    scheduler = Scheduler(store)
    await scheduler.remind(ana, "tea", Trigger.once(START + timedelta(minutes=10)))
    delivered = asyncio.Event()

    async def deliver(notification: Notification) -> None:
        # A coroutine notifier runs on the loop that started the runner: it may touch the
        # loop's objects directly.
        delivered.set()

    async with scheduler.runner(deliver, poll_interval=0.02) as runner:
        assert runner.running
        clock.advance(timedelta(minutes=10))
        await asyncio.wait_for(delivered.wait(), timeout=30)
    assert not runner.running


async def test_a_timezone_aware_datetime_in_any_zone_is_one_instant(store: Store, ana: Member) -> None:
    scheduler = Scheduler(store)
    tokyo = timezone(timedelta(hours=9))
    job = await scheduler.remind(ana, "x", Trigger.once(datetime(2026, 3, 28, 17, 0, tzinfo=tokyo)))
    (next_up,) = await scheduler.upcoming(ana)
    assert next_up.job.id == job.id
    assert next_up.occurrence.due_at == datetime(2026, 3, 28, 8, 0, tzinfo=timezone.utc)


async def test_many_jobs_at_once_previews_and_reminder_sentences(store: Store, ana: Member, ben: Member) -> None:
    scheduler = Scheduler(store)
    ids = await scheduler.schedule_many([
        (ana, "reminder", {"text": "bins out"}, Trigger.cron("0 19 * * SUN")),
        (ben, "reminder", {"text": "homework"}, "every weekday at 4pm"),
    ])
    assert len(ids) == 2
    assert [j.id for j in await scheduler.jobs(ana)] == [ids[0]]
    assert [j.id for j in await scheduler.jobs(ben)] == [ids[1]]
    with pytest.raises(InvalidInput, match="1"):
        await scheduler.schedule_many([
            (ana, "reminder", {"text": "ok"}, Trigger.cron("0 8 * * *")),
            (ana, "reminder", {"text": "bad"}, Trigger.cron("not cron")),
        ])
    assert len(await scheduler.jobs(ana)) == 1
    preview = Trigger.cron("30 2 * * *").upcoming("Europe/Berlin", START, 3)
    assert [t.isoformat() for t in preview] == [
        "2026-03-28T01:30:00+00:00", "2026-03-29T01:00:00+00:00", "2026-03-30T00:30:00+00:00",
    ]
    when, text = parse_reminder("me tomorrow at 9 to call grandma", START, "Europe/Berlin")
    assert text == "call grandma" and when.once == datetime(2026, 3, 28, 8, 0, tzinfo=timezone.utc)
    with pytest.raises(InvalidInput):
        parse_reminder("call grandma", START, "Europe/Berlin")
