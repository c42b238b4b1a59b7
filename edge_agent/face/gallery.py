"""The box's face gallery: embeddings in one contiguous float32 matrix, persisted in SQLite.

A person may have several faces (one per enrolled photo, our platform's `ext_photos`,
docs/contract-extensions.md): each face is a row of the matrix, and a person matches by their
best-matching face. Search is one matrix-vector product over the live rows (no Python loop
over people): for the euclidean metric, |q - x|^2 = |q|^2 + |x|^2 - 2 q.x with the norms kept
alongside. Deleting moves the last row into the hole, so the matrix stays dense. Group
filters are boolean masks over the rows. On disk a person is one row of the `gallery` table,
their faces' vectors one after the other in `embedding` (a gallery of one face each, as older
agents wrote it, reads unchanged).
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
        self._faces: list[Person] = []  # row -> the person the face is of
        self._rows: dict[str, list[int]] = {}  # identity_id -> their rows, first enrolled first
        self._group_masks: dict[str, np.ndarray] = {}
        self._most_faces = 1  # the most faces anyone has: how many rows k people can take

    def _grow(self, needed: int) -> None:
        capacity = len(self._matrix)
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        count = len(self._faces)
        matrix = np.zeros((capacity, self.embedding_size), dtype=np.float32)
        matrix[:count] = self._matrix[:count]
        norms = np.zeros(capacity, dtype=np.float32)
        norms[:count] = self._norms[:count]
        self._matrix, self._norms = matrix, norms
        for group, mask in self._group_masks.items():
            grown = np.zeros(capacity, dtype=bool)
            grown[: len(mask)] = mask
            self._group_masks[group] = grown

    def _place(self, person: Person, embeddings: np.ndarray) -> None:
        """Put the person with exactly these faces (rows of `embeddings`), replacing any they had."""
        self._remove(person.identity_id)
        first = len(self._faces)
        self._grow(first + len(embeddings))
        rows = list(range(first, first + len(embeddings)))
        for row, vector in zip(rows, embeddings, strict=True):
            self._faces.append(person)
            self._matrix[row] = vector
            self._norms[row] = float(vector @ vector)
        self._rows[person.identity_id] = rows
        self._most_faces = max(self._most_faces, len(rows))
        self._set_groups(rows, person.groups, True)

    def _set_groups(self, rows: list[int], groups: Iterable[str], value: bool) -> None:
        for group in groups:
            mask = self._group_masks.get(group)
            if mask is None:
                mask = self._group_masks[group] = np.zeros(len(self._matrix), dtype=bool)
            mask[rows] = value

    def _remove(self, identity_id: str) -> bool:
        rows = self._rows.pop(identity_id, None)
        if rows is None:
            return False
        self._set_groups(rows, self._faces[rows[0]].groups, False)
        for row in sorted(rows, reverse=True):  # the person's other rows all lie below `row` now
            last = len(self._faces) - 1
            if row != last:
                moved = self._faces[last]
                self._set_groups([last], moved.groups, False)
                self._faces[row] = moved
                self._matrix[row] = self._matrix[last]
                self._norms[row] = self._norms[last]
                owner_rows = self._rows[moved.identity_id]
                owner_rows[owner_rows.index(last)] = row
                self._set_groups([row], moved.groups, True)
            self._faces.pop()
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
            self._place(person, np.frombuffer(blob, dtype=np.float32).reshape(-1, self.embedding_size))

    # --- writes ------------------------------------------------------------------
    def _check(self, embedding: np.ndarray) -> np.ndarray:
        """One face (a vector) or several (a matrix, one face a row), as rows of finite float32."""
        vectors = np.asarray(embedding, dtype=np.float32)
        vectors = vectors.reshape(1, -1) if vectors.ndim <= 1 else vectors.reshape(len(vectors), -1)
        if len(vectors) == 0 or vectors.shape[1] != self.embedding_size or not np.isfinite(vectors).all():
            raise ValueError(f"embedding must be {self.embedding_size} finite numbers (one or more faces)")
        if self.metric == "cosine":
            vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        return vectors

    def upsert_many(self, entries: Iterable[tuple[Person, np.ndarray]]) -> int:
        """Add or replace people, all in one transaction. Each person's embedding is one face
        (a vector) or all their faces (a matrix, one face a row): they then have exactly those."""
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
            for person, vectors in checked:
                self._place(person, vectors)
        return len(checked)

    def upsert(self, person: Person, embedding: np.ndarray) -> None:
        self.upsert_many([(person, embedding)])

    def set_groups(self, identity_id: str, groups: Iterable[str]) -> bool:
        """Change a person's groups, keeping their embedding. False when nobody has that id."""
        with self._lock:
            rows = self._rows.get(identity_id)
            if rows is None:
                return False
            person = replace(self._faces[rows[0]], groups=tuple(groups))
            self._db.execute("UPDATE gallery SET groups = ? WHERE identity_id = ?",
                             (json.dumps(list(person.groups)), identity_id))
            self._place(person, self._matrix[rows].copy())
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
        """How many people (not faces: see face_count)."""
        return len(self._rows)

    @property
    def face_count(self) -> int:
        return len(self._faces)

    def __contains__(self, identity_id: str) -> bool:
        return identity_id in self._rows

    def identity_ids(self) -> set[str]:
        with self._lock:
            return set(self._rows)

    def get(self, identity_id: str) -> Person | None:
        with self._lock:
            rows = self._rows.get(identity_id)
            return None if rows is None else self._faces[rows[0]]

    def embedding(self, identity_id: str) -> np.ndarray | None:
        """The person's first face (their primary photo's)."""
        with self._lock:
            rows = self._rows.get(identity_id)
            return None if rows is None else self._matrix[rows[0]].copy()

    def embeddings(self, identity_id: str) -> np.ndarray | None:
        """All the person's faces, one a row, first enrolled first."""
        with self._lock:
            rows = self._rows.get(identity_id)
            return None if rows is None else self._matrix[rows].copy()

    def members(self, group: str) -> list[str]:
        with self._lock:
            mask = self._group_masks.get(group)
            if mask is None:
                return []
            found = dict.fromkeys(self._faces[i].identity_id for i in np.flatnonzero(mask[: len(self._faces)]))
            return list(found)

    def groups(self) -> list[str]:
        with self._lock:
            return sorted(group for group, mask in self._group_masks.items() if mask[: len(self._faces)].any())

    def search(self, query: np.ndarray, k: int = 1, groups: Iterable[str] | None = None) -> list[Match]:
        """The k nearest people (optionally only members of `groups`), nearest first; a person's
        distance is that of their best-matching face."""
        q = self._check(query)[0]
        with self._lock:
            count = len(self._faces)
            if count == 0:
                return []
            distances = self._distances(q, count)
            if groups is not None:
                allowed = np.zeros(count, dtype=bool)
                for group in groups:
                    if group in self._group_masks:
                        allowed |= self._group_masks[group][:count]
                distances = np.where(allowed, distances, np.inf)
            # k people own at most k * most-faces rows: the nearest that many rows hold them.
            wanted = min(count, k * self._most_faces)
            nearest = np.argpartition(distances, wanted - 1)[:wanted] if wanted < count else np.arange(count)
            nearest = nearest[np.argsort(distances[nearest], kind="stable")]
            matches: dict[str, Match] = {}
            for i in nearest:
                person = self._faces[i]
                if not np.isfinite(distances[i]) or len(matches) == k:
                    break
                matches.setdefault(person.identity_id, Match(person, float(distances[i])))
            return list(matches.values())

    def _distances(self, q: np.ndarray, count: int) -> np.ndarray:
        dots = self._matrix[:count] @ q
        if self.metric == "cosine":
            return 1.0 - dots
        squared = self._norms[:count] + float(q @ q) - 2.0 * dots
        return np.sqrt(np.maximum(squared, 0.0))

    def close(self) -> None:
        self._db.close()
