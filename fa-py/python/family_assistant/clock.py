"""A clock that moves only when told to: drive reminders in tests without sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta

from . import _native
from .records import _datetime, instant

__all__ = ["ManualClock"]


class ManualClock:
    """Stands at ``start`` until moved. Pass it to :meth:`Store.open`; the scheduler and the
    assistant on that store read it too."""

    def __init__(self, start: datetime) -> None:
        self._native = _native.ManualClock(instant(start))

    def now(self) -> datetime:
        return _datetime(self._native.now())

    def set(self, to: datetime) -> None:
        self._native.set(instant(to))

    def advance(self, by: timedelta) -> None:
        self._native.advance(by.total_seconds())

    def __repr__(self) -> str:
        return f"ManualClock({self.now().isoformat()})"
