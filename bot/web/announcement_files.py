"""The files of an announcement composed on the dashboard: the decree itself as PDF/DOCX (its
body, when it is not typed) and its annexes.

Each upload is stored at once in ``services.files`` — as a file sent to /thongbao in chat is —
so that "Xem trước" followed by "Gửi ngay" does not ask for the files again: the preview's form
carries back only each file's SHA-256 and name (``keep_token``), which ``FileStore.kept``
resolves to the stored copy and nothing else. The stored shape is the one the chat flow keeps
in ``attachments`` and ``announcement_outbound`` sends as documents.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.services.files import FileStore
from bot.web.uploads import upload_name

BODY_SUFFIXES = (".pdf", ".docx", ".doc")
"""The decree as issued: what an office scans or exports (the issue's PDF/DOCX, and old .doc)."""
ANNEX_SUFFIXES = (*BODY_SUFFIXES, ".xlsx", ".xls", ".odt", ".ods", ".jpg", ".jpeg", ".png", ".zip", ".rar")
"""Annexes: forms to fill in, tables, scans, an archive of several."""
MAX_FILES = 10


@dataclass
class ComposeFiles:
    """The files of the compose form, in sending order (the decree first), and what is wrong."""

    stored: list[dict[str, Any]] = field(default_factory=list)
    body_file: str = ""
    """The name of the file that is the decree itself ("" when the body is typed)."""
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(code, file name) pairs; ``announcement_compose.html.j2`` words each code."""

    def tokens(self) -> list[str]:
        return [keep_token(f) for f in self.stored]


def keep_token(info: dict[str, Any]) -> str:
    return f"{info['sha256']}/{info['name']}"


def mime_of(name: str, sent: str = "") -> str:
    """The type from the name (what the recipient's phone opens it by), else what the browser said."""
    guessed, _ = mimetypes.guess_type(name)
    return guessed or sent or "application/octet-stream"


async def compose_files(form: MultiDictProxy[Any], files: FileStore, oversized: list[str]) -> ComposeFiles:
    """Kept files of the previous preview (``giu_tep``, unticked ones dropped), then the new
    decree file (``tep_noi_dung``) and annexes (``dinh_kem``), each checked and stored."""
    out = ComposeFiles(errors=[("too_big", name) for name in oversized])
    body_name = upload_name(str(form.get("tep_noi_dung_ten", "")))
    for token in form.getall("giu_tep", []):
        sha, _, name = str(token).partition("/")
        path = files.kept(sha, upload_name(name))
        if path is None:
            out.errors.append(("gone", upload_name(name)))
            continue
        kept = _info(path, upload_name(name), sha)
        if kept["name"] == body_name and not out.body_file:
            out.body_file = body_name
            out.stored.insert(0, kept)  # the decree itself goes first, its annexes after
        else:
            out.stored.append(kept)
    body = form.get("tep_noi_dung")
    if isinstance(body, web.FileField):
        decree = await _store(body, files, BODY_SUFFIXES, out, code="body_type")
        if decree is not None:
            out.stored = [f for f in out.stored if f["name"] != out.body_file]  # a new decree replaces the old
            out.stored.insert(0, decree)
            out.body_file = decree["name"]
    for annex in form.getall("dinh_kem", []):
        if isinstance(annex, web.FileField):
            info = await _store(annex, files, ANNEX_SUFFIXES, out, code="annex_type")
            if info is not None and all(f["sha256"] != info["sha256"] for f in out.stored):
                out.stored.append(info)
    if len(out.stored) > MAX_FILES:
        out.errors.append(("too_many", str(MAX_FILES)))
    return out


async def _store(upload: web.FileField, files: FileStore, suffixes: tuple[str, ...], out: ComposeFiles,
                 code: str) -> dict[str, Any] | None:
    name = upload_name(upload.filename)
    if PurePosixPath(name).suffix.lower() not in suffixes:
        out.errors.append((code, name))
        return None
    content = upload.file.read()
    if not content:
        out.errors.append(("empty", name))
        return None
    return await files.store(name, mime_of(name, upload.content_type), content)


def _info(path: Path, name: str, sha: str) -> dict[str, Any]:
    return {"name": name, "mime": mime_of(name), "size": path.stat().st_size, "sha256": sha, "path": str(path)}


__all__ = ["ANNEX_SUFFIXES", "BODY_SUFFIXES", "MAX_FILES", "ComposeFiles", "compose_files", "keep_token"]
