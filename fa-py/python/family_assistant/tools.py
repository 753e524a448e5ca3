"""Tools written in Python: a callable plus a JSON schema, derived from type hints and the
docstring when not given."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
import typing
from typing import Any, Callable, Dict, List, Optional, Union, overload

import asyncio

from ._callbacks import run_sync
from .errors import InvalidInput
from .records import Member, ToolCall, build, convert
from datetime import datetime

__all__ = ["Tool", "tool", "schema_of"]


@dataclasses.dataclass(frozen=True)
class Tool:
    """A tool the model can call. ``changes_state=True`` makes each call a pending action the
    member confirms first; ``describe(**arguments)`` then says in words what it will do."""

    name: str
    description: str
    parameters: Dict[str, Any]
    func: Callable[..., Any]
    changes_state: bool = False
    describe: Optional[Callable[..., Any]] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)


@overload
def tool(
    func: Callable[..., Any],
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    parameters: Optional[Dict[str, Any]] = None,
    changes_state: bool = False,
    describe: Optional[Callable[..., Any]] = None,
) -> Tool: ...


@overload
def tool(
    func: None = None,
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    parameters: Optional[Dict[str, Any]] = None,
    changes_state: bool = False,
    describe: Optional[Callable[..., Any]] = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    func: Optional[Callable[..., Any]] = None,
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    parameters: Optional[Dict[str, Any]] = None,
    changes_state: bool = False,
    describe: Optional[Callable[..., Any]] = None,
) -> Union[Tool, Callable[[Callable[..., Any]], Tool]]:
    """Makes a function a :class:`Tool`; use as ``@tool`` or ``@tool(changes_state=True)``.

    The name is the function's, the description its docstring's first paragraph, and the
    parameters come from its type hints (``str``, ``int``, ``float``, ``bool``, lists, dicts,
    ``Optional``, ``Literal`` and enums) with the descriptions of an ``Args:`` section. A
    parameter annotated :class:`ToolCall` gets the call's context (member, now) instead.
    """

    def make(f: Callable[..., Any]) -> Tool:
        doc = inspect.getdoc(f) or ""
        summary = doc.split("\n\n", 1)[0].strip()
        return Tool(
            name=name or f.__name__,
            description=description or summary or f.__name__,
            parameters=parameters if parameters is not None else schema_of(f),
            func=f,
            changes_state=changes_state,
            describe=describe,
        )

    return make(func) if func is not None else make


_ARG = re.compile(r"^\s{2,}(\w+)(?:\s*\([^)]*\))?:\s*(.+)$")


def _arg_docs(doc: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    in_args = False
    for line in doc.splitlines():
        if line.strip() in ("Args:", "Arguments:", "Parameters:"):
            in_args = True
            continue
        if in_args:
            match = _ARG.match(line)
            if match:
                out[match.group(1)] = match.group(2).strip()
            elif line.strip() and not line.startswith(" "):
                in_args = False
    return out


def _json_type(tp: Any) -> Dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union:
        inner = [a for a in args if a is not type(None)]
        return _json_type(inner[0]) if len(inner) == 1 else {}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, List):
        return {"type": "array", "items": _json_type(args[0]) if args else {}}
    if origin in (dict, Dict) or tp is dict:
        return {"type": "object"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array"}
    if tp in simple:
        return {"type": simple[tp]}
    return {}


def _is_context(tp: Any) -> bool:
    if typing.get_origin(tp) is Union:
        return ToolCall in typing.get_args(tp)
    return tp is ToolCall


def schema_of(func: Callable[..., Any]) -> Dict[str, Any]:
    """The JSON schema of ``func``'s parameters, from its type hints and docstring."""
    hints = typing.get_type_hints(func)
    docs = _arg_docs(inspect.getdoc(func) or "")
    properties: Dict[str, Any] = {}
    required: List[str] = []
    for param in inspect.signature(func).parameters.values():
        tp = hints.get(param.name, Any)
        if _is_context(tp) or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        prop = _json_type(tp)
        if param.name in docs:
            prop["description"] = docs[param.name]
        properties[param.name] = prop
        optional = typing.get_origin(tp) is Union and type(None) in typing.get_args(tp)
        if param.default is inspect.Parameter.empty and not optional:
            required.append(param.name)
    return {"type": "object", "properties": properties, "required": required}


def _context_param(func: Callable[..., Any]) -> Optional[str]:
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        return None
    for name, tp in hints.items():
        if _is_context(tp):
            return name
    return None


def native_callable(
    func: Callable[..., Any],
) -> Callable[[Dict[str, Any], Optional[asyncio.AbstractEventLoop]], str]:
    """What fa calls: ``{"arguments", "member", "now"}`` and the awaiting loop in, text for the
    model out."""
    context = _context_param(func)

    def call(payload: Dict[str, Any], loop: Optional[asyncio.AbstractEventLoop]) -> str:
        arguments = payload.get("arguments")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise InvalidInput(f"arguments must be an object, not {json.dumps(arguments)}")
        kwargs = dict(arguments)
        if context is not None:
            kwargs[context] = ToolCall(
                member=build(Member, payload["member"]), now=convert(datetime, payload["now"])
            )
        result = run_sync(loop, func, **kwargs)
        return result if isinstance(result, str) else json.dumps(result, default=str)

    return call
