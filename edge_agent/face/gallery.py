"""The box's face gallery: embeddings in one contiguous float32 matrix, persisted in SQLite.

Search is one matrix-vector product over the live rows (no Python loop over people):
for the euclidean metric, |q - x|^2 = |q|^2 + |x|^2 - 2 q.x with the norms kept
alongside. Deleting moves the last row into the hole, so the matrix stays dense.
Group filters are boolean masks kept per group.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS gallery (
    identity_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    person_type INTEGER NOT NULL DEFAULT 1,
    groups TEXT NOT NULL DEFAULT '[]',
    extra TEXT NOT NULL DEFAULT '{}',
    embedding BLOB NOT NULL,
    updated_at REAL NOT NULL
)
"""


@dataclass(frozen=True)
class Person:
    identity_id: str
    name: str = ""
    person_type: int = 1
    groups: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    person: Person
    distance: float


class Gallery:
    def __init__(self, path: str | Path, embedding_size: int = 128, metric: str = "euclidean") -> None:
        if metric not in ("euclidean", "cosine"):
            raise ValueError(f"unknown metric {metric!r}")
        self.embedding_size = embedding_size
        self.metric = metric
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        self._reset_memory(capacity=1024)
        self._load()

    # --- memory layout -----------------------------------------------------------
    def _reset_memory(self, capacity: int) -> None:
        self._matrix = np.zeros((capacity, self.embedding_size), dtype=np.float32)
        self._norms = np.zeros(capacity, dtype=np.float32)
        self._people: list[Person] = []
        self._rows: dict[str, int] = {}
        self._group_masks: dict[str, np.ndarray] = {}

    def _grow(self, needed: int) -> None:
        capacity = len(self._matrix)
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        matrix = np.zeros((capacity, self.embedding_size), dtype=np.float32)
        matrix[: len(self._people)] = self._matrix[: len(self._people)]
        norms = np.zeros(capacity, dtype=np.float32)
        norms[: len(self._people)] = self._norms[: len(self._people)]
        self._matrix, self._norms = matrix, norms
        for group, mask in self._group_masks.items():
            grown = np.zeros(capacity, dtype=bool)
            grown[: len(mask)] = mask
            self._group_masks[group] = grown

    def _place(self, person: Person, embedding: np.ndarray) -> None:
        row = self._rows.get(person.identity_id)
        if row is None:
            row = len(self._people)
            self._grow(row + 1)
            self._people.append(person)
            self._rows[person.identity_id] = row
        else:
            self._set_groups(row, self._people[row].groups, False)
            self._people[row] = person
        self._matrix[row] = embedding
        self._norms[row] = float(embedding @ embedding)
        self._set_groups(row, person.groups, True)

    def _set_groups(self, row: int, groups: Iterable[str], value: bool) -> None:
        for group in groups:
            mask = self._group_masks.get(group)
            if mask is None:
                mask = self._group_masks[group] = np.zeros(len(self._matrix), dtype=bool)
            mask[row] = value

    def _remove(self, identity_id: str) -> bool:
        row = self._rows.pop(identity_id, None)
        if row is None:
            return False
        last = len(self._people) - 1
        self._set_groups(row, self._people[row].groups, False)
        if row != last:
            moved = self._people[last]
            self._set_groups(last, moved.groups, False)
            self._people[row] = moved
            self._matrix[row] = self._matrix[last]
            self._norms[row] = self._norms[last]
            self._rows[moved.identity_id] = row
            self._set_groups(row, moved.groups, True)
        self._people.pop()
        self._matrix[last] = 0
        self._norms[last] = 0
        return True

    def _load(self) -> None:
        rows = self._db.execute(
            "SELECT identity_id, name, person_type, groups, extra, embedding FROM gallery ORDER BY rowid"
        ).fetchall()
        self._grow(len(rows) + 1)
        for identity_id, name, person_type, groups, extra, blob in rows:
            person = Person(identity_id, name, person_type, tuple(json.loads(groups)), json.loads(extra))
            self._place(person, np.frombuffer(blob, dtype=np.float32))

    # --- writes ------------------------------------------------------------------
    def _check(self, embedding: np.ndarray) -> np.ndarray:
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if vector.shape != (self.embedding_size,) or not np.isfinite(vector).all():
            raise ValueError(f"embedding must be {self.embedding_size} finite numbers")
        if self.metric == "cosine":
            vector = vector / (np.linalg.norm(vector) + 1e-12)
        return vector

    def upsert_many(self, entries: Iterable[tuple[Person, np.ndarray]]) -> int:
        """Add or replace people, all in one transaction."""
        checked = [(person, self._check(embedding)) for person, embedding in entries]
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO gallery VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (p.identity_id, p.name, p.person_type, json.dumps(list(p.groups)),
                         json.dumps(p.extra), v.tobytes(), now)
                        for p, v in checked
                    ],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            for person, vector in checked:
                self._place(person, vector)
        return len(checked)

    def upsert(self, person: Person, embedding: np.ndarray) -> None:
        self.upsert_many([(person, embedding)])

    def set_groups(self, identity_id: str, groups: Iterable[str]) -> bool:
        """Change a person's groups, keeping their embedding. False when nobody has that id."""
        with self._lock:
            row = self._rows.get(identity_id)
            if row is None:
                return False
            person = replace(self._people[row], groups=tuple(groups))
            self._db.execute("UPDATE gallery SET groups = ? WHERE identity_id = ?",
                             (json.dumps(list(person.groups)), identity_id))
            self._place(person, self._matrix[row].copy())
            return True

    def delete(self, identity_id: str) -> bool:
        with self._lock:
            self._db.execute("DELETE FROM gallery WHERE identity_id = ?", (identity_id,))
            return self._remove(identity_id)

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM gallery")
            self._reset_memory(capacity=1024)

    # --- reads -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._people)

    def __contains__(self, identity_id: str) -> bool:
        return identity_id in self._rows

    def identity_ids(self) -> set[str]:
        with self._lock:
            return set(self._rows)

    def get(self, identity_id: str) -> Person | None:
        with self._lock:
            row = self._rows.get(identity_id)
            return None if row is None else self._people[row]

    def embedding(self, identity_id: str) -> np.ndarray | None:
        with self._lock:
            row = self._rows.get(identity_id)
            return None if row is None else self._matrix[row].copy()

    def members(self, group: str) -> list[str]:
        with self._lock:
            mask = self._group_masks.get(group)
            if mask is None:
                return []
            return [self._people[i].identity_id for i in np.flatnonzero(mask[: len(self._people)])]

    def groups(self) -> list[str]:
        with self._lock:
            return sorted(group for group, mask in self._group_masks.items() if mask[: len(self._people)].any())

    def search(self, query: np.ndarray, k: int = 1, groups: Iterable[str] | None = None) -> list[Match]:
        """The k nearest people (optionally only members of `groups`), nearest first."""
        q = self._check(query)
        with self._lock:
            count = len(self._people)
            if count == 0:
                return []
            distances = self._distances(q, count)
            if groups is not None:
                allowed = np.zeros(count, dtype=bool)
                for group in groups:
                    if group in self._group_masks:
                        allowed |= self._group_masks[group][:count]
                distances = np.where(allowed, distances, np.inf)
            k = min(k, count)
            nearest = np.argpartition(distances, k - 1)[:k] if k < count else np.arange(count)
            nearest = nearest[np.argsort(distances[nearest])]
            return [
                Match(self._people[i], float(distances[i])) for i in nearest if np.isfinite(distances[i])
            ]

    def _distances(self, q: np.ndarray, count: int) -> np.ndarray:
        dots = self._matrix[:count] @ q
        if self.metric == "cosine":
            return 1.0 - dots
        squared = self._norms[:count] + float(q @ q) - 2.0 * dots
        return np.sqrt(np.maximum(squared, 0.0))

    def close(self) -> None:
        self._db.close()
