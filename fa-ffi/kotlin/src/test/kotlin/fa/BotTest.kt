package fa

import com.sun.net.httpserver.HttpServer
import java.net.InetSocketAddress
import java.nio.file.Files
import java.time.Duration
import java.time.Instant
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec
import java.security.MessageDigest
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fa_ffi.Assistant
import uniffi.fa_ffi.Bot
import uniffi.fa_core.FaException
import uniffi.fa_ffi.ManualClock
import uniffi.fa_ffi.Scheduler
import uniffi.fa_ffi.verifyTelegramLogin

const val TOKEN = "123456:TEST-token-kotlin"

class BotTest {
    @Test
    fun `the bot is prepared from settings and a revoked token stops it with Auth`() = runBlocking {
        // Every Bot API call answers as Telegram does for a revoked token
        // (https://core.telegram.org/bots/api#making-requests: ok=false, error_code, description).
        val api = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        api.createContext("/") { exchange ->
            val body = """{"ok":false,"error_code":401,"description":"Unauthorized"}""".toByteArray()
            exchange.responseHeaders.add("Content-Type", "application/json")
            exchange.sendResponseHeaders(401, body.size.toLong())
            exchange.responseBody.use { it.write(body) }
        }
        api.start()
        try {
            val dataDir = Files.createTempDirectory("fa-bot").toString()
            val env = mapOf(
                "FA_TELEGRAM_TOKEN" to TOKEN,
                "FA_TELEGRAM_API_URL" to "http://127.0.0.1:${api.address.port}",
                "FA_OWNER_TELEGRAM_ID" to "1001",
                "FA_HTTP_LISTEN" to "off",
            )
            val bot = Bot.prepare(null, env, null, dataDir, ManualClock(START))
            assertEquals(bot.household().id, bot.owner().householdId)
            assertEquals(listOf(bot.owner().id), bot.store().members(bot.household().id).map { it.id })
            bot.useTools(Assistant(bot.store(), null, null, null))
            bot.useJobKinds(Scheduler(bot.store()))
            val e = assertThrows(FaException.Auth::class.java) { runBlocking { bot.run() } }
            assertFalse(e.reason.contains("TEST-token"), e.reason)
            assertThrows(FaException.Conflict::class.java) { runBlocking { bot.run() } }
            bot.stop()
        } finally {
            api.stop(0)
        }
    }

    @Test
    fun `a Telegram login is verified and a forged or stale one refused`() {
        // https://core.telegram.org/widgets/login#checking-authorization
        val fields = mapOf("id" to "1001", "first_name" to "Ana", "username" to "ana_r", "auth_date" to "1795000000")
        val check = fields.toSortedMap().entries.joinToString("\n") { "${it.key}=${it.value}" }
        val mac = Mac.getInstance("HmacSHA256")
        mac.init(SecretKeySpec(MessageDigest.getInstance("SHA-256").digest(TOKEN.toByteArray()), "HmacSHA256"))
        val hash = mac.doFinal(check.toByteArray()).joinToString("") { "%02x".format(it) }
        val signed = fields + ("hash" to hash)
        val at = Instant.ofEpochSecond(1795000000 + 60)
        val user = verifyTelegramLogin(signed, TOKEN, at, Duration.ofDays(1))
        assertEquals(1001L, user.id)
        assertEquals("ana_r", user.username)
        assertEquals(Instant.ofEpochSecond(1795000000), user.authDate)
        assertThrows(FaException.Auth::class.java) {
            verifyTelegramLogin(signed + ("first_name" to "Eve"), TOKEN, at, Duration.ofDays(1))
        }
        val stale = assertThrows(FaException.Auth::class.java) {
            verifyTelegramLogin(signed, TOKEN, at.plus(Duration.ofDays(2)), Duration.ofDays(1))
        }
        assertTrue(stale.reason.isNotBlank())
    }
}
