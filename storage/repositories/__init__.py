"""Repositories: the queries the services need, one class per aggregate, grouped by module.

They add, load and query; they never commit (the unit of work does). What they hand back
beyond ORM entities are typed read models (``storage.records``), never bare rows.
"""

from storage.repositories.announcements import AnnouncementRepository, AuditRepository, DeliveryRepository
from storage.repositories.audience import AudienceRepository, audience_filter
from storage.repositories.chat import (
    ChatMemoryRepository,
    ChatStateRepository,
    InboxRepository,
    SendBudgetRepository,
)
from storage.repositories.people import (
    BindingRepository,
    InviteFailureRepository,
    InviteRepository,
    MemberRepository,
    UnitRepository,
)
from storage.repositories.reminders import JobRepository, ReminderRepository
from storage.repositories.reports import ReportRepository

__all__ = [
    "AnnouncementRepository", "AudienceRepository", "AuditRepository", "BindingRepository", "ChatMemoryRepository", "ChatStateRepository",
    "DeliveryRepository", "InboxRepository", "InviteFailureRepository", "InviteRepository", "JobRepository", "MemberRepository",
    "ReminderRepository", "ReportRepository", "SendBudgetRepository", "UnitRepository", "audience_filter",
]
