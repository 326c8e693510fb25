"""Reaching a person outside a platform's reply window (Zalo Official Account).

A consultation message on a Zalo OA is refused seven days after the person last
interacted; what reaches them then is a pre-approved template (ZBS) sent by their Zalo
user id or by phone number. The channel knows the platform, the services know the person
and what the message was about; these types are what they hand each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.errors import SendError


class OutsideWindow(SendError):
    """The person cannot get a free-form message now (no interaction in 7 days, not a
    follower): only a template message can reach them, if there is one for this purpose."""


@dataclass(frozen=True, slots=True)
class TemplateRequest:
    """A template message standing in for a delivery: which approved template, its
    parameters (filled from the same data the chat text uses), the phone to fall back to."""

    purpose: str
    template_id: str
    data: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    tracking_id: str = ""


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An OAuth access token with the (single-use) refresh token that replaces it."""

    access_token: str
    refresh_token: str
    expires_at: datetime


class Route:
    """How a delivery reached (or failed to reach) its person, as the delivery report says."""

    CONSULTATION = "consultation"
    TEMPLATE_UID = "template_uid"
    TEMPLATE_PHONE = "template_phone"
    UNREACHABLE = "unreachable"
