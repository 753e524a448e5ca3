package fa

import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fa_core.ChatMessage
import uniffi.fa_core.ChatRequest
import uniffi.fa_core.ChatResponse
import uniffi.fa_core.ChatRole
import uniffi.fa_core.ScriptedReply
import uniffi.fa_core.ToolCall
import uniffi.fa_ffi.Assistant
import uniffi.fa_ffi.AssistantSettings
import uniffi.fa_core.FaException
import uniffi.fa_core.HostModel
import uniffi.fa_core.HostTool
import uniffi.fa_ffi.Model
import uniffi.fa_core.ReplyListener
import uniffi.fa_ffi.ToolDefinition
import uniffi.fa_core.ToolInvocation

/** A tool of the app: counts the family's members, as a contacts lookup would. */
class FamilySize(private val size: Int) : HostTool {
    val calls = mutableListOf<ToolInvocation>()

    override fun call(invocation: ToolInvocation): String {
        calls += invocation
        if (!invocation.arguments.contains("\"who\"")) throw FaException.InvalidInput("who: missing")
        return "The family has $size members."
    }
}

val FAMILY_SIZE = ToolDefinition(
    "family_size",
    "How many people are in the family",
    """{"type":"object","properties":{"who":{"type":"string"}},"required":["who"]}""",
    false,
)

class AssistantTest {
    @Test
    fun `a scripted model calls a Kotlin tool and answers with its result`() = runBlocking {
        val store = openTestStore()
        val ann = store.family()
        val model = Model.scripted(
            listOf(
                ScriptedReply.Calls(listOf(ToolCall("call_1", "family_size", """{"who":"us"}"""))),
                ScriptedReply.Text("You are four."),
            ),
            false,
        )
        val assistant = Assistant(store, null, model, AssistantSettings(builtinTools = false))
        val tool = FamilySize(4)
        assistant.addTool(FAMILY_SIZE, tool)
        assertEquals(listOf("family_size"), assistant.toolNames())

        val reply = assistant.ask(ann, "How many are we?")
        assertEquals("You are four.", reply.text)
        assertEquals(1u, reply.toolCalls)
        assertEquals(2u, reply.modelRequests)
        assertEquals(ann.id, tool.calls.single().member.id)
        assertEquals(START, tool.calls.single().now)
        // The model read the tool's answer back.
        val toolMessage = model.requests()[1].messages.last()
        assertEquals(ChatRole.TOOL, toolMessage.role)
        assertEquals("The family has 4 members.", toolMessage.content)
        assertEquals(listOf("family_size"), model.requests()[0].tools.map { it.name })
    }

    @Test
    fun `a Kotlin tool refusing its arguments tells the model, which can try again`() = runBlocking {
        val store = openTestStore()
        val ann = store.family()
        val model = Model.scripted(
            listOf(
                ScriptedReply.Calls(listOf(ToolCall("call_1", "family_size", "{}"))),
                ScriptedReply.Text("Sorry."),
            ),
            false,
        )
        val assistant = Assistant(store, null, model, AssistantSettings(builtinTools = false))
        assistant.addTool(FAMILY_SIZE, FamilySize(4))
        assertEquals("Sorry.", assistant.ask(ann, "How many?").text)
        val toolMessage = model.requests()[1].messages.last()
        assertTrue(toolMessage.content.contains("who: missing"), toolMessage.content)
    }

    @Test
    fun `a streamed reply reaches the listener before the call returns`() = runBlocking {
        val store = openTestStore()
        val ann = store.family()
        val model = Model.scripted(listOf(ScriptedReply.Text("Good morning, Ann!")), false)
        val assistant = Assistant(store, null, model, null)
        val deltas = mutableListOf<String>()
        val reply = assistant.stream(ann, "Hi", object : ReplyListener {
            override fun onDelta(text: String) { synchronized(deltas) { deltas += text } }
        })
        assertEquals("Good morning, Ann!", reply.text)
        assertEquals("Good morning, Ann!", deltas.joinToString(""))
        val conversation = store.conversation(ann.scope, "app", "main")
        assertEquals(listOf("Hi", "Good morning, Ann!"), store.recentMessages(ann.scope, conversation.id, 10u).map { it.content })
    }

    @Test
    fun `an on-device model written in Kotlin answers the assistant`() = runBlocking {
        val store = openTestStore()
        val ann = store.family()
        val seen = mutableListOf<ChatRequest>()
        val onDevice = Model.host("gemma-on-device", object : HostModel {
            override fun chat(request: ChatRequest): ChatResponse {
                seen += request
                val asked = request.messages.last { it.role == ChatRole.USER }.content
                return ChatResponse(ChatMessage(ChatRole.ASSISTANT, "You said: $asked", emptyList(), null, null), null)
            }
        }, 4096u)
        assertEquals("gemma-on-device", onDevice.name())
        assertTrue(onDevice.probe().supportsTools)
        val assistant = Assistant(store, null, onDevice, null)
        assertEquals("You said: hello there", assistant.ask(ann, "hello there").text)
        assertTrue(seen.single().tools.isNotEmpty(), "fa's built-in tools are offered to the app's model")
    }

    @Test
    fun `cancelling the coroutine stops the turn and stores nothing of it`() = runBlocking {
        val store = openTestStore()
        val ann = store.family()
        val entered = CountDownLatch(1)
        val release = CountDownLatch(1)
        val slow = Model.host("slow", object : HostModel {
            override fun chat(request: ChatRequest): ChatResponse {
                entered.countDown()
                release.await(30, TimeUnit.SECONDS)
                return ChatResponse(ChatMessage(ChatRole.ASSISTANT, "too late", emptyList(), null, null), null)
            }
        }, 4096u)
        val assistant = Assistant(store, null, slow, null)
        val turn = launch(Dispatchers.Default) { assistant.ask(ann, "tell me a story") }
        withContext(Dispatchers.IO) { assertTrue(entered.await(30, TimeUnit.SECONDS)) }
        turn.cancel()
        turn.join()
        release.countDown()
        assertTrue(turn.isCancelled)
        val conversation = store.conversation(ann.scope, "app", "main")
        val stored = store.recentMessages(ann.scope, conversation.id, 10u).map { it.content }
        assertFalse("too late" in stored, stored.toString())
    }
}
