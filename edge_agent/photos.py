"""Registration photos kept on the box (the local API returns them; events may carry them).

Besides each person's photo, the box holds every photo a platform gave it by content hash
(`held`, `hold`): when the platform names a photo by its hash (our platform's `ext_photos`), a
photo already held is not downloaded again, so re-sending people a box holds costs no photo
bytes. A person's held photos go with them (delete, clear).
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
        index = self._index(identity_id)
        if index.exists():
            for digest in index.read_text().split():
                self._held(digest).unlink(missing_ok=True)
            index.unlink(missing_ok=True)

    # --- by content hash ----------------------------------------------------------------
    def _held(self, digest: str) -> Path:
        return self.folder / "sha256" / digest

    def _index(self, identity_id: str) -> Path:
        return self._path(identity_id).with_suffix(".held")

    def held(self, digest: str) -> bytes | None:
        """The photo whose SHA-256 is `digest`, when the box holds it (and it is intact)."""
        digest = str(digest).lower()
        path = self._held(digest) if SHA256.match(digest) else None
        if path is None or not path.exists():
            return None
        data = path.read_bytes()
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def hold(self, identity_id: str, photos: list[bytes]) -> None:
        """Keep these photos of a person by their content hash (replacing those held for them before)."""
        digests = []
        for data in photos:
            digest = hashlib.sha256(data).hexdigest()
            target = self._held(digest)
            if not target.exists():
                target.parent.mkdir(exist_ok=True)
                temporary = target.with_suffix(".part")
                temporary.write_bytes(data)
                temporary.replace(target)
            digests.append(digest)
        index = self._index(identity_id)
        before = set(index.read_text().split()) if index.exists() else set()
        index.write_text("\n".join(digests))
        for stale in before - set(digests):
            self._held(stale).unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
