"""Models, the :class:`Assistant` (one turn for one member), streaming, and Python tools."""

from __future__ import annotations

from typing import (
    TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, List, Mapping, Optional, Sequence, Union,
    overload,
)

from . import _native
from .records import (
    Conversation, Member, ModelInfo, ModelMessage, PendingAction, Reply, Transcript, build,
)
from .scheduler import Scheduler
from .store import Store
from .tools import Tool, native_callable, tool as make_tool

if TYPE_CHECKING:
    from .calendar import CalendarAccounts

__all__ = ["Model", "Assistant", "ReplyStream", "Transcriber"]


def _member_data(member: Member) -> Dict[str, Any]:
    """The member as the native module reads it (the Rust record's fields)."""
    return {
        "id": member.id,
        "household_id": member.household_id,
        "display_name": member.display_name,
        "role": member.role.value,
        "timezone": member.timezone,
        "locale": member.locale,
        "created_at": member.created_at.isoformat(),
    }


def _conversation_id(conversation: Optional[Conversation]) -> Optional[str]:
    return None if conversation is None else conversation.id


class Model:
    """A language model. Build one with :meth:`ollama`, :meth:`openai` or :meth:`scripted`."""

    def __init__(self, native: _native.Model) -> None:
        self._native = native

    @staticmethod
    def ollama(
        model: str,
        base_url: Optional[str] = None,
        *,
        num_ctx: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Model:
        """A model served by Ollama (``base_url`` defaults to ``$OLLAMA_HOST`` or
        ``http://localhost:11434``), spoken to on its native ``/api/chat`` with tools."""
        return Model(_native.Model.ollama(model, base_url, num_ctx, timeout))

    @staticmethod
    def openai(
        model: str,
        base_url: str,
        *,
        api_key: Optional[str] = None,
        context_window: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Model:
        """A model on an OpenAI-compatible server (llama.cpp, vLLM, LM Studio, OpenAI)."""
        return Model(_native.Model.openai(model, base_url, api_key, context_window, timeout))

    @staticmethod
    def scripted(replies: Sequence[Dict[str, Any]], *, cycle: bool = False) -> Model:
        """A model answering from a script, for tests: each reply is ``{"text": ...}``,
        ``{"calls": [{"name": ..., "arguments": {...}}]}`` or ``{"error": "unreachable"}``."""
        return Model(_native.Model.scripted(list(replies), cycle))

    @property
    def name(self) -> str:
        return self._native.name

    async def probe(self) -> ModelInfo:
        """Asks the server whether the model exists and can call tools."""
        return build(ModelInfo, await self._native.probe())

    async def chat(
        self, messages: Sequence[Dict[str, Any]], tools: Optional[Sequence[Dict[str, Any]]] = None
    ) -> ModelMessage:
        """One completion without the assistant: ``messages`` as ``{"role", "content"}``,
        ``tools`` as ``{"name", "description", "parameters"}``."""
        data = await self._native.chat(list(messages), None if tools is None else list(tools))
        return build(ModelMessage, data)

    def push(self, replies: Sequence[Dict[str, Any]]) -> None:
        """Appends replies to a scripted model's script."""
        self._native.push(list(replies))

    def requests(self) -> List[Dict[str, Any]]:
        """What a scripted model was asked: each request's messages and offered tool names."""
        return list(self._native.requests())

    def __repr__(self) -> str:
        return f"Model({self.name!r})"


class Transcriber:
    """Speech to text on an OpenAI-compatible ``/v1/audio/transcriptions`` server (whisper.cpp's
    server, faster-whisper, OpenAI)."""

    def __init__(
        self,
        base_url: str,
        *,
        model: Optional[str] = None,
        api_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> None:
        self._native = _native.Transcriber(base_url, model, api_key, timeout)

    async def transcribe(
        self, audio: bytes, file_name: str, mime_type: str, *, language: Optional[str] = None
    ) -> Transcript:
        """Transcribes an audio file's bytes (OGG/Opus, WAV, MP3, ...)."""
        data = await self._native.transcribe(bytes(audio), file_name, mime_type, language)
        return build(Transcript, data)


class ReplyStream:
    """A reply as it is written: ``async for delta in stream``; then :meth:`reply`."""

    def __init__(self, native: _native.ReplyStream) -> None:
        self._native = native

    def __aiter__(self) -> AsyncIterator[str]:
        return self._deltas()

    async def _deltas(self) -> AsyncIterator[str]:
        async for delta in self._native:
            yield delta

    async def reply(self) -> Reply:
        """The whole reply, once the turn has finished."""
        return build(Reply, await self._native.reply())

    def close(self) -> None:
        """Stops the turn if it is still running."""
        self._native.close()

    async def __aenter__(self) -> ReplyStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class Assistant:
    """Answers members' messages with a model, tools and the member's own memory.

    Without a model (or while it is offline) it still serves commands such as
    ``/remind me tomorrow at 9 to call grandma`` and says the model is offline. Tools that
    change anything wait for the member's confirmation: the reply's ``pending`` actions, answered
    with :meth:`confirm` or :meth:`cancel`.
    """

    def __init__(
        self,
        store: Store,
        *,
        model: Optional[Model] = None,
        scheduler: Optional[Scheduler] = None,
        builtin_tools: bool = True,
        max_steps: Optional[int] = None,
        tool_timeout: Optional[float] = None,
        system_prompt: Optional[str] = None,
        models: Optional[Mapping[str, Model]] = None,
        calendars: Optional["CalendarAccounts"] = None,
    ) -> None:
        """``models`` are the models assistant profiles can name (``Store.save_profile(...,
        model="chef")``). With ``calendars``, the calendar tools are added (events, free time,
        create, move and cancel an event; the last three are confirmed first)."""
        self.store = store
        self.model = model
        self._native = _native.Assistant(
            store._native,
            None if scheduler is None else scheduler._native,
            None if model is None else model._native,
            builtin_tools,
            max_steps,
            tool_timeout,
            system_prompt,
            None if models is None else {name: m._native for name, m in models.items()},
            None if calendars is None else calendars._native,
        )

    def add_tool(self, tool: Union[Tool, Callable[..., Any]]) -> Tool:
        """Adds a tool (a :class:`Tool`, or a function made into one by its type hints). Its
        errors reach the model as a failed call; raising :class:`InvalidInput` asks the model
        to correct its arguments."""
        spec = tool if isinstance(tool, Tool) else make_tool(tool)
        describe = None
        if spec.describe is not None:
            describe = native_callable(spec.describe)
        self._native.add_tool(
            spec.name,
            spec.description,
            spec.parameters,
            native_callable(spec.func),
            spec.changes_state,
            describe,
        )
        return spec

    @overload
    def tool(self, func: Callable[..., Any]) -> Tool: ...

    @overload
    def tool(self, func: None = None, **options: Any) -> Callable[[Callable[..., Any]], Tool]: ...

    def tool(
        self, func: Optional[Callable[..., Any]] = None, **options: Any
    ) -> Union[Tool, Callable[[Callable[..., Any]], Tool]]:
        """Decorator: ``@assistant.tool`` or ``@assistant.tool(changes_state=True)``."""

        def register(f: Callable[..., Any]) -> Tool:
            return self.add_tool(make_tool(f, **options))

        return register(func) if func is not None else register

    @property
    def tool_names(self) -> List[str]:
        return list(self._native.tool_names())

    async def ask(
        self,
        member: Member,
        text: str,
        *,
        conversation: Optional[Conversation] = None,
        channel: str = "python",
        chat_id: str = "main",
        profile: Optional[str] = None,
    ) -> Reply:
        """Answers one message from ``member`` (as you have it: fetch it again after changing
        it) in ``conversation``, or else in their conversation on ``channel``/``chat_id``."""
        data = await self._native.ask(
            _member_data(member), text, _conversation_id(conversation), channel, chat_id, profile
        )
        return build(Reply, data)

    def ask_sync(
        self,
        member: Member,
        text: str,
        *,
        conversation: Optional[Conversation] = None,
        channel: str = "python",
        chat_id: str = "main",
        profile: Optional[str] = None,
    ) -> Reply:
        """:meth:`ask` for scripts without an event loop (blocks; the GIL is released)."""
        data = self._native.ask_sync(
            _member_data(member), text, _conversation_id(conversation), channel, chat_id, profile
        )
        return build(Reply, data)

    def stream(
        self,
        member: Member,
        text: str,
        *,
        conversation: Optional[Conversation] = None,
        channel: str = "python",
        chat_id: str = "main",
        profile: Optional[str] = None,
    ) -> ReplyStream:
        """Answers one message, giving the text as the model writes it."""
        native = self._native.stream(
            _member_data(member), text, _conversation_id(conversation), channel, chat_id, profile
        )
        return ReplyStream(native)

    async def confirm(self, member: Member, action: PendingAction) -> Reply:
        """Runs a pending action the member confirmed; says what happened."""
        data = await self._native.resolve(member.household_id, member.id, action.id, True)
        return build(Reply, data)

    async def cancel(self, member: Member, action: PendingAction) -> Reply:
        """Drops a pending action."""
        data = await self._native.resolve(member.household_id, member.id, action.id, False)
        return build(Reply, data)

    def __repr__(self) -> str:
        return f"Assistant(model={self.model!r}, tools={self.tool_names!r})"
