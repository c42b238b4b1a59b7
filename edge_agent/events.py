"""The box's event store: every recognition kept locally, bounded, and sent on by cursor.

Events live in `events.sqlite3` under the data dir, oldest dropped beyond the bound
(default 10 000). Each history target (every `recordAddr` URL and every locally set
`HistoryEventUrl`) has its own cursor, advanced only once that target answered 2xx, so
a target that was down for an hour gets the hour's events when it is back, and one slow
target never holds back the others. Pictures are kept as JPEG bytes and turned into the
contract's base64 only when a batch is built.
"""
from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from .store import LocalDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,        -- the contract's event without pictures
    spot_pic BLOB,
    reg_pic BLOB
);
CREATE TABLE IF NOT EXISTS cursors (target TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
"""
DEFAULT_BOUND = 10_000
BATCH = 100  # the contract's largest batch


@dataclass(frozen=True)
class StoredEvent:
    id: int
    body: dict
    spot_pic: bytes | None
    reg_pic: bytes | None

    def wire(self, with_reg_pic: bool = True) -> dict:
        """The event as the contract sends it (part 2 §4.4.6 / §4.4.9)."""
        event = json.loads(json.dumps(self.body))
        event["ext_data"]["spot_pic"] = _b64(self.spot_pic)
        event["reg_pic"] = _b64(self.reg_pic) if with_reg_pic else ""
        return event


def _b64(data: bytes | None) -> str:
    return base64.b64encode(data).decode() if data else ""


class EventStore(LocalDatabase):
    schema = SCHEMA

    def __init__(self, path: str | Path, bound: int = DEFAULT_BOUND) -> None:
        super().__init__(path)
        self.bound = bound
        self._write_lock = threading.Lock()

    def add(self, body: dict, spot_pic: bytes | None = None, reg_pic: bytes | None = None) -> int:
        """Keep one event; beyond the bound the oldest go, sent or not (the contract's rule)."""
        with self._write_lock:
            db = self._db()
            event_id = db.execute("INSERT INTO events (body, spot_pic, reg_pic) VALUES (?, ?, ?)",
                                  (json.dumps(body), spot_pic, reg_pic)).lastrowid
            db.execute("DELETE FROM events WHERE id <= ?", (event_id - self.bound,))
        return event_id

    def pending(self, target: str, limit: int = BATCH) -> list[StoredEvent]:
        """The next events `target` has not acknowledged, oldest first."""
        rows = self._db().execute(
            "SELECT id, body, spot_pic, reg_pic FROM events WHERE id > ? ORDER BY id LIMIT ?",
            (self.cursor(target), limit)).fetchall()
        return [StoredEvent(i, json.loads(b), s, r) for i, b, s, r in rows]

    def cursor(self, target: str) -> int:
        row = self._db().execute("SELECT last_id FROM cursors WHERE target = ?", (target,)).fetchone()
        if row is None:
            # A target met for the first time starts from what the box still holds.
            return 0
        return row[0]

    def advance(self, target: str, last_id: int) -> None:
        self._db().execute(
            "INSERT INTO cursors VALUES (?, ?)"
            " ON CONFLICT(target) DO UPDATE SET last_id = max(last_id, excluded.last_id)",
            (target, last_id))

    def backlog(self, target: str) -> int:
        return self._db().execute("SELECT COUNT(*) FROM events WHERE id > ?", (self.cursor(target),)).fetchone()[0]

    def recent(self, limit: int = 50) -> list[StoredEvent]:
        rows = self._db().execute(
            "SELECT id, body, spot_pic, reg_pic FROM events ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [StoredEvent(i, json.loads(b), s, r) for i, b, s, r in rows]

    def __len__(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def clear(self) -> None:
        """WipeData's events option: the events go, the cursors stay (ids keep growing)."""
        with self._write_lock:
            self._db().execute("DELETE FROM events")
