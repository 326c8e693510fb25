"""Settings from the environment and ``.env``: one object, built once and passed down."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.services.calendar import parse_holidays

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/tdkt-bot.sqlite3"
DEFAULT_LISTEN = "127.0.0.1:8080"


class SettingsError(Exception):
    """A setting is wrong; the message is one line a person can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str = ""
    webhook_secret: str = ""
    server_listen: str = ""
    """host:port of our aiohttp server: the web dashboard, webhooks, file links, /healthz."""
    webhook_listen: str = ""  # the old name of SERVER_LISTEN, still honoured
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    office_name: str = "Phòng Nội vụ"
    public_base_url: str = ""
    files_dir: str = "./data/files"
    forms_dir: str = ""

    telegram_rate: float = Field(default=30.0, gt=0, le=30)
    telegram_group_per_minute: int = Field(default=20, gt=0, le=20)

    zalo_bot_token: str = ""
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_mode: Literal["polling", "webhook"] = "polling"
    zalo_webhook_url: str = ""
    zalo_webhook_secret: str = ""
    zalo_rate: float = Field(default=5.0, gt=0, le=50)

    # Zalo Official Account (the office's verified OA): see README "Zalo Official Account".
    zalo_oa_app_id: str = ""
    zalo_oa_app_secret: str = ""
    zalo_oa_secret_key: str = ""
    zalo_oa_refresh_token: str = ""
    """The first refresh token (from the OAuth consent); later ones live in the database."""
    zalo_oa_id: str = ""
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_oa_business_base_url: str = "https://business.openapi.zalo.me"
    zalo_oa_webhook_path: str = "/zalo-oa/webhook"
    zalo_oa_rate: float = Field(default=60.0, gt=0, le=66)
    """Requests a second; Zalo allows 4 000 a minute per app (66.6/s)."""
    zalo_oa_template_announcement: str = ""
    zalo_oa_template_reminder: str = ""
    zalo_oa_template_notice: str = ""
    zalo_oa_template_digest: str = ""
    zalo_oa_template_invite: str = ""
    zalo_oa_template_mode: Literal["", "development"] = ""
    reply_retry_seconds: float = Field(default=60.0, ge=0)
    """How long a direct reply is retried (429, network) before it is queued in the outbox."""

    scheduler_interval: int = Field(default=30, ge=1)
    quiet_hours: str = "21:00-07:00"
    rest_days: str = "sun"
    holidays: str = ""  # lunar holidays of the year, e.g. "14/02/2026-22/02/2026,27/04/2026"
    digest_time: str = "08:00"
    overdue_days: int = Field(default=5, ge=0)
    escalate_after_days: int = Field(default=2, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {v!r}") from exc
        return v

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str) -> str:
        if v.startswith("postgresql://") or v.startswith("postgres://"):
            v = "postgresql+asyncpg://" + v.split("://", 1)[1]
        if not (v.startswith("sqlite+aiosqlite://") or v.startswith("postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return v

    @field_validator("server_listen", "webhook_listen")
    @classmethod
    def _host_port(cls, v: str) -> str:
        if v and not re.fullmatch(r"[\w.\-\[\]:]+:\d{1,5}", v):
            raise ValueError("must be host:port, e.g. 0.0.0.0:8080")
        return v

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str) -> str:
        if v and not re.fullmatch(r"\d{1,2}:\d{2}-\d{1,2}:\d{2}", v):
            raise ValueError("must look like 21:00-07:00 (or be empty)")
        return v

    @field_validator("holidays")
    @classmethod
    def _holiday_dates(cls, v: str) -> str:
        parse_holidays(v)
        return v

    @property
    def holiday_dates(self) -> tuple[date, ...]:
        return parse_holidays(self.holidays)

    @field_validator("digest_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"\d{1,2}:\d{2}", v):
            raise ValueError("must look like 08:00")
        return v

    @field_validator("rest_days")
    @classmethod
    def _days(cls, v: str) -> str:
        days = {d.strip().lower() for d in v.split(",") if d.strip()}
        bad = days - {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
        if bad:
            raise ValueError(f"unknown day(s) {sorted(bad)}; use mon..sun")
        return ",".join(sorted(days))

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.telegram_bot_token and self.telegram_mode == "webhook":
            if not self.webhook_url.startswith("https://"):
                raise ValueError("TELEGRAM_MODE=webhook needs WEBHOOK_URL starting with https://")
            if not re.fullmatch(r"[A-Za-z0-9_\-]{8,256}", self.webhook_secret):
                raise ValueError("TELEGRAM_MODE=webhook needs WEBHOOK_SECRET: 8-256 of A-Z a-z 0-9 _ -")
        if self.zalo_bot_token and self.zalo_mode == "webhook":
            if not self.zalo_webhook_url.startswith("https://"):
                raise ValueError("ZALO_MODE=webhook needs ZALO_WEBHOOK_URL starting with https://")
            if not 8 <= len(self.zalo_webhook_secret) <= 256:
                raise ValueError("ZALO_MODE=webhook needs ZALO_WEBHOOK_SECRET of 8-256 characters")
        if self.zalo_oa_app_id:
            missing = [n for n in ("zalo_oa_app_secret", "zalo_oa_secret_key") if not getattr(self, n)]
            if missing:
                raise ValueError("ZALO_OA_APP_ID needs " + " and ".join(m.upper() for m in missing))
            if not self.zalo_oa_webhook_path.startswith("/"):
                raise ValueError("ZALO_OA_WEBHOOK_PATH must start with /")
        return self

    @property
    def listen(self) -> str:
        """SERVER_LISTEN, else the old WEBHOOK_LISTEN, else this machine only: the dashboard is
        not offered to the network unless someone decides so."""
        return self.server_listen or self.webhook_listen or DEFAULT_LISTEN

    @property
    def listen_host(self) -> str:
        return self.listen.rsplit(":", 1)[0]

    @property
    def listen_port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    @property
    def dashboard_url(self) -> str:
        """Where a browser reaches the dashboard: PUBLIC_BASE_URL behind a proxy, else the
        listen address (a wildcard host shown as this machine)."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = self.listen_host
        if host in ("0.0.0.0", "::", "[::]", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.listen_port}"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]).upper()
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{loc}: {msg}" if loc else msg)
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
