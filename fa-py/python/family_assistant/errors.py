"""Exceptions raised by fa, rooted at :class:`FaError`.

Each class mirrors an error kind of the Rust library; catch the class for what you want to do
about it (fix the input, retry later, tell an operator). The message says what to do.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "FaError",
    "InvalidInput",
    "NotFound",
    "Conflict",
    "Unavailable",
    "RateLimited",
    "Unauthorized",
    "Incompatible",
    "Corrupt",
    "CryptoError",
    "ConfigurationError",
    "InternalError",
    "DeliveryFailed",
]


class FaError(Exception):
    """Anything that went wrong in fa. ``kind`` names the class of error."""

    kind: str = "internal"

    def __init__(self, message: str, retry_after: Optional[float] = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class InvalidInput(FaError, ValueError):
    """A value passed in is not acceptable; fix it and try again. Raise it from a tool to tell
    the model its arguments were wrong."""

    kind = "invalid_input"


class NotFound(FaError, LookupError):
    """The thing does not exist (in this household, or for this member)."""

    kind = "not_found"


class Conflict(FaError):
    """It already exists, or it is past the point where this change applies."""

    kind = "conflict"


class Unavailable(FaError):
    """Temporary: the database, the model or Telegram cannot be reached; retry later."""

    kind = "unavailable"


class RateLimited(Unavailable):
    """The other side asked to wait: ``retry_after`` seconds, when it said."""

    kind = "rate_limited"


class Unauthorized(FaError):
    """A token or key was refused (Telegram bot token, model server API key)."""

    kind = "unauthorized"


class Incompatible(FaError):
    """The database belongs to another version of fa or is not an fa database."""

    kind = "incompatible"


class Corrupt(FaError):
    """Stored data is damaged."""

    kind = "corrupt"


class CryptoError(FaError):
    """A key or a sealed secret is wrong or missing."""

    kind = "crypto"


class ConfigurationError(FaError):
    """Configuration is missing or malformed; the message names the setting."""

    kind = "configuration"


class InternalError(FaError):
    """Anything else; details are in the logs."""

    kind = "internal"


class DeliveryFailed(FaError):
    """Raise it from a notifier: the message was not delivered. ``permanent=True`` gives up at
    once; ``retry_after`` asks for a retry after that many seconds; otherwise fa retries with
    backoff."""

    kind = "delivery_failed"

    def __init__(
        self, message: str, retry_after: Optional[float] = None, permanent: bool = False
    ) -> None:
        super().__init__(message, retry_after)
        self.permanent = permanent
