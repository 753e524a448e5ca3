package fa

import com.sun.net.httpserver.HttpServer
import java.io.File
import java.net.InetSocketAddress
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.UUID
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.MethodSource
import uniffi.fa_core.DeliveryMode
import uniffi.fa_core.FaException
import uniffi.fa_core.NewInboundEvent
import uniffi.fa_core.NewMember
import uniffi.fa_core.QuietHours
import uniffi.fa_core.Role
import uniffi.fa_core.RouteCommit
import uniffi.fa_core.RouteSpec
import uniffi.fa_ffi.AmazonAppSettings
import uniffi.fa_ffi.EventRouter
import uniffi.fa_ffi.SecretText
import uniffi.fa_ffi.SellerAccountSettings
import uniffi.fa_ffi.SellerAccounts
import uniffi.fa_ffi.SqsConsumer
import uniffi.fa_ffi.SqsQueueSettings
import uniffi.fa_ffi.parseNotification

/**
 * The Amazon surface from Kotlin: notifications parsed, route rules kept per member, the router
 * sending each event once, a seller account against a loopback Login with Amazon and SP-API
 * (bodies from fa-amazon's cited fixtures), and the SQS consumer on moto when FA_TEST_SQS_URL
 * is set.
 */
class AmazonTest {
    companion object {
        @JvmStatic
        fun urls() = storeUrls()

        private val fixtures = File(System.getProperty("fa.amazon.fixtures") ?: "../../fa-amazon/tests/fixtures")

        fun fixture(name: String): String = fixtures.resolve(name).readText()

        val everything = RouteSpec(emptyList(), null, emptyList(), null, DeliveryMode.Immediate, "default")
    }

    @Test
    fun `a notification is parsed and garbage is refused`() {
        val parsed = parseNotification(fixture("notifications/fba_outbound_shipment_status.json"))
        assertEquals("amazon", parsed.source)
        assertEquals("FBA_OUTBOUND_SHIPMENT_STATUS", parsed.kind)
        assertEquals("notification:requestId", parsed.idempotencyKey)
        assertThrows(FaException.InvalidInput::class.java) { parseNotification("not json") }
    }

    @ParameterizedTest
    @MethodSource("urls")
    fun `route rules are kept per member and the router sends each event once`(url: String) = runBlocking {
        val store = openTestStore(url)
        val ann = store.family()
        val bob = store.addMember(ann.householdId, NewMember("Bob", Role.ADULT, "Europe/Berlin", "en-GB"))
        val digest = RouteSpec(
            listOf("ORDER_CHANGE"), 50.0, listOf("A1PA6795UKMFR9"),
            QuietHours((22 * 60).toUShort(), (7 * 60).toUShort()), DeliveryMode.DailyDigest((8 * 60).toUShort()), "default",
        )
        val rule = store.addRouteRule(bob.scope, digest)
        assertEquals(digest, rule.spec)
        store.addRouteRule(ann.scope, everything)
        assertEquals(2, store.routeRules(ann.householdId).size)
        assertFalse(store.deleteRouteRule(ann.scope, rule.id))
        assertTrue(store.deleteRouteRule(bob.scope, rule.id))

        val parsed = parseNotification(fixture("notifications/fba_outbound_shipment_status.json"))
        store.recordEvent(ann.householdId, NewInboundEvent(parsed.source, parsed.idempotencyKey, parsed.kind, parsed.payload))
        val router = EventRouter(store)
        assertEquals(RouteCommit(1u, 0u, 1u, 0u), router.routePending(ann.householdId))
        assertEquals(0u, router.routePending(ann.householdId).events)
        assertEquals(listOf(ann.id), store.dueNotifications(ann.householdId, START, 10u).map { it.memberId })
        val recent = store.recentEvents(ann.householdId, "amazon", listOf(parsed.kind), 5u)
        assertEquals(listOf(parsed.idempotencyKey), recent.map { it.idempotencyKey })
    }

