package fa

import java.time.Duration
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fa_core.ChatMessage
import uniffi.fa_core.ChatRequest
import uniffi.fa_core.ChatResponse
import uniffi.fa_core.ChatRole
import uniffi.fa_core.MemberScope
import uniffi.fa_core.ModelErrorKind
import uniffi.fa_core.NewMember
import uniffi.fa_core.Role
import uniffi.fa_core.ScriptedReply
import uniffi.fa_ffi.Assistant
import uniffi.fa_core.FaException
import uniffi.fa_core.HostModel
import uniffi.fa_ffi.Model
import uniffi.fa_ffi.StoreSettings
import uniffi.fa_ffi.openStore
import uniffi.fa_ffi.parseWhen

/** Each error kind arrives in Kotlin as its own `FaException` subclass, with fa's message. */
class ErrorTest {
    private fun hostModel(fail: () -> Nothing) = Model.host("failing", object : HostModel {
        override fun chat(request: ChatRequest): ChatResponse = fail()
    }, 4096u)

    private val hello = listOf(ChatMessage(ChatRole.USER, "hello", emptyList(), null, null))

    @Test
    fun `refused input is InvalidInput naming what to fix`() = runBlocking {
        val store = openTestStore()
        val ann = store.family()
        val e = assertThrows(FaException.InvalidInput::class.java) {
            runBlocking { store.addMember(ann.householdId, NewMember("Bo", Role.ADULT, "Mars/Olympus", "en")) }
        }
        assertTrue(e.reason.contains("IANA"), e.reason)
        val url = assertThrows(FaException.InvalidInput::class.java) {
            runBlocking { openStore("mysql://root:hunter2@db/fa", StoreSettings(), null) }
        }
        assertTrue(url.reason.contains("sqlite:PATH") && !url.reason.contains("hunter2"), url.reason)
        assertThrows(FaException.InvalidInput::class.java) { parseWhen("on the twelfth of never", START, "Europe/Berlin") }
        // Values refused while crossing into Rust are InvalidInput too, not an internal error.
        val id = assertThrows(FaException.InvalidInput::class.java) { runBlocking { store.members("not-a-household-id") } }
        assertTrue(id.reason.contains("HouseholdId"), id.reason)
        val mood = assertThrows(FaException.InvalidInput::class.java) {
            runBlocking { store.recordCheckIn(ann.scope, 9u.toUByte(), emptyList()) }
        }
        assertTrue(mood.reason.contains("1–5"), mood.reason)
        Unit
    }

    @Test
    fun `what does not exist is NotFound`() = runBlocking {
        val store = openTestStore()
        val ann = store.family()
        val assistant = Assistant(store, null, null, null)
        val stranger = MemberScope(ann.householdId, "01900000-0000-7000-8000-000000000000")
        assertThrows(FaException.NotFound::class.java) {
            runBlocking { assistant.confirm(stranger, "01900000-0000-7000-8000-000000000001") }
        }
        Unit
    }

    @Test
    fun `an unreachable database or model is Network`() = runBlocking {
        assertThrows(FaException.Network::class.java) {
            runBlocking { openStore("postgres://postgres@127.0.0.1:1/none", StoreSettings(), null) }
        }
        val offline = Model.scripted(listOf(ScriptedReply.Error(ModelErrorKind.UNREACHABLE)), false)
        assertThrows(FaException.Network::class.java) { runBlocking { offline.chat(hello, emptyList()) } }
        Unit
    }

    @Test
    fun `a rate limit keeps its retry-after across both directions`() = runBlocking {
        val limited = hostModel { throw FaException.RateLimited("the phone's NPU is busy", Duration.ofSeconds(7)) }
        val e = assertThrows(FaException.RateLimited::class.java) { runBlocking { limited.chat(hello, emptyList()) } }
        assertEquals(Duration.ofSeconds(7), e.retryAfter)
        assertTrue(e.reason.contains("NPU is busy"), e.reason)
    }

    @Test
    fun `a refused credential is Auth, and any other Kotlin exception is Other with its text`() = runBlocking {
        val refused = hostModel { throw FaException.Auth("licence expired") }
        assertThrows(FaException.Auth::class.java) { runBlocking { refused.chat(hello, emptyList()) } }
        val broken = hostModel { throw IllegalStateException("model file missing") }
        val e = assertThrows(FaException.Other::class.java) { runBlocking { broken.chat(hello, emptyList()) } }
        assertTrue(e.reason.contains("model file missing"), e.reason)
    }

    @Test
    fun `a credential sealed under another master key is Auth`() = runBlocking {
        val file = "sqlite:" + java.nio.file.Files.createTempDirectory("fa-keys").resolve("fa.db")
        val store = openStore(file, StoreSettings(masterKey = uniffi.fa_ffi.SecretText(uniffi.fa_ffi.generateMasterKey())), null)
        val ann = store.family()
        val integration = store.createIntegration(ann.scope, uniffi.fa_core.NewIntegration("calendar", "Home", "{}"))
        store.storeCredential(ann.scope, integration.id, "secret")
        val wrongKey = openStore(file, StoreSettings(masterKey = uniffi.fa_ffi.SecretText(uniffi.fa_ffi.generateMasterKey())), null)
        val e = assertThrows(FaException.Auth::class.java) {
            runBlocking { wrongKey.loadCredential(ann.scope, integration.id) }
        }
        assertFalse(e.reason.contains("secret"), e.reason)
    }

    @Test
    fun `secrets given to fa never show in printed settings`() {
        val key = uniffi.fa_ffi.generateMasterKey()
        val settings = StoreSettings(masterKey = uniffi.fa_ffi.SecretText(key))
        val app = uniffi.fa_ffi.AmazonAppSettings("amzn1.application-oa2-client.x", uniffi.fa_ffi.SecretText("client-secret-123"), null, null)
        val queue = uniffi.fa_ffi.SqsQueueSettings("https://sqs.eu-west-1.amazonaws.com/1/q", "eu-west-1", "AKIA", uniffi.fa_ffi.SecretText("aws-secret-456"))
        for ((printed, secret) in listOf(settings.toString() to key, app.toString() to "client-secret-123", queue.toString() to "aws-secret-456")) {
            assertFalse(printed.contains(secret), printed)
        }
    }
}
