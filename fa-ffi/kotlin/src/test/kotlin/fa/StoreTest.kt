package fa

import java.time.Duration
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.MethodSource
import uniffi.fa_core.ChannelIdentity
import uniffi.fa_core.MemberScope
import uniffi.fa_core.NewIntegration
import uniffi.fa_core.NewMember
import uniffi.fa_core.Role

class StoreTest {
    companion object {
        @JvmStatic
        fun urls() = storeUrls()
    }

    @ParameterizedTest
    @MethodSource("urls")
    fun `a store opens, keeps a household and its members, and reports its backend`(url: String) = runBlocking {
        val store = openTestStore(url)
        val status = store.status()
        assertEquals(if (url.startsWith("postgres")) "postgres" else "sqlite", status.backend)
        assertTrue(status.schemaVersion >= 4)

        val ann = store.family()
        val bob = store.addMember(ann.householdId, NewMember("Bob", Role.ADULT, "America/New_York", "en-US"))
        assertEquals(listOf("Ann", "Bob"), store.members(ann.householdId).map { it.displayName }.sorted())
        assertEquals("America/New_York", store.member(bob.scope)?.timezone)
        assertEquals(START, ann.createdAt)

        bob.displayName = "Robert"
        store.updateMember(bob)
        assertEquals("Robert", store.member(bob.scope)?.displayName)
        assertTrue(store.removeMember(bob.scope))
        assertNull(store.member(bob.scope))
    }

    @ParameterizedTest
    @MethodSource("urls")
    fun `one household sees nothing of another`(url: String) = runBlocking {
        val store = openTestStore(url)
        val ann = store.family("Millers", "Ann")
        val zoe = store.family("Smiths", "Zoe")
        store.saveNote(ann.scope, "Ann's secret")
        // Zoe's id under the Millers' household is no member at all.
        assertNull(store.member(MemberScope(ann.householdId, zoe.id)))
        assertEquals(emptyList<Any>(), store.notes(MemberScope(zoe.householdId, ann.id), null))
        assertEquals(listOf("Ann's secret"), store.notes(ann.scope, null).map { it.content })
        assertEquals(listOf("Zoe"), store.members(zoe.householdId).map { it.displayName })
    }

    @ParameterizedTest
    @MethodSource("urls")
    fun `identities link members and invites work once`(url: String) = runBlocking {
        val store = openTestStore(url)
        val ann = store.family()
        val telegram = ChannelIdentity("telegram", "1001")
        store.linkIdentity(ann.scope, telegram)
        assertEquals(ann.id, store.memberByIdentity(telegram)?.id)

        val code = store.createInvite(ann.scope, Role.CHILD, START.plus(Duration.ofDays(1)))
        val kid = NewMember("Kim", Role.CHILD, "Europe/Berlin", "de-DE")
        val joined = store.acceptInvite(code, kid, ChannelIdentity("telegram", "2002"), START)
        assertNotNull(joined)
        assertEquals(Role.CHILD, joined!!.role)
        assertNull(store.acceptInvite(code, kid, ChannelIdentity("telegram", "3003"), START))
        assertEquals(1, store.invites(ann.householdId).size)
    }

    @ParameterizedTest
    @MethodSource("urls")
    fun `credentials are sealed by the vault and open again`(url: String) = runBlocking {
        val store = openTestStore(url)
        val ann = store.family()
        val integration = store.createIntegration(ann.scope, NewIntegration("calendar", "Work", "{\"calendar\":\"primary\"}"))
        store.storeCredential(ann.scope, integration.id, "refresh-token-123")
        assertEquals("refresh-token-123", store.loadCredential(ann.scope, integration.id))
        assertEquals("primary", Regex("\"calendar\":\"(\\w+)\"").find(integration.settings)?.groupValues?.get(1))
        assertEquals(1uL, store.rotateCredentials().alreadyCurrent)
    }

    @ParameterizedTest
    @MethodSource("urls")
    fun `many suspend calls run at once`(url: String) = runBlocking {
        val store = openTestStore(url)
        val ann = store.family()
        val notes = (1..40).map { i -> async { store.saveNote(ann.scope, "note $i") } }.awaitAll()
        assertEquals(40, notes.map { it.id }.toSet().size)
        assertEquals(40, store.notes(ann.scope, null).size)
        assertEquals(listOf("note 7"), store.notes(ann.scope, "note 7").map { it.content })
    }
}
