"""Files people send (signed reports, attachments), stored by content hash on disk."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path
from typing import Any


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path_for(self, sha256: str, name: str) -> Path:
        safe = re.sub(r"[^\w.\-]+", "_", name)[-120:] or "tep"
        return self.root / sha256[:2] / f"{sha256}_{safe}"

    async def store(self, name: str, mime: str, content: bytes) -> dict[str, Any]:
        """Write once (same bytes → same file) and describe it as plain data for the database."""
        sha = hashlib.sha256(content).hexdigest()
        path = self._path_for(sha, name)
        if not path.exists():
            await asyncio.to_thread(self._write, path, content)
        return {"name": name, "mime": mime, "size": len(content), "sha256": sha, "path": str(path)}

    def kept(self, sha256: str, name: str) -> Path | None:
        """The stored file with this hash and name, if it is there. A form that carries a
        file between two requests (the units import's preview, then its confirmation) sends
        back only these two: anything but a SHA-256 in hex is refused before touching disk."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            return None
        path = self._path_for(sha256, name)
        return path if path.is_file() else None

    @staticmethod
    def _write(path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(content)
        tmp.replace(path)

    async def read(self, info: dict[str, Any]) -> bytes:
        return await asyncio.to_thread(Path(info["path"]).read_bytes)
