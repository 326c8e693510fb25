"""How a reminder reads: which report, the deadline, how far the unit's draft is, and — once
it is overdue long enough — whom at the office to call. One wording for the scheduler and for
"Nhắc ngay"."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.core import Clock
from bot.forms.engine import FormContext, FormEngine
from bot.forms.spec import FormSpec
from bot.rendering.buttons import ReportForPeriod
from bot.rendering.templates import render
from bot.services.notices import Wordings
from bot.services.reminders import DueReminder
from bot.services.reports import PeriodView, period_view

ChoiceRows = list[list[tuple[str, str]]]
WordingCache = dict[tuple[object, ...], Wordings]


def continue_choices(period_id: int) -> ChoiceRows:
    """The button under every reminder: back into the unit's report."""
    return [[("▶️ Tiếp tục báo cáo", ReportForPeriod(period=period_id).pack())]]


class ReminderWording:
    def __init__(self, clock: Clock, forms: dict[str, FormSpec], *, office_name: str = "Phòng Nội vụ",
                 timezone: str = "Asia/Ho_Chi_Minh", escalate_after_days: int = 2) -> None:
        self.clock = clock
        self.forms = forms
        self.office_name = office_name
        self.timezone = timezone
        self.escalate_after_days = escalate_after_days

    def form_context(self, period: PeriodView, unit_kind: str | None, *,
                     registration: dict[str, Any] | None = None, in_group: bool | None = None) -> FormContext:
        """What the form's conditions see for a unit of this period: its kind, today, the year
        and, when the caller read them (a draft does), the unit's registration for that year
        and whether it belongs to a cụm/khối."""
        today = self.clock.now().astimezone(ZoneInfo(self.timezone)).date()
        year = period.year
        return FormContext(unit_kind=unit_kind, today=today, cutoff=period.cutoff, default_year=year,
                           report_year=year, office_name=self.office_name, registration=registration,
                           in_group=in_group)

    def text(self, period: PeriodView, unit_kind: str | None, draft_answers: dict[str, Any] | None, *,
             overdue_days: int = 0, admin_names: str = "", cache: WordingCache | None = None,
             in_group: bool | None = None) -> Wordings:
        """The reminder a unit gets, in both forms (press a button / type the words: the
        unit's chats may be on Telegram and on Zalo); with ``cache``, identical texts (same
        period, kind, progress) render once in a tick of thousands."""
        progress = None
        if draft_answers is not None:
            progress = FormEngine(self.forms[period.form_id]).progress(
                draft_answers, self.form_context(period, unit_kind, in_group=in_group))
        admins = admin_names if overdue_days >= self.escalate_after_days else ""
        key = (period.id, overdue_days, progress, admins)
        text = cache.get(key) if cache is not None else None
        if text is None:
            text = Wordings(*(render("reminder", p=period, progress=progress, now=self.clock.now(),
                                     kind="overdue" if overdue_days else "before", admins=admins,
                                     office=self.office_name, buttons=buttons) for buttons in (True, False)))
            if cache is not None:
                cache[key] = text
        return text

    def compose(self, due: DueReminder, admin_names: str,
                cache: WordingCache | None = None) -> tuple[Wordings, ChoiceRows]:
        """Text and button of one claimed reminder."""
        period = period_view(due.period)
        text = self.text(period, due.unit.kind, due.draft_answers, overdue_days=due.overdue_days,
                         admin_names=admin_names, cache=cache, in_group=due.in_group)
        return text, continue_choices(period.id)
