package fa

import java.time.Duration
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fa_core.DeliveryStatus
import uniffi.fa_core.JobState
import uniffi.fa_core.MisfirePolicy
import uniffi.fa_core.Notification
import uniffi.fa_core.OccurrenceState
import uniffi.fa_core.Trigger
import uniffi.fa_core.FaException
import uniffi.fa_core.Firing
import uniffi.fa_core.HostJobKind
import uniffi.fa_core.HostNotifier
import uniffi.fa_ffi.ManualClock
import uniffi.fa_ffi.RunnerSettings
import uniffi.fa_ffi.Scheduler
import uniffi.fa_ffi.previewTrigger

/** The app's side of delivery: what would become an Android notification. */
class Inbox : HostNotifier {
    val received = Channel<Notification>(Channel.UNLIMITED)

    override fun deliver(notification: Notification): String? {
        received.trySend(notification)
        return "android-${notification.id.take(8)}"
    }
}

class SchedulerTest {
    @Test
    fun `a reminder scheduled from Kotlin reaches the listener when the clock gets there`() = runBlocking {
        val clock = ManualClock(START)
        val store = openTestStore(clock = clock)
        val ann = store.family()
        val scheduler = Scheduler(store)
        val inbox = Inbox()
        val subscription = scheduler.subscribe(inbox, RunnerSettings(pollInterval = Duration.ofMillis(20)))
        assertTrue(subscription.isActive())

        val job = scheduler.remind(ann.scope, "call grandma", Trigger.Once(START.plus(Duration.ofHours(1))))
        assertEquals("reminder", job.kind)
        assertEquals(1, scheduler.upcoming(ann.scope, 10u).size)

        clock.advance(Duration.ofHours(1))
        val notification = withTimeout(30_000) { inbox.received.receive() }
        assertTrue(notification.body.contains("call grandma"), notification.body)
        assertEquals(ann.id, notification.memberId)

        subscription.cancel()
        assertFalse(subscription.isActive())
        val occurrence = scheduler.history(ann.scope, job.id, 10u).single()
        assertEquals(OccurrenceState.DONE, occurrence.state)
        val receipt = scheduler.deliveries(ann.scope, occurrence.id).single()
        assertEquals(DeliveryStatus.SENT, receipt.status)
    }

    @Test
    fun `a job kind written in Kotlin runs when its occurrence fires`() = runBlocking {
        val clock = ManualClock(START)
        val store = openTestStore(clock = clock)
        val ann = store.family()
        val scheduler = Scheduler(store)
        val seen = mutableListOf<Firing>()
        scheduler.registerKind("water_plants", object : HostJobKind {
            override fun run(firing: Firing): String? {
                seen += firing
                return "Water the ${Regex("\"plant\":\"(\\w+)\"").find(firing.job.payload)!!.groupValues[1]}"
            }
        }, MisfirePolicy.SKIP)
        assertTrue("water_plants" in scheduler.kinds())
        val job = scheduler.schedule(ann.scope, "water_plants", "{\"plant\":\"ficus\"}", Trigger.Cron("0 10 * * *"))
        assertEquals(MisfirePolicy.SKIP, job.misfire)

        val inbox = Inbox()
        val runner = scheduler.runner(inbox)
        assertEquals(0uL, runner.tick().fired)
        clock.set(java.time.Instant.parse("2026-12-03T09:00:00Z")) // 10:00 in Berlin
        val counts = runner.tick()
        assertEquals(1uL, counts.fired)
        assertEquals(1uL, counts.sent)
        assertEquals("Water the ficus", inbox.received.tryReceive().getOrThrow().body)
        assertEquals("2026-12-03T10:00:00+01:00", seen.single().localDue)

        // Kinds are fixed once a runner has them.
        val refused = assertThrows(FaException.Conflict::class.java) {
            scheduler.registerKind("late_kind", object : HostJobKind {
                override fun run(firing: Firing): String? = null
            }, null)
        }
        assertTrue(refused.reason.contains("late_kind"))
    }

    @Test
    fun `jobs are listed, snoozed, done, paused, resumed and cancelled`() = runBlocking {
        val clock = ManualClock(START)
        val store = openTestStore(clock = clock)
        val ann = store.family()
        val scheduler = Scheduler(store)
        val job = scheduler.remind(ann.scope, "stretch", Trigger.Interval(START.plus(Duration.ofMinutes(30)), 3600uL))
        assertEquals(listOf(job.id), scheduler.jobs(ann.scope).map { it.id })
        assertEquals(job, scheduler.job(ann.scope, job.id))

        val runner = scheduler.runner(Inbox())
        clock.advance(Duration.ofMinutes(30))
        assertEquals(1uL, runner.tick().fired)
        val fired = scheduler.history(ann.scope, job.id, 10u).first { it.state == OccurrenceState.DONE }
        val snoozed = scheduler.snooze(ann.scope, fired.id, START.plus(Duration.ofMinutes(45)))
        assertEquals(fired.id, snoozed.snoozedFrom)
        assertTrue(scheduler.done(ann.scope, fired.id).acknowledgedAt != null)

        assertEquals(JobState.PAUSED, scheduler.pause(ann.scope, job.id).state)
        assertEquals(JobState.ACTIVE, scheduler.resume(ann.scope, job.id).state)
        assertEquals(JobState.CANCELLED, scheduler.cancel(ann.scope, job.id).state)

        val preview = previewTrigger(Trigger.Cron("0 8 * * MON"), "Europe/Berlin", START, 2u)
        assertEquals(listOf("2026-12-07T07:00:00Z", "2026-12-14T07:00:00Z"), preview.map { it.toString() })
    }
}
