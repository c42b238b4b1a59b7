"""The box's local state in one SQLite file under the data dir.

- config: dev_sno, login_url and the other settings the local API changes;
- handled: every command's result by messageId, so a redelivered message is answered
  again, not applied twice;
- progress: per message, the people already processed, so a restart mid-command
  resumes instead of starting over;
- outbox: results not yet delivered, retried until they are.
Every write commits before the caller goes on (WAL, synchronous=NORMAL).
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS handled (
    message_id TEXT PRIMARY KEY, method TEXT NOT NULL, result TEXT NOT NULL, handled_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS progress (
    message_id TEXT NOT NULL, identity_id TEXT NOT NULL, outcome TEXT NOT NULL,
    PRIMARY KEY (message_id, identity_id)
);
CREATE TABLE IF NOT EXISTS local_groups (
    kind TEXT NOT NULL,             -- "permission" (§4.1) or "face" (§4.2)
    name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', info TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,          -- "mq:<vhost>/<queue>", "http:<url>" or "report:<login address field>"
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
"""


class LocalDatabase:
    """A SQLite file used from several threads: one connection per thread, WAL, every
    statement committed at once unless a transaction is opened explicitly."""

    schema = ""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._db().executescript(self.schema)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db


class Store(LocalDatabase):
    schema = SCHEMA

    # --- config -------------------------------------------------------------------
    def get(self, key: str, default=None):
        row = self._db().execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, value) -> None:
        self._db().execute("INSERT OR REPLACE INTO config VALUES (?, ?)", (key, json.dumps(value)))

    # --- commands -----------------------------------------------------------------
    def handled_result(self, message_id: str) -> dict | None:
        row = self._db().execute("SELECT result FROM handled WHERE message_id = ?", (message_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def finish(self, message_id: str | None, method: str, result: dict, channel: str | None) -> None:
        """Record the result and queue its delivery in one transaction."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            if message_id:
                db.execute("INSERT OR REPLACE INTO handled VALUES (?, ?, ?, ?)",
                           (message_id, method, json.dumps(result), time.time()))
                db.execute("DELETE FROM progress WHERE message_id = ?", (message_id,))
            if channel:
                db.execute("INSERT INTO outbox (channel, body) VALUES (?, ?)", (channel, json.dumps(result)))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def progress(self, message_id: str) -> dict[str, dict]:
        rows = self._db().execute("SELECT identity_id, outcome FROM progress WHERE message_id = ?", (message_id,))
        return {identity_id: json.loads(outcome) for identity_id, outcome in rows}

    def record_progress(self, message_id: str, identity_id: str, outcome: dict) -> None:
        self._db().execute("INSERT OR REPLACE INTO progress VALUES (?, ?, ?)",
                           (message_id, identity_id, json.dumps(outcome)))

    # --- permission and face groups (local API, part 2 §4.1, §4.2) -------------------------
    def local_groups(self, kind: str, name: str | None = None) -> list[dict]:
        query, args = "SELECT name, description, info FROM local_groups WHERE kind = ?", (kind,)
        if name is not None:
            query, args = query + " AND name = ?", (kind, name)
        rows = self._db().execute(query + " ORDER BY name", args).fetchall()
        return [{"name": n, "description": d, **json.loads(i)} for n, d, i in rows]

    def save_local_group(self, kind: str, name: str, description: str, info: dict | None, create: bool) -> bool:
        """Insert (create) or update; False when the name is taken (create) or missing (update)."""
        db = self._db()
        if create:
            cursor = db.execute("INSERT OR IGNORE INTO local_groups VALUES (?, ?, ?, ?)",
                                (kind, name, description, json.dumps(info or {})))
        elif info is None:
            cursor = db.execute("UPDATE local_groups SET description = ? WHERE kind = ? AND name = ?",
                                (description, kind, name))
        else:
            cursor = db.execute("UPDATE local_groups SET description = ?, info = ? WHERE kind = ? AND name = ?",
                                (description, json.dumps(info), kind, name))
        return cursor.rowcount == 1

    def delete_local_group(self, kind: str, name: str) -> bool:
        return self._db().execute("DELETE FROM local_groups WHERE kind = ? AND name = ?", (kind, name)).rowcount == 1

    # --- outbox -------------------------------------------------------------------
    def enqueue(self, channel: str, body: dict) -> None:
        """A report to deliver, retried until it is (channel "report:<login address field>")."""
        self._db().execute("INSERT INTO outbox (channel, body) VALUES (?, ?)", (channel, json.dumps(body)))

    def due(self, limit: int = 50) -> list[tuple[int, str, str, int]]:
        return self._db().execute(
            "SELECT id, channel, body, attempts FROM outbox WHERE next_at <= ? ORDER BY id LIMIT ?",
            (time.time(), limit),
        ).fetchall()

    def delivered(self, entry_id: int) -> None:
        self._db().execute("DELETE FROM outbox WHERE id = ?", (entry_id,))

    def retry_later(self, entry_id: int, attempts: int, delay: float, error: str) -> None:
        """Failed `attempts` times so far: due again in `delay` seconds (edge_agent/backoff.py)."""
        self._db().execute(
            "UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
            (attempts, time.time() + delay, error[:300], entry_id),
        )

    def backlog(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
