"""Every button the bot shows, and what it sends back when pressed.

One class per kind of press (see ``bot.core.callbacks``): the first part of the payload
picks the handler module (``router.callback("td")``), the class says what was pressed,
and its fields can only hold values a row or a list of ours can have. The strings are the
ones already on people's screens and in stored Zalo menus, so they must not change:
``td:p:12``, ``bc:o:3:1``, ``ack:42``, ``kenh:set:zalo``.
"""

from __future__ import annotations

from bot.core.callbacks import CallbackData, Flag, Id, Index, Word, callback

# ---- /kenh: which channel the member's messages go to ------------------------------------


@callback("kenh", "set")
class ReceiveOn(CallbackData):
    channel: Word  # a channel name, or "all"


@callback("kenh", "link")
class LinkAnotherChannel(CallbackData):
    pass


# ---- /thongbao: composing an announcement ------------------------------------------------


@callback("an", "cancel")
class AnnounceCancel(CallbackData):
    pass


@callback("an", "type")
class AnnounceType(CallbackData):
    index: Index  # into handlers.broadcasts.DOC_TYPES


@callback("an", "skip")
class AnnounceSkipNumber(CallbackData):
    pass


@callback("an", "aud", "all")
class AnnounceToAll(CallbackData):
    pass


@callback("an", "aud", "g")
class AnnounceToGroup(CallbackData):
    index: Index  # into the group names shown, kept in the flow's data


@callback("an", "aud", "k")
class AnnounceToKind(CallbackData):
    kind: Word


@callback("an", "aud", "u")
class AnnounceToUnits(CallbackData):
    pass


@callback("an", "ack")
class AnnounceNeedsAck(CallbackData):
    required: Flag


@callback("an", "send")
class AnnounceSendNow(CallbackData):
    pass


@callback("an", "later")
class AnnounceSendLater(CallbackData):
    pass


# ---- announcements received and their delivery reports ------------------------------------


@callback("ack")
class Acknowledge(CallbackData):
    delivery: Id


@callback("rp")
class DeliveryReport(CallbackData):
    announcement: Id
    view: Word  # s: the report, m: units not reached, r: retry failed, a: remind to acknowledge


@callback("vb")
class ReopenAnnouncement(CallbackData):
    announcement: Id


# ---- the office's side of reporting (/tiendo, /xuat, /kybaocao) ---------------------------


@callback("td", "p")
class ShowProgress(CallbackData):
    period: Id


@callback("td", "x")
class ExportPeriod(CallbackData):
    period: Id


@callback("td", "w")
class OfficeSummary(CallbackData):
    """The office's summary report of a period, as Word."""

    period: Id


@callback("td", "t")
class StatisticsTables(CallbackData):
    """The TT 02/2023 statistics tables of a period, as XLSX."""

    period: Id


@callback("td", "d")
class UnitReportCopy(CallbackData):
    """One submission as the unit's Word report."""

    submission: Id


@callback("td", "n")
class RemindMissingNow(CallbackData):
    period: Id


@callback("td", "l")
class ListSubmissions(CallbackData):
    period: Id


@callback("td", "s")
class ShowSubmission(CallbackData):
    submission: Id


@callback("td", "r")
class ReturnSubmission(CallbackData):
    submission: Id


@callback("td", "a")
class AcceptSubmission(CallbackData):
    submission: Id


@callback("td", "c", "0")
class OfficeCancel(CallbackData):
    pass


@callback("td", "f")
class OpenWithForm(CallbackData):
    form: Word


@callback("td", "ok", "0")
class OpenConfirm(CallbackData):
    pass


@callback("td", "no", "0")
class OpenCancel(CallbackData):
    pass


# ---- an officer's report (/baocao) ---------------------------------------------------------


@callback("bc", "p")
class ReportForPeriod(CallbackData):
    period: Id


@callback("bc", "o")
class PickOption(CallbackData):
    question: Index
    option: Index


@callback("bc", "back")
class GoBack(CallbackData):
    question: Index


@callback("bc", "skip")
class SkipQuestion(CallbackData):
    question: Index


@callback("bc", "sum")
class ShowSummary(CallbackData):
    pass


@callback("bc", "e")
class EditQuestion(CallbackData):
    number: Index


@callback("bc", "edit")
class EditAnother(CallbackData):
    pass


@callback("bc", "submit")
class SubmitReport(CallbackData):
    session: Id
