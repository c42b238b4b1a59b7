"""Registration photos kept on the box (the local API returns them; events may carry them)."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path


class PhotoStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, identity_id: str) -> Path:
        # Named by a hash: identity ids are free text and must not become paths.
        return self.folder / (hashlib.sha256(identity_id.encode()).hexdigest() + ".img")

    def save(self, identity_id: str, data: bytes) -> None:
        target = self._path(identity_id)
        temporary = target.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(target)

    def load(self, identity_id: str) -> bytes | None:
        path = self._path(identity_id)
        return path.read_bytes() if path.exists() else None

    def delete(self, identity_id: str) -> None:
        self._path(identity_id).unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
