package fa

import java.io.File
import kotlin.reflect.full.companionObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Every operation docs/bindings.md lists in its UniFFI column exists in the generated Kotlin:
 * `Class.member` (a method, a companion function such as `Model.ollama`, or a nested class such
 * as `Trigger.Once`), a bare `function` (top level), or a bare `Class`. The documentation and the
 * bindings cannot drift apart without this test failing.
 */
class ParityTest {
    private val packages = listOf("uniffi.fa_ffi", "uniffi.fa_core")

    private fun kotlinClass(name: String): Class<*>? = packages.firstNotNullOfOrNull {
        runCatching { Class.forName("$it.$name") }.getOrNull()
    }

    private fun topLevel(name: String): Boolean = listOf("uniffi.fa_ffi.Fa_ffiKt", "uniffi.fa_core.Fa_coreKt").any { cls ->
        // A function taking an unsigned (inline class) parameter has a mangled JVM name: `name-abc123`.
        runCatching { Class.forName(cls).methods.any { it.name == name || it.name.startsWith("$name-") } }.getOrDefault(false)
    }

    private fun reachable(token: String): Boolean {
        val parts = token.split(".")
        if (parts.size == 1) {
            return if (token[0].isUpperCase()) kotlinClass(token) != null else topLevel(token)
        }
        val cls = kotlinClass(parts[0]) ?: return false
        val member = parts[1]
        val k = cls.kotlin
        return k.members.any { it.name == member } ||
            (k.companionObject?.members?.any { it.name == member } ?: false) ||
            k.nestedClasses.any { it.simpleName == member }
    }

    @Test
    fun `every operation in the parity table is reachable from Kotlin`() {
        val docs = File(System.getProperty("fa.docs") ?: "../../docs/bindings.md")
        // The parity table is the one under the "## Parity" heading.
        val rows = docs.readLines()
            .dropWhile { !it.startsWith("## Parity") }
            .filter { it.startsWith("| ") && !it.startsWith("| Rust API") }
        assertTrue(rows.size > 40, "the parity table was not found in $docs")
        val span = Regex("`([A-Za-z][A-Za-z0-9]*(?:\\.[A-Za-z][A-Za-z0-9]*)?)[^`]*`")
        var checked = 0
        val missing = mutableListOf<String>()
        for (row in rows) {
            val cells = row.split("|").map { it.trim() }
            val uniffi = cells.getOrNull(3) ?: error("a row without a UniFFI column: $row")
            if (cells[1].startsWith("**")) continue // a section heading
            if (uniffi.startsWith("—")) {
                assertTrue(cells[2].startsWith("—"), "only plumbing rows may be left out: $row")
                continue
            }
            assertTrue(uniffi.startsWith("✓"), "a row neither reachable nor plumbing: $row")
            val tokens = span.findAll(uniffi).map { it.groupValues[1] }.toList()
            assertTrue(tokens.isNotEmpty(), "a ✓ without a name: $row")
            for (token in tokens) {
                checked++
                if (!reachable(token)) missing += token
            }
        }
        assertEquals(emptyList<String>(), missing, "named in docs/bindings.md but not in the Kotlin bindings")
        assertTrue(checked > 100, "only $checked names were checked")
    }
}
