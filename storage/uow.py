"""Unit of work: one transaction per use case, with the repositories bound to it.

``async with uow_factory() as uow: ...; await uow.commit()``. Leaving the block without
committing rolls back, so a failing handler never half-writes.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import repositories as r
from storage.dashboard_queries import DashboardQueries
from storage.errors import Conflict
from storage.web_sessions import WebSessionRepository
from storage.zalo_oa import ZaloOaRepository


class UnitOfWork:
    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        s = self.session
        self.units = r.UnitRepository(s)
        self.members = r.MemberRepository(s)
        self.bindings = r.BindingRepository(s)
        self.invites = r.InviteRepository(s)
        self.invite_failures = r.InviteFailureRepository(s)
        self.chat_states = r.ChatStateRepository(s)
        self.chat_memory = r.ChatMemoryRepository(s)
        self.inbox = r.InboxRepository(s)
        self.audit = r.AuditRepository(s)
        self.announcements = r.AnnouncementRepository(s)
        self.deliveries = r.DeliveryRepository(s)
        self.reports = r.ReportRepository(s)
        self.send_budgets = r.SendBudgetRepository(s)
        self.zalo_oa = ZaloOaRepository(s)
        self.dashboard = DashboardQueries(s)
        self.audiences = r.AudienceRepository(s)
        self.reminders = r.ReminderRepository(s)
        self.jobs = r.JobRepository(s)
        self.web = WebSessionRepository(s)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Closing ends the transaction (rolled back if not committed) without expiring what
        # was loaded, so plain reads may still be used after the block; on error roll back.
        try:
            if exc_type is not None:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        """Commit; a uniqueness rule lost to a concurrent writer raises our ``Conflict`` (the
        transaction is rolled back), so callers never need SQLAlchemy to tell that case apart."""
        try:
            await self.session.commit()
        except IntegrityError as exc:
            await self.session.rollback()
            raise Conflict(str(exc.orig)) from exc

    async def flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            await self.session.rollback()
            raise Conflict(str(exc.orig)) from exc


class UnitOfWorkFactory:
    """Callable that makes a fresh unit of work; what services receive."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)
