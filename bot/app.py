"""Composition root: the one place that builds storage, services, channels and wires them.

Nothing is created at import time; ``App`` is built from a ``Settings`` object and can be
started and stopped many times in one process (tests do exactly that).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.channels.console import ConsoleChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.web import FileLinks, WebServer
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_oa import ZaloOaChannel
from bot.config import Settings
from bot.core import Channel, ChannelUnavailable, Clock, HasWebRoutes, Pacer, Router, SystemClock
from bot.core.coordination import AlwaysLeader, Leadership
from bot.core.heap import settle_heap, unsettle_heap
from bot.demo import DEMO_REMINDERS, demo_period
from bot.forms.spec import load_specs
from bot.scheduler import Scheduler
from bot.services.calendar import WorkCalendar
from bot.services.coordination import PgChatLock, PgLeadership, leader_key
from bot.services.outbox import OutboxDispatcher
from bot.services.registry import Services
from bot.services.reports import PeriodView
from bot.services.send_budget import SharedSendBudget, budget_key
from bot.services.zalo_invites import ZaloInvites
from bot.services.zalo_oa import OaContactBook, OaTokenStore, TemplateFallback, Templates
from bot.web import Dashboard
from bot.web.dashboard import DashboardSettings
from handlers import build_router
from handlers.context import Handler
from handlers.context import Settings as HandlerSettings
from handlers.dispatch import Dispatcher
from storage.db import create_engine, is_sqlite, session_factory
from storage.locks import AdvisoryLocks
from storage.migrate import upgrade
from storage.runlock import OutboxLock
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

DEMO_UNITS = Path(__file__).with_name("data") / "demo_units.csv"
STATUS_REPORTS_SECONDS = 2.0
"""How often the admins' delivery-status messages are brought up to date."""


