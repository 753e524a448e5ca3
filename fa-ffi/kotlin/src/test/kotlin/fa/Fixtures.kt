package fa

import java.nio.file.Files
import java.time.Instant
import java.util.UUID
import uniffi.fa_core.Member
import uniffi.fa_core.MemberScope
import uniffi.fa_core.NewMember
import uniffi.fa_core.Role
import uniffi.fa_ffi.ManualClock
import uniffi.fa_ffi.SecretText
import uniffi.fa_ffi.Store
import uniffi.fa_ffi.StoreSettings
import uniffi.fa_ffi.generateMasterKey
import uniffi.fa_ffi.openStore

/** 08:00 UTC on 3 December 2026: every test's clock starts here. */
val START: Instant = Instant.parse("2026-12-03T08:00:00Z")

/** The store URLs the tests run on: a SQLite file, SQLite in memory, and PostgreSQL when
 *  `FA_TEST_POSTGRES_URL` is set (scripts/test sets it). */
fun storeUrls(): List<String> {
    val dir = Files.createTempDirectory("fa-kotlin")
    val urls = mutableListOf("sqlite:${dir.resolve("fa.db")}", "sqlite::memory:")
    System.getenv("FA_TEST_POSTGRES_URL")?.takeIf { it.isNotBlank() }?.let { urls += it }
    return urls
}

/** A store on `url` with a manual clock and a fresh master key; on PostgreSQL in a schema of its
 *  own, so tests do not see each other's rows. */
suspend fun openTestStore(url: String = "sqlite::memory:", clock: ManualClock = ManualClock(START)): Store {
    val schema = if (url.startsWith("postgres")) "kt_" + UUID.randomUUID().toString().replace("-", "").take(16) else null
    return openStore(url, StoreSettings(schema = schema, masterKey = SecretText(generateMasterKey())), clock)
}

/** A household with an owner in Europe/Berlin. */
suspend fun Store.family(name: String = "Millers", owner: String = "Ann"): Member {
    val household = createHousehold(name)
    return addMember(household.id, NewMember(owner, Role.OWNER, "Europe/Berlin", "en-GB"))
}

val Member.scope: MemberScope get() = MemberScope(householdId, id)
