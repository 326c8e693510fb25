"""Why a send failed, in terms every channel shares.

Adapters translate platform errors into exactly one of these, and the outbox decides
what to do from the class alone: wait, stop sending, follow the new address, give up, retry.
"""

from __future__ import annotations


class SendError(Exception):
    """Base class of every classified send failure."""

    reason: str
    parts_sent: int = 0
    """For a message of several parts: how many had gone out before this failure."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(SendError):
    """The platform asked us to slow down; nothing should be sent for ``retry_after`` s."""

    def __init__(self, retry_after: float, reason: str = "") -> None:
        super().__init__(reason or f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class RecipientBlocked(SendError):
    """The person blocked the bot, left, or cannot be reached: stop sending there."""


class AddressChanged(SendError):
    """The chat moved (a Telegram group became a supergroup): resend to ``new_chat_id``."""

    def __init__(self, new_chat_id: str, reason: str = "") -> None:
        super().__init__(reason or f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class InvalidMessage(SendError):
    """The platform refused this message as such: retrying it unchanged cannot help."""


class Retryable(SendError):
    """A transient failure (network, 5xx): try again later."""


class ChannelUnavailable(SendError):
    """The channel itself is unusable (revoked token): nothing can be sent until fixed."""
