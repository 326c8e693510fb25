"""Page 6 (second part): import units from a CSV/XLSX file, previewed before anything changes.

Two steps, one use case: the upload runs ``UnitService.import_file(apply=False,
partial=True)`` — the very code the CLI's ``tdkt-bot units import`` runs, rolled back — and
shows what would be added, updated and refused (row number and reason). Only a file that
reads as a units table is then kept, in ``services.files`` under its SHA-256; the preview's
"Áp dụng" form carries back just that hash and the file's name (no bytes, nothing the browser
could change to load another file), and confirming runs the same call with ``apply=True``
against the database as it is then. The good rows are applied, the refused ones are not.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.services.units import ImportReport, UnitFileError
from bot.web.guard import Refused, current_user, require
from bot.web.uploads import form_of, upload_name

if TYPE_CHECKING:
    from bot.services.web_access import WebUser
    from bot.web.dashboard import Dashboard

MAX_FILE = 1024 * 1024
"""A 5000-unit XLSX is about 300 KB."""
SUFFIXES = (".csv", ".xlsx")


class UnitImportPages:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.services = dash.services

    def register(self, r: web.UrlDispatcher) -> None:
        r.add_post("/web/don-vi/nhap", self.preview)
        r.add_post("/web/don-vi/nhap/xac-nhan", self.confirm)

    def _page(self, user: WebUser, status: int = 200, **context: object) -> web.Response:
        return self.dash.page("units_import", status=status, user=user, **context)

    async def preview(self, request: web.Request) -> web.Response:
        """Read the uploaded file and show what importing it would change; nothing is applied."""
        if (request.content_length or 0) > MAX_FILE + 64 * 1024:
            # Refuse before reading a body that big (there is then no CSRF token to check,
            # and nothing is changed): an admin is told why, anyone else is refused.
            user = await current_user(request, self.dash.access)
            if user is None or not user.is_admin:
                raise Refused(403, "no_session" if user is None else "role")
            return self._page(user, status=413, error="too_big")
        user = await require(request, self.dash.access, admin=True)
        field = (await form_of(request)).get("tep")
        if not isinstance(field, web.FileField) or not field.filename:
            return self._page(user, status=400, error="no_file")
        name = upload_name(field.filename)
        if Path(name).suffix.lower() not in SUFFIXES:
            return self._page(user, status=400, error="type", file_name=name)
        content = field.file.read(MAX_FILE + 1)
        if len(content) > MAX_FILE:
            return self._page(user, status=413, error="too_big", file_name=name)
        if not content:
            return self._page(user, status=400, error="empty", file_name=name)
        try:
            report = await self._dry_run(content, name)
        except UnitFileError as exc:
            await self.dash.access.record(user, "web.units_preview", file=name, refused=exc.message)
            return self._page(user, status=400, error="file", message=exc.message, file_name=name)
        info = await self.services.files.store(name, field.content_type or "application/octet-stream", content)
        await self.dash.access.record(user, "web.units_preview", file=name, sha256=info["sha256"],
                                      created=len(report.created), updated=len(report.updated),
                                      rejected=len(report.rejected_lines))
        return self._page(user, report=report, file_name=name, sha=info["sha256"])

    async def _dry_run(self, content: bytes, name: str) -> ImportReport:
        """The import run and rolled back, on a private copy named like the upload (its suffix
        says CSV or XLSX): the file is kept only once it reads as a units table."""
        with tempfile.TemporaryDirectory(prefix="tdkt-import-") as tmp:
            path = Path(tmp) / ("tep" + Path(name).suffix.lower())
            await asyncio.to_thread(path.write_bytes, content)
            return await self.services.units.import_file(path, name=name, apply=False, partial=True)

    async def confirm(self, request: web.Request) -> web.Response:
        """Apply the previewed file's good rows (re-checked against the units as they are now)."""
        user = await require(request, self.dash.access, admin=True)
        form = await form_of(request)
        sha, name = str(form.get("sha", "")), upload_name(str(form.get("ten", "")))
        path = self.services.files.kept(sha, name) if Path(name).suffix.lower() in SUFFIXES else None
        if path is None:
            return self._page(user, status=400, error="gone", file_name=name)
        try:
            report = await self.services.units.import_file(path, actor=user.actor, name=name, apply=True,
                                                           partial=True)
        except UnitFileError as exc:
            return self._page(user, status=400, error="file", message=exc.message, file_name=name)
        await self.dash.access.record(user, "web.units_import", file=name, sha256=sha, created=len(report.created),
                                      updated=len(report.updated), rejected=len(report.rejected_lines))
        return self._page(user, report=report, file_name=name)
