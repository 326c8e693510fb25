"""The official outputs of a period: each unit's report and the office's summary as Word
documents, and the TT 02/2023 statistics tables — built from the answers the bot already holds,
so nobody retypes them. This module gathers the data (periods, submissions, units, the previous
year's period) and hands plain values to the pure builders in :mod:`bot.documents`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core import Clock
from bot.documents.summary import SummaryData, SummaryUnit, build_summary
from bot.documents.tt02_xlsx import TT02Unit, build_tt02_workbook
from bot.documents.unit_report import UnitReportData, build_unit_report
from bot.forms.spec import FormSpec
from bot.services.reports import PeriodError, PeriodView, ReportService, SubmissionView, UnitState
from bot.services.views import UnitView
from storage.uow import UnitOfWorkFactory

__all__ = ["DOCX", "OfficialOutputs"]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _status(state: UnitState, sub: SubmissionView | None) -> str:
    """The summary's classes, by the export's rule: a submission counts unless it was returned."""
    if sub is None:
        return "missing"
    if state is UnitState.RETURNED:
        return "returned"
    return "late" if sub.late else "on_time"


@dataclass
class OfficialOutputs:
    uow: UnitOfWorkFactory
    reports: ReportService
    forms: dict[str, FormSpec]
    clock: Clock
    office_name: str = "Phòng Nội vụ"
    timezone: str = "Asia/Ho_Chi_Minh"

    def _spec(self, period: PeriodView) -> FormSpec:
        spec = self.forms.get(period.form_id)
        if spec is None:
            raise PeriodError(f"Không có mẫu báo cáo “{period.form_id}”.")
        return spec

    async def _parent_name(self, unit_id: int) -> str:
        async with self.uow() as uow:
            unit = await uow.units.get(unit_id)
            if unit is None or unit.parent_id is None:
                return ""
            parent = await uow.units.get(unit.parent_id)
            return parent.name if parent else ""

    def _unit_data(self, period: PeriodView, sub: SubmissionView, parent_name: str) -> UnitReportData:
        return UnitReportData(spec=self._spec(period), unit_name=sub.unit.name, unit_kind=sub.unit.kind,
                              answers=sub.answers, year=period.year, office_name=self.office_name,
                              parent_name=parent_name, cutoff=period.cutoff)

    @staticmethod
    def unit_file_name(period: PeriodView, unit: UnitView) -> str:
        return f"BC_{_UNSAFE.sub('_', unit.code)}_ky{period.id}.docx"

    async def unit_report_docx(self, submission_id: int) -> tuple[str, bytes] | None:
        """(file name, DOCX) of one submission — what the officer gets after "Gửi báo cáo" as the
        copy to sign; None when there is no such submission."""
        sub = await self.reports.submission_by_id(submission_id)
        if sub is None:
            return None
        period = await self.reports.period(sub.period_id)
        if period is None:
            return None
        data = self._unit_data(period, sub, await self._parent_name(sub.unit.id))
        return self.unit_file_name(period, sub.unit), build_unit_report(data)

    async def unit_reports(self, period_id: int) -> list[tuple[str, bytes]]:
        """Every submitted report of a period as DOCX (returned ones too: the office may want
        to see what it sent back)."""
        period, rows = await self.reports.export_rows(period_id)
        parents: dict[int, str] = {}
        out = []
        for unit, _state, sub in rows:
            if sub is None:
                continue
            if unit.id not in parents:
                parents[unit.id] = await self._parent_name(unit.id)
            out.append((self.unit_file_name(period, unit), build_unit_report(self._unit_data(period, sub, parents[unit.id]))))
        return out

    async def previous_period(self, period: PeriodView) -> PeriodView | None:
        """The same form's period of the year before (the latest one, if several)."""
        same = [p for p in await self.reports.periods()
                if p.form_id == period.form_id and p.year == period.year - 1 and p.id != period.id]
        return max(same, key=lambda p: p.due_at, default=None)

    async def _summary_units(self, period_id: int) -> tuple[PeriodView, list[SummaryUnit]]:
        period, rows = await self.reports.export_rows(period_id)
        return period, [SummaryUnit(code=u.code, name=u.name, groups=u.groups, status=_status(state, sub),
                                    answers=sub.answers if sub else {}) for u, state, sub in rows]

    async def summary_docx(self, period_id: int) -> tuple[str, bytes]:
        """(file name, DOCX) of the office's draft summary of a period."""
        period, units = await self._summary_units(period_id)
        previous = await self.previous_period(period)
        prev_units = (await self._summary_units(previous.id))[1] if previous else None
        today = self.clock.now().astimezone(ZoneInfo(self.timezone)).date()
        data = SummaryData(spec=self._spec(period), period_label=period.label, year=period.year,
                           office_name=self.office_name, units=units, previous=prev_units,
                           previous_label=previous.label if previous else "", today=today)
        return f"tong_hop_ky{period.id}_{period.form_id}.docx", build_summary(data)

    async def tt02_xlsx(self, period_id: int) -> tuple[str, bytes]:
        """(file name, XLSX) of tables 0601–0603 from the period's counted submissions."""
        period, units = await self._summary_units(period_id)
        counted = [TT02Unit(code=u.code, name=u.name, groups=u.groups, answers=dict(u.answers))
                   for u in units if u.status in ("on_time", "late")]
        data = build_tt02_workbook(counted, office=self.office_name, year=period.year, scope=f"Tổng hợp – {period.label}")
        return f"tt02_ky{period.id}_{period.form_id}.xlsx", data
