"""The search index over event embeddings: faiss (faiss-cpu from PyPI), ids = event ids.

Why faiss and not pgvector: pgvector needs a server extension that a site's (and CI's)
PostgreSQL may not have, and nothing at all on SQLite; faiss runs in-process on either database,
and its IVF index with 8-bit scalar quantisation holds 1 000 000 128-d embeddings in about
140 MB (float32 would be 512 MB) and answers in a few milliseconds on one core
(bench/faces.py, bench/README.md).

Below IVF_FROM embeddings the index is exact (a flat L2 scan); from there the `save` of the
faces worker (faces.tasks.save_face_index, on beat) trains an IVF-SQ8 index on them. Each
process that searches keeps its own copy: it loads the file under VAR_DIR/faces/ (newer files
too, when the worker saves one) and adds the rows written since (`catch_up`). The rows
(faces.models.FaceEmbedding) are the truth; the file is a cache and may be deleted.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import faiss
import numpy as np
from django.conf import settings
from django.utils import timezone

from .models import FaceEmbedding

IVF_FROM = 50_000  # below this an exact scan is as fast and needs no training
TRAIN_SAMPLE = 64 * 1024  # 64 points per list at 1024 lists
# Rows are indexed once they are this old: an id taken by a transaction that commits later than
# a higher one is not skipped (the faces task writes in one short transaction per batch).
SETTLE = timedelta(seconds=5)
CHUNK = 10_000


def nprobe_for(nlist: int) -> int:
    """Lists visited per search: a quarter of them (256 of 1024 at a million: recall@10 0.99
    against an exact scan in bench/faces.py, 5.5 ms on one core; 0.90 with 32 lists)."""
    return max(1, min(nlist, max(32, nlist // 4)))


def ivf_index(vectors: np.ndarray, ids: np.ndarray, nlist: int | None = None) -> faiss.Index:
    """An IVF index with 8-bit scalar quantisation, trained on (a sample of) `vectors`."""
    dimension = vectors.shape[1]
    # About sqrt(N) lists (1024 for a million), each trained on at least 39 points as faiss asks.
    nlist = nlist or max(1, min(1 << round(math.log2(math.sqrt(len(vectors)))), len(vectors) // 39))
    quantizer = faiss.IndexFlatL2(dimension)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_L2)
    rng = np.random.default_rng(0)
    sample = vectors if len(vectors) <= TRAIN_SAMPLE else vectors[rng.choice(len(vectors), TRAIN_SAMPLE, replace=False)]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
    index.nprobe = nprobe_for(nlist)
    return index


def flat_index(dimension: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatL2(dimension))


class FaceIndex:
    """Event embeddings of one model; `search` gives (event id, approximate distance) pairs."""

    def __init__(self, model: str, dimension: int) -> None:
        self.model, self.dimension = model, dimension
        self.index = flat_index(dimension)
        self.high_water = 0  # FaceEmbedding.id of the last row added
        self.loaded_mtime = 0.0
        self.lock = threading.Lock()

    # --- keeping up with the rows ------------------------------------------------------
    def catch_up(self) -> int:
        """Add the rows written since; how many."""
        rows = (FaceEmbedding.objects.filter(model=self.model, vector__isnull=False, id__gt=self.high_water,
                                             created_at__lte=timezone.now() - SETTLE)
                .order_by("id").values_list("id", "event_id", "vector"))
        added = 0
        batch: list[tuple[int, int, bytes]] = []
        for row in rows.iterator(chunk_size=CHUNK):
            batch.append(row)
            if len(batch) == CHUNK:
                added += self._add(batch)
                batch = []
        return added + (self._add(batch) if batch else 0)

    def _add(self, rows: list[tuple[int, int, bytes]]) -> int:
        vectors = np.frombuffer(b"".join(bytes(row[2]) for row in rows), dtype="<f4").reshape(-1, self.dimension)
        ids = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self.high_water = rows[-1][0]
        return len(rows)

    def is_exact(self) -> bool:
        return isinstance(self.index, faiss.IndexIDMap2)

    def compact(self) -> bool:
        """Train an IVF-SQ8 index once there are IVF_FROM embeddings; True if it did."""
        if not self.is_exact() or self.index.ntotal < IVF_FROM:
            return False
        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        vectors = self.index.index.reconstruct_n(0, self.index.ntotal)
        self.index = ivf_index(vectors, ids)
        return True

    # --- searching -----------------------------------------------------------------
    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.index.ntotal == 0:
            return []
        squared, ids = self.index.search(np.asarray(vector, dtype=np.float32).reshape(1, -1), k)
        return [(int(event), math.sqrt(max(float(d), 0.0))) for d, event in zip(squared[0], ids[0], strict=True)
                if event >= 0]

    # --- the file ------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """One file, replaced atomically: a JSON header line, then faiss's serialised index."""
        header = json.dumps({"model": self.model, "dimension": self.dimension, "high_water": self.high_water})
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(header.encode() + b"\n")
            handle.write(faiss.serialize_index(self.index).tobytes())
        os.replace(handle.name, path)

    def load(self, path: Path) -> bool:
        """Take the file's index when it changed since we last took one (and is of this model);
        the rows after its high water mark are then added again by `catch_up`. Even a file
        behind us is taken: it is the trained (IVF) index an exact one gives way to."""
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return False
        if mtime <= self.loaded_mtime:
            return False
        with path.open("rb") as handle:
            header = json.loads(handle.readline())
            if header["model"] != self.model or header["dimension"] != self.dimension:
                return False
            index = faiss.deserialize_index(np.frombuffer(handle.read(), dtype=np.uint8))
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = nprobe_for(index.nlist)
        self.index, self.high_water, self.loaded_mtime = index, header["high_water"], mtime
        return True


def index_path() -> Path:
    return Path(settings.VAR_DIR) / "faces" / "index.faiss"


_shared: FaceIndex | None = None
_shared_lock = threading.Lock()


def nearest_in_index(vector: np.ndarray, k: int) -> tuple[list[tuple[int, float]], int]:
    """The `k` nearest events in this process's index (brought up to date with the file and the
    settled rows first), and the last row id it holds: newer rows are the caller's to scan."""
    from .engine import current_model, embedding_size

    global _shared
    with _shared_lock:  # faiss must not search while another thread adds
        if _shared is None or _shared.model != current_model():
            _shared = FaceIndex(current_model(), embedding_size())
        _shared.load(index_path())
        _shared.catch_up()
        return _shared.search(vector, k), _shared.high_water


def forget_shared_index() -> None:
    """Tests and the rebuild command: the next search starts from the file and the rows again."""
    global _shared
    with _shared_lock:
        _shared = None