class App:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = create_engine(settings.database_url)
        self.uow = UnitOfWorkFactory(session_factory(self.engine))
        self.outboxes: dict[str, OutboxDispatcher] = {}
        self._outbox_lock: OutboxLock | None = None
        self.services = Services.build(
            self.uow, self.clock, forms=load_specs(settings.forms_dir or None), files_dir=Path(settings.files_dir),
            on_queued=self.wake_outboxes, office_name=settings.office_name, timezone=settings.timezone,
            calendar=WorkCalendar(settings.timezone, settings.quiet_hours, settings.rest_days,
                                  holidays=settings.holiday_dates),
            overdue_days=settings.overdue_days, escalate_after_days=settings.escalate_after_days,
            digest_time=settings.digest_time, dashboard_url=settings.dashboard_url)
        self.scheduler: Scheduler | None = None
        self.file_links: FileLinks | None = None
        if settings.public_base_url:
            secret = hashlib.sha256(f"file-links:{settings.zalo_bot_token}:{settings.telegram_bot_token}:"
                                    f"{settings.webhook_secret}".encode()).digest()
            self.file_links = FileLinks(Path(settings.files_dir), settings.public_base_url, secret)
        self.router: Router[Handler] = build_router()
        # Replicas agree through PostgreSQL advisory locks: who polls, who sets the webhook,
        # whose turn a chat is. SQLite means one process; the core's defaults then suffice.
        self.locks = None if is_sqlite(settings.database_url) else AdvisoryLocks(settings.database_url)
        self.dispatcher = Dispatcher(
            self.router, self.services,
            HandlerSettings(office_name=settings.office_name, timezone=settings.timezone),
            ledger=self.services.chat_memory.ledger,
            chat_lock=PgChatLock(self.locks) if self.locks else None,
        )
        self.channels: list[Channel] = []
        self.zalo_invites = ZaloInvites(self.uow, self.clock, self.services.members, on_queued=self.wake_outboxes,
                                        office_name=settings.office_name)
        self.oa_tokens: OaTokenStore | None = None
        self.oa_fallback: TemplateFallback | None = None
        if settings.zalo_oa_app_id:
            self.oa_tokens = OaTokenStore(self.uow, self.clock, settings.zalo_oa_app_id,
                                          settings.zalo_oa_refresh_token,
                                          row_lock=not is_sqlite(settings.database_url))
            self.oa_fallback = TemplateFallback(self.uow, Templates(
                announcement=settings.zalo_oa_template_announcement, reminder=settings.zalo_oa_template_reminder,
                notice=settings.zalo_oa_template_notice, digest=settings.zalo_oa_template_digest,
                invite=settings.zalo_oa_template_invite), settings.office_name, timezone=settings.timezone)
        self.web: WebServer | None = None
        self._background: list[asyncio.Task[None]] = []

    def wake_outboxes(self) -> None:
        for outbox in self.outboxes.values():
            outbox.wake()

    async def prepare(self, *, demo: bool = False) -> bool:
        """Migrate the schema; with ``demo``, load the sample units into an empty database.

        True when demo units were loaded just now (the database is a fresh demo one).
        """
        before, after = await upgrade(self.engine)
        if before != after:
            log.info("database upgraded %s → %s", before or "(empty)", after)
        if demo and await self.services.units.count() == 0:
            report = await self.services.units.import_file(DEMO_UNITS, actor="demo")
            log.info("loaded %d demo units from %s", len(report.created), DEMO_UNITS.name)
            return True
        return False

    async def open_demo_period(self) -> PeriodView:
        """In a fresh demo database, open the period due next for every unit. Not announced:
        no officer's chat is bound yet, the announcement would reach nobody."""
        tz = self.settings.timezone
        demo = demo_period(self.clock.now(), tz)
        period = await self.services.periods.open(
            form_id=demo.form_id, label=demo.label, due_at=demo.due_at(ZoneInfo(tz)), cutoff=demo.cutoff,
            audience={"all": True}, remind_offsets=DEMO_REMINDERS, actor="demo", announce=False)
        log.info("opened demo period #%d %s", period.id, period.label)
        return period

    def leadership(self, channel: str, token: str) -> Leadership:
        """The lock for polling (and setting the webhook of) one bot on one platform."""
        if self.locks is None:
            return AlwaysLeader()
        return PgLeadership(self.locks, leader_key(channel, token))

    def telegram_channel(self) -> TelegramChannel:
        s = self.settings
        return TelegramChannel(
            s.telegram_bot_token, api_base_url=s.telegram_api_base_url, mode=s.telegram_mode,
            webhook_url=s.webhook_url, webhook_secret=s.webhook_secret,
            pacer=Pacer(s.telegram_rate, group_per_minute=s.telegram_group_per_minute,
                        shared=self._shared_budget("telegram", s.telegram_bot_token)),
            reply_deadline=s.reply_retry_seconds,
            leadership=self.leadership("telegram", s.telegram_bot_token),
        )

    def zalo_channel(self) -> ZaloChannel:
        s = self.settings
        return ZaloChannel(
            s.zalo_bot_token, api_base_url=s.zalo_api_base_url, mode=s.zalo_mode, webhook_url=s.zalo_webhook_url,
            webhook_secret=s.zalo_webhook_secret,
            pacer=Pacer(s.zalo_rate, per_chat_per_second=None, group_per_minute=None,
                        shared=self._shared_budget("zalo", s.zalo_bot_token)),
            on_unavailable=self._channel_unavailable, link_for=self.file_links.link if self.file_links else None,
            reply_deadline=s.reply_retry_seconds,
            menus=self.services.chat_memory.menus,
            inbox=self.services.chat_memory.inbox,
            leadership=self.leadership("zalo", s.zalo_bot_token),
        )

    def zalo_oa_channel(self) -> ZaloOaChannel:
        s = self.settings
        assert self.oa_tokens is not None
        return ZaloOaChannel(
            app_id=s.zalo_oa_app_id, app_secret=s.zalo_oa_app_secret, secret_key=s.zalo_oa_secret_key,
            tokens=self.oa_tokens, contacts=OaContactBook(self.uow, self.clock),
            api_base_url=s.zalo_oa_api_base_url, oauth_base_url=s.zalo_oa_oauth_base_url,
            business_base_url=s.zalo_oa_business_base_url, webhook_path=s.zalo_oa_webhook_path, oa_id=s.zalo_oa_id,
            pacer=Pacer(s.zalo_oa_rate, per_chat_per_second=None, group_per_minute=None,
                        shared=self._shared_budget("zalo_oa", s.zalo_oa_app_id)),
            clock=self.clock, timezone=s.timezone, reply_deadline=s.reply_retry_seconds,
            on_unavailable=self._channel_unavailable, link_for=self.file_links.link if self.file_links else None,
            menus=self.services.chat_memory.menus, inbox=self.services.chat_memory.inbox,
            template_mode=s.zalo_oa_template_mode,
        )

    def _outbox(self, ch: Channel, only_chat: str | None = None) -> OutboxDispatcher:
        """The outbox of one channel; the OA's falls back to templates outside the 7-day window."""
        fallback = self.oa_fallback if ch.name == ZaloOaChannel.name else None
        return OutboxDispatcher(self.uow, self.clock, ch, only_chat=only_chat, fallback=fallback)

    def _shared_budget(self, channel: str, token: str) -> SharedSendBudget | None:
        """Several replicas share one platform limit; on SQLite there is only one process."""
        if is_sqlite(self.settings.database_url):
            return None
        return SharedSendBudget(self.uow, budget_key(channel, token))

    async def _channel_unavailable(self, reason: str) -> None:
        """A platform refused our token: log loudly and tell the admins on their other channels."""
        log.error("channel unavailable: %s", reason)
        await self.services.notices.to_admins(
            f"⚠️ Kênh nhắn tin gặp sự cố và đã dừng: {reason}. Đề nghị kiểm tra mã truy cập (token) của bot.",
            kind="alert")

    def configured_channels(self) -> list[Channel]:
        s = self.settings
        wanted: list[Channel] = []
        if s.telegram_bot_token:
            wanted.append(self.telegram_channel())
        if s.zalo_bot_token:
            wanted.append(self.zalo_channel())
        if s.zalo_oa_app_id:
            wanted.append(self.zalo_oa_channel())
        return wanted

    async def start_outboxes_only(self) -> None:
        """For the CLI: send what is queued without receiving updates (a running bot may poll)."""
        for ch in self.configured_channels():
            await ch.start(self.dispatcher, receive=False)
            self.dispatcher.add_channel(ch)
            self.channels.append(ch)
            self.outboxes[ch.name] = self._outbox(ch)
        await self._start_outboxes(release_abandoned=False)

    def dashboard(self) -> Dashboard:
        s = self.settings
        return Dashboard(self.services, DashboardSettings(base_url=s.dashboard_url, timezone=s.timezone,
                                                          office_name=s.office_name),
                         invite_link=self._invite_link)

    def _invite_link(self, code: str) -> str | None:
        """The first running channel's deep link for an invite (Telegram has them, Zalo not)."""
        for ch in self.dispatcher.channels.values():
            link = ch.invite_link(code)
            if link:
                return link
        return None

    async def start(self, *, console: ConsoleChannel | None = None, scheduler: bool = True,
                    platforms: bool = True, dashboard: bool = False) -> None:
        """Start every configured channel, and the web server if the dashboard or a webhook
        or file links need it.

        ``platforms=False`` is a console session beside a running bot: only its terminal, no
        polling or webhooks of its own (a second poller of one token is refused by Telegram)."""
        s = self.settings
        wanted = self.configured_channels() if platforms else []
        if console is not None:
            console.menus = self.services.chat_memory.menus  # the menu on screen outlives the process
            wanted.append(console)
        needs_web_for_platforms = bool((s.telegram_bot_token and s.telegram_mode == "webhook") or (
            s.zalo_bot_token and s.zalo_mode == "webhook") or self.file_links is not None or s.zalo_oa_app_id)
        needs_web = needs_web_for_platforms or dashboard
        if needs_web:
            self.web = WebServer(s.listen_host, s.listen_port)
            if dashboard:
                self.dashboard().register_routes(self.web.app)
            if self.file_links is not None:
                self.file_links.register_routes(self.web.app)
            for ch in wanted:
                if isinstance(ch, HasWebRoutes):
                    ch.register_routes(self.web.app)
            try:
                await self.web.start()
            except OSError as exc:
                if not dashboard or needs_web_for_platforms:
                    raise
                # Only the dashboard wanted this port (another process holds it): the chat
                # channels work without it, so say so and go on.
                log.error("dashboard not served: cannot listen on %s:%s (%s); set SERVER_LISTEN",
                          s.listen_host, s.listen_port, exc)
                await self.web.stop()
                self.web = None
        for ch in wanted:
            self.dispatcher.add_channel(ch)
            try:
                await ch.start(self.dispatcher)
            except ChannelUnavailable as exc:
                if not isinstance(ch, ZaloOaChannel):
                    raise
                # The OA's refresh token was refused: the admins were told on their other
                # channels; the bot runs on without the OA, its queue waits for a new token.
                self.dispatcher.channels.pop(ch.name, None)
                log.error("channel zalo_oa not started: %s", exc)
                continue
            self.channels.append(ch)
            # A console process delivers only its own chat: another terminal plays another person.
            only_chat = ch.chat_id if isinstance(ch, ConsoleChannel) else None
            self.outboxes[ch.name] = self._outbox(ch, only_chat)
            log.info("channel %s up", ch.name)
        await self._start_outboxes(release_abandoned=True)
        # The status messages are refreshed by every process that sends (a console beside the
        # running bot too); the tick only where ``scheduler`` asks for it.
        self.scheduler = Scheduler()
        self.scheduler.add("status-reports", STATUS_REPORTS_SECONDS,
                           lambda: self.services.status_reports.refresh(self.dispatcher.channels))
        if scheduler:
            self.scheduler.add("tick", s.scheduler_interval, self.services.ticks.run)
        self.scheduler.start()

    async def _start_outboxes(self, *, release_abandoned: bool) -> None:
        """Start the outboxes built; on SQLite first take the file's outbox lock.

        Rows a dead process left 'sending' are released at once only when this process can
        prove that no other one is sending from the same database: on SQLite, when it gets
        the outbox lock exclusively (no ``run``, ``console`` or ``announce`` is sending),
        before any of its own outboxes starts. Otherwise — a CLI beside a running bot, or
        PostgreSQL, where replicas are normal and nobody can prove it — such rows go out
        when their lease runs out (their holder renews it while it lives).
        """
        lock = self._outbox_lock or OutboxLock.for_url(self.settings.database_url)
        if lock is not None and self._outbox_lock is None:
            try:
                if release_abandoned and lock.try_alone():
                    for outbox in self.outboxes.values():
                        await outbox.release_abandoned()
            finally:
                await lock.share()
            self._outbox_lock = lock
        for outbox in self.outboxes.values():
            await outbox.start()

    async def stop(self) -> None:
        """Stop everything; each step is bounded (``STOP_STEP_SECONDS``), so a stuck request or
        database session can delay a stop but never hang it: what was not finished is left to
        the leases and the inbox, as after a crash."""
        if self.scheduler:
            await self.scheduler.stop()
            self.scheduler = None
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._background.clear()
        for outbox in self.outboxes.values():
            await _bounded(outbox.stop(), f"stopping outbox[{outbox.channel.name}]")
        self.outboxes.clear()
        if self._outbox_lock is not None:
            self._outbox_lock.release()
            self._outbox_lock = None
        for ch in reversed(self.channels):
            await _bounded(ch.stop(), f"stopping channel {ch.name}")
        self.channels.clear()
        if self.web:
            await _bounded(self.web.stop(), "stopping the web server")
            self.web = None
        if self.locks is not None:
            await _bounded(self.locks.dispose(), "closing the lock connections")
        await self.engine.dispose()

    async def run_forever(self, console: ConsoleChannel | None = None, *, platforms: bool = True,
                          dashboard: bool = False) -> None:
        """Serve until interrupted (or until the console's input ends, if it is alone)."""
        await self.start(console=console, scheduler=platforms, platforms=platforms, dashboard=dashboard)
        settle_heap()
        try:
            if console is not None and len(self.channels) == 1:
                await console.closed.wait()
                if self.web is not None and not console.quit_asked and not _interactive():
                    # Started as a service (no terminal: input ended at once): the dashboard
                    # and the scheduler go on until the process is stopped.
                    log.info("no terminal: serving the dashboard at %s until stopped", self.settings.dashboard_url)
                    await asyncio.Event().wait()
            else:
                await asyncio.Event().wait()
        finally:
            await self.stop()
            unsettle_heap()


STOP_STEP_SECONDS = 15.0


def _interactive() -> bool:
    import sys

    return bool(sys.stdin) and sys.stdin.isatty()


async def _bounded(step: Awaitable[None], what: str) -> None:
    try:
        await asyncio.wait_for(step, STOP_STEP_SECONDS)
    except TimeoutError:
        log.warning("%s took over %.0fs; going on without it", what, STOP_STEP_SECONDS)
    except Exception:
        log.exception("%s failed", what)
