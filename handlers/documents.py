"""Sending the official outputs in chat: a unit's report as the Word copy to sign (after "Gửi
báo cáo", and to the office from a submission), the office's summary and the TT 02/2023 tables
(from /xuat). The documents themselves are built by ``services.outputs``."""

from __future__ import annotations

import logging

from bot.core import Attachment, Outbound
from bot.services.reports import PeriodError
from handlers.context import Ctx

__all__ = ["DOCX", "XLSX", "send_office_document", "send_unit_report"]

log = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def send_unit_report(ctx: Ctx, submission_id: int, *, for_signing: bool) -> None:
    """The submission as a Word document; ``for_signing``: sent to the officer who just
    submitted, worded as the copy to print and sign — before the receipt, and never in its way:
    the report is already stored, so a document that cannot be built is logged, not shown."""
    if for_signing:
        try:
            await _send_unit_report(ctx, submission_id, for_signing=True)
        except Exception:  # a broken document must not keep the receipt from the officer
            log.exception("unit report DOCX for submission %s not sent", submission_id)
        return
    await _send_unit_report(ctx, submission_id, for_signing=False)


async def _send_unit_report(ctx: Ctx, submission_id: int, *, for_signing: bool) -> None:
    sub = await ctx.services.reports.submission_by_id(submission_id)
    got = await ctx.services.outputs.unit_report_docx(submission_id)
    if sub is None or got is None:
        await ctx.say("stale_button")
        return
    period = await ctx.services.reports.period(sub.period_id)
    name, data = got
    text = ctx.text("unit_docx_ready", for_signing=for_signing, period_label=period.label if period else "",
                    unit_name=sub.unit.name, office=ctx.services.office_name)
    await ctx.reply(Outbound(text=text, documents=(Attachment(name=name, mime=DOCX, size=len(data), content=data),)))


async def send_office_document(ctx: Ctx, period_id: int, kind: str) -> None:
    """``kind`` "summary" (the draft summary, DOCX) or "tt02" (tables 0601–0603, XLSX)."""
    outputs = ctx.services.outputs
    try:
        name, data = await (outputs.summary_docx(period_id) if kind == "summary" else outputs.tt02_xlsx(period_id))
        period = await ctx.services.reports.period(period_id)
    except PeriodError as exc:
        await ctx.say("failed", message=str(exc))
        return
    mime = DOCX if kind == "summary" else XLSX
    text = ctx.text("office_document_ready", kind=kind, period_label=period.label if period else "")
    await ctx.reply(Outbound(text=text, documents=(Attachment(name=name, mime=mime, size=len(data), content=data),)))
