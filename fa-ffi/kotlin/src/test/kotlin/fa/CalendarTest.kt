package fa

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.time.Instant
import java.util.Base64
import java.util.UUID
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import uniffi.fa_core.FaException
import uniffi.fa_ffi.CalendarAccounts
import uniffi.fa_ffi.CalendarAppSettings
import uniffi.fa_ffi.SlotAttendee
import uniffi.fa_ffi.SlotSearch
import uniffi.fa_ffi.TimeSpan
import uniffi.fa_ffi.findFreeSlots

/**
 * Calendars from Kotlin: the slot finder keeps clear of busy time and inside working hours; a
 * Google sign-in without an OAuth app says what to configure; CalDAV against Radicale (a real
 * server, when `FA_TEST_CALDAV_URL` is set by scripts/test) connects, creates an event and
 * caches busy time.
 */
class CalendarTest {
    @Test
    fun `free slots avoid busy time and keep to hours`() {
        val busy = TimeSpan(Instant.parse("2026-12-04T08:00:00Z"), Instant.parse("2026-12-04T15:00:00Z"))
        val search = SlotSearch(
            duration = Duration.ofHours(1),
            windowStart = Instant.parse("2026-12-04T00:00:00Z"),
            windowEnd = Instant.parse("2026-12-05T00:00:00Z"),
            perDay = 0u,
        )
        val slots = findFreeSlots(START, listOf(SlotAttendee("Europe/Berlin", listOf(busy))), search)
        assertTrue(slots.isNotEmpty())
        for (slot in slots) {
            assertEquals(Duration.ofHours(1), Duration.between(slot.start, slot.end))
            assertTrue(!slot.end.isAfter(busy.start) || !slot.start.isBefore(busy.end), "$slot overlaps $busy")
            assertFalse(slot.start.isBefore(Instant.parse("2026-12-04T07:00:00Z")), "$slot before 08:00 Berlin")
            assertFalse(slot.end.isAfter(Instant.parse("2026-12-04T19:00:00Z")), "$slot after 20:00 Berlin")
        }
    }

    @Test
    fun `a sign-in without an app says what to configure`() = runBlocking {
        val store = openTestStore()
        val ann = store.family()
        val calendars = CalendarAccounts(store, CalendarAppSettings())
        val refused = assertThrows(FaException.InvalidInput::class.java) {
            runBlocking { calendars.startSignIn(ann.scope, "google") }
        }
        assertTrue(refused.message!!.contains("calendar.public_url"), refused.message)
        assertTrue(calendars.connections(ann.scope).isEmpty())
    }

    @Test
    fun `caldav connects, creates and caches busy time`() = runBlocking {
        val url = System.getenv("FA_TEST_CALDAV_URL")
        if (url.isNullOrBlank()) {
            assertTrue(System.getenv("FA_TEST_REQUIRE_CALDAV").isNullOrBlank(), "FA_TEST_REQUIRE_CALDAV is set but FA_TEST_CALDAV_URL is not")
        }
        assumeTrue(!url.isNullOrBlank(), "FA_TEST_CALDAV_URL is not set")
        val (user, password) = System.getenv("FA_TEST_CALDAV_USERS").split(",")[0].split(":", limit = 2)
        val store = openTestStore()
        val ann = store.family()
        val calendars = CalendarAccounts(store, CalendarAppSettings())
        assertThrows(FaException.Auth::class.java) {
            runBlocking { calendars.connectCaldav(ann.scope, url!!, user, "wrong", "Radicale") }
        }
        val connection = calendars.connectCaldav(ann.scope, url!!, user, password, "Radicale")
        assertEquals("caldav", connection.provider)
        calendars.makeCalendar(ann.scope, connection.integration.id, "Kotlin " + UUID.randomUUID().toString().take(6))
        val start = Instant.parse("2026-12-04T15:00:00Z")
        val made = calendars.createEvent(ann.scope, connection.integration.id, "Dentist", start, start.plus(Duration.ofHours(1)), null)
        assertTrue(made.etag != null)
        val events = calendars.events(ann.scope, start.minus(Duration.ofHours(1)), start.plus(Duration.ofHours(2)))
        assertEquals(listOf("Dentist" to start), events.map { it.summary to it.start })
        val report = calendars.sync(ann.scope, 31u)
        assertEquals(1u, report.synced)
        // Deleted at the server behind fa's back: a fresh cache still answers, a live read does not.
        val auth = "Basic " + Base64.getEncoder().encodeToString("$user:$password".toByteArray())
        val deleted = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(made.id)).DELETE().header("Authorization", auth).build(),
            HttpResponse.BodyHandlers.discarding(),
        )
        assertTrue(deleted.statusCode() in 200..299, "DELETE answered ${deleted.statusCode()}")
        val from = start.minus(Duration.ofDays(1))
        val to = start.plus(Duration.ofDays(1))
        val cached = calendars.busy(ann.scope, from, to, Duration.ofHours(6))
        assertEquals(listOf(TimeSpan(start, start.plus(Duration.ofHours(1)))), cached.intervals)
        assertTrue(calendars.busy(ann.scope, from, to, Duration.ZERO).intervals.isEmpty())
    }
}