    @Test
    fun `a seller account connects, reconciles, and a revoked token stores nothing`() = runBlocking {
        val routes = mutableMapOf(
            "/auth/o2/token" to (200 to fixture("sp_api/lwa_token.json")),
            "/orders/v0/orders" to (200 to fixture("sp_api/get_orders_page2.json")),
        )
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/") { exchange ->
            exchange.requestBody.readAllBytes()
            val (status, body) = routes[exchange.requestURI.path] ?: (404 to "{}")
            val bytes = body.toByteArray()
            exchange.responseHeaders.add("Content-Type", "application/json")
            exchange.sendResponseHeaders(status, bytes.size.toLong())
            exchange.responseBody.use { it.write(bytes) }
        }
        server.start()
        try {
            val base = "http://127.0.0.1:${server.address.port}"
            val store = openTestStore()
            val ann = store.family()
            val accounts = SellerAccounts(store, AmazonAppSettings("amzn1.application-oa2-client.test", SecretText("client-secret"), base, "$base/auth/o2/token"))
            assertNull(accounts.account(ann.householdId))
            val settings = SellerAccountSettings("eu", listOf("A1PA6795UKMFR9"), "Shop", emptyList())
            val account = accounts.connect(ann.scope, "Atzr|refresh-token", settings)
            assertEquals("eu", account.region)
            assertEquals("Shop", account.integration.label)
            assertEquals(account, accounts.account(ann.householdId))
            val first = accounts.reconcile(ann.householdId, Duration.ofHours(6))
            assertEquals(1u, first.polled)
            assertEquals(1u, first.missed)
            assertEquals(0u, accounts.reconcile(ann.householdId, Duration.ofHours(6)).missed)

            routes["/auth/o2/token"] = 400 to fixture("sp_api/lwa_invalid_grant.json")
            val bob = store.family("Smiths", "Bob")
            val refused = assertThrows(FaException.Auth::class.java) {
                runBlocking { accounts.connect(bob.scope, "Atzr|revoked", settings) }
            }
            assertTrue(refused.message!!.contains("authorise the app again"), refused.message)
            assertEquals(0, store.integrations(bob.scope).size)
        } finally {
            server.stop(0)
        }
    }

    /** moto's SQS query API (the form the AWS SDKs used before JSON). moto tells services apart
     *  by the credential scope of the Authorization header; it does not check the signature. */
    private fun sqs(endpoint: String, vararg params: Pair<String, String>): String {
        val form = (params.toList() + ("Version" to "2012-11-05"))
            .joinToString("&") { (k, v) -> "$k=${URLEncoder.encode(v, Charsets.UTF_8)}" }
        val request = HttpRequest.newBuilder(URI.create(endpoint))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build()
        val response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString())
        assertEquals(200, response.statusCode(), response.body())
        return response.body()
    }

    @Test
    fun `the SQS consumer stores, routes and keeps unreadable messages on moto`() = runBlocking {
        val endpoint = System.getenv("FA_TEST_SQS_URL")?.takeIf { it.isNotBlank() }
        if (endpoint == null && System.getenv("FA_TEST_REQUIRE_SQS") != null) {
            error("FA_TEST_REQUIRE_SQS is set but FA_TEST_SQS_URL is not")
        }
        assumeTrue(endpoint != null, "FA_TEST_SQS_URL is not set")
        val created = sqs(endpoint!!, "Action" to "CreateQueue", "QueueName" to "fa-kt-" + UUID.randomUUID().toString().take(12))
        val queueUrl = Regex("<QueueUrl>([^<]+)</QueueUrl>").find(created)!!.groupValues[1]
        val shipment = fixture("notifications/fba_outbound_shipment_status.json")
        for (body in listOf(shipment, shipment, "not json")) {
            sqs(endpoint, "Action" to "SendMessage", "QueueUrl" to queueUrl, "MessageBody" to body)
        }

        val store = openTestStore()
        val ann = store.family()
        store.addRouteRule(ann.scope, everything)
        val router = EventRouter(store)
        val queue = SqsQueueSettings(
            queueUrl, "us-east-1", "test", SecretText("test"), endpoint,
            Duration.ofSeconds(1), null, null, Duration.ofMinutes(5),
        )
        val consumer = SqsConsumer(store, ann.householdId, queue, router)
        for (round in 1..20) {
            if (consumer.pollOnce().received == 0u) break
        }
        val totals = consumer.stats()
        assertEquals(1uL, totals.stored, totals.toString())
        assertEquals(1uL, totals.duplicates, totals.toString())
        assertEquals(1uL, totals.malformed, totals.toString())
        assertEquals(listOf("not json"), store.failedEvents(ann.householdId, 10u).map { it.raw })
        assertEquals(1, store.dueNotifications(ann.householdId, START, 10u).size)
    }
}
