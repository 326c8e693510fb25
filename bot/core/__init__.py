"""Channel-neutral core: types, errors, the channel contract, routing, time."""

from bot.core.channel import Capabilities, Channel, HasWebRoutes, InboundSink, Part
from bot.core.clock import Clock, FixedClock, SystemClock, fmt_local
from bot.core.errors import (
    AddressChanged,
    ChannelUnavailable,
    InvalidMessage,
    RateLimited,
    RecipientBlocked,
    Retryable,
    SendError,
)
from bot.core.memory import InboundLedger, Inbox, MemoryLedger, Menu, MenuStore, Seen
from bot.core.pacing import Pacer, Priority, SharedBudget
from bot.core.reach import OutsideWindow, Route, TemplateRequest, TokenPair
from bot.core.retry import until_delivered
from bot.core.router import PerChatSerializer, Router
from bot.core.types import (
    Address,
    Attachment,
    Choice,
    Inbound,
    InboundDetails,
    InboundKind,
    Outbound,
    Sent,
    nfc,
    rows,
    strip_controls,
)

__all__ = [
    "Address",
    "AddressChanged",
    "Attachment",
    "Capabilities",
    "Channel",
    "ChannelUnavailable",
    "Choice",
    "Clock",
    "FixedClock",
    "HasWebRoutes",
    "Inbound",
    "InboundDetails",
    "InboundKind",
    "InboundLedger",
    "InboundSink",
    "Inbox",
    "InvalidMessage",
    "MemoryLedger",
    "Menu",
    "MenuStore",
    "Outbound",
    "OutsideWindow",
    "Pacer",
    "Part",
    "PerChatSerializer",
    "Priority",
    "RateLimited",
    "RecipientBlocked",
    "Retryable",
    "Route",
    "Router",
    "Seen",
    "SendError",
    "Sent",
    "SharedBudget",
    "SystemClock",
    "TemplateRequest",
    "TokenPair",
    "fmt_local",
    "nfc",
    "rows",
    "strip_controls",
    "until_delivered",
]
