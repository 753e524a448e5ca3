"""The reference Telegram bot, run from Python with the same configuration as ``family-bot``."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from urllib.parse import parse_qsl
from typing import Mapping, Optional, Union

from . import _native
from .assistant import Assistant, Model
from .clock import ManualClock
from .records import Household, Member, TelegramLogin, build, instant
from .scheduler import Scheduler
from .store import Store

__all__ = ["Bot", "verify_telegram_login"]


def verify_telegram_login(
    answer: Union[str, Mapping[str, str]],
    bot_token: str,
    *,
    now: Optional[datetime] = None,
    max_age: float = 86400.0,
) -> TelegramLogin:
    """Checks a Telegram Login Widget answer (its query string or fields) for web sign-in: the
    signature (HMAC-SHA256 keyed with SHA-256 of the bot token, compared in constant time) and
    an ``auth_date`` at most ``max_age`` seconds old. Raises :class:`Unauthorized` otherwise."""
    fields = dict(parse_qsl(answer.lstrip("?"), keep_blank_values=True)) if isinstance(answer, str) else dict(answer)
    when = now if now is not None else datetime.now(timezone.utc)
    return build(TelegramLogin, _native.verify_telegram_login(fields, bot_token, instant(when), max_age))

PathLike = Union[str, "os.PathLike[str]"]


class Bot:
    """The family bot: on Telegram when ``FA_TELEGRAM_TOKEN`` is set, else a chat on this
    terminal. ``await Bot.prepare(...)`` opens the store and vault and sets up the household;
    ``await bot.run()`` serves until :meth:`stop` (or until the task is cancelled)."""

    def __init__(self, native: _native.Bot) -> None:
        self._native = native
        summary = native.summary()
        self.household: Household = build(Household, summary["household"])
        self.owner: Member = build(Member, summary["owner"])

    @staticmethod
    async def prepare(
        config: Optional[PathLike] = None,
        *,
        env: Optional[Mapping[str, str]] = None,
        model: Optional[Model] = None,
        data_dir: Optional[PathLike] = None,
        assistant: Optional[Assistant] = None,
        scheduler: Optional[Scheduler] = None,
        clock: Optional[ManualClock] = None,
    ) -> Bot:
        """Reads ``config`` (TOML; see ``docs/family-bot.example.toml``) and the ``FA_*``
        variables of ``env`` (default: the process environment; the master key always comes
        from the process environment or the data directory's key file). ``model`` replaces the
        configured one; ``assistant`` lends its tools (Python ones included) and ``scheduler``
        its job kinds; ``clock`` drives the bot's scheduler, limits and retries in tests (rows are
        still stamped by the store's clock)."""
        native = await _native.Bot.prepare(
            None if config is None else os.fspath(config),
            None if env is None else dict(env),
            None if model is None else model._native,
            None if data_dir is None else os.fspath(data_dir),
            None if clock is None else clock._native,
        )
        bot = Bot(native)
        if assistant is not None:
            bot.use_tools(assistant)
        if scheduler is not None:
            bot.use_job_kinds(scheduler)
        return bot

    def use_tools(self, assistant: Assistant) -> None:
        """Answers with ``assistant``'s tools, its Python tools included (before :meth:`run`)."""
        self._native.use_tools(assistant._native)

    def use_job_kinds(self, scheduler: Scheduler) -> None:
        """Runs ``scheduler``'s job kinds, its Python kinds included (before :meth:`run`)."""
        self._native.use_job_kinds(scheduler._native)

    @property
    def store(self) -> Store:
        """The bot's store, e.g. to add members before running."""
        return Store(self._native.store())

    async def run(self) -> None:
        """Serves until :meth:`stop`; then stops taking updates and lets turns finish."""
        await self._native.run()

    def stop(self) -> None:
        self._native.stop()

    def __repr__(self) -> str:
        return f"Bot(household={self.household.name!r})"


