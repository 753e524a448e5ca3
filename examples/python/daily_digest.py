"""A daily digest written in Python: every morning at 7 each member gets their reminders and
habits for the day. Run it to serve (Ctrl-C stops it), or with ``--demo`` to jump a manual
clock to the next 7:00 and show the message at once.

    python examples/python/daily_digest.py --demo
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta, timezone

from family_assistant import (
    Firing, ManualClock, Notification, Role, Scheduler, Store, Trigger,
)


async def main(demo: bool) -> None:
    clock = ManualClock(datetime(2026, 5, 4, 5, 0, tzinfo=timezone.utc)) if demo else None
    store = await Store.open("sqlite::memory:" if demo else "sqlite:digest.db", clock=clock)
    home = await store.create_household("Home")
    ana = await store.add_member(home, "Ana", Role.OWNER, timezone="Europe/Berlin")
    await store.create_habit(ana, "Stretch", target_per_week=5)
    scheduler = Scheduler(store)
    await scheduler.remind(ana, "dentist at 10:30", Trigger.once(datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)))

    async def family_digest(firing: Firing) -> str:
        member = await store.member(firing.job.household_id, firing.job.member_id)
        assert member is not None
        day_end = firing.now + timedelta(hours=24)
        upcoming = [u for u in await scheduler.upcoming(member, 20)
                    if u.job.kind == "reminder" and u.occurrence.due_at < day_end]
        habits = [h.name for h in await store.habits(member) if not h.archived]
        lines = [f"Good morning, {member.display_name}! Today:"]
        lines += [f"• {u.local_due:%H:%M} {u.job.payload['text']}" for u in upcoming] or ["• no reminders"]
        lines += [f"• habit: {name}" for name in habits]
        return "\n".join(lines)

    scheduler.register_kind("family_digest", family_digest)
    await scheduler.schedule(ana, "family_digest", {}, Trigger.cron("0 7 * * *"))

    def deliver(notification: Notification) -> None:
        print(notification.body, flush=True)

    runner = scheduler.runner(deliver)
    if clock is not None:
        (next_up,) = [u for u in await scheduler.upcoming(ana) if u.job.kind == "family_digest"]
        clock.set(next_up.occurrence.due_at)
        await runner.tick()
        return
    async with runner:
        await asyncio.Event().wait()




if __name__ == "__main__":
    asyncio.run(main("--demo" in sys.argv))
