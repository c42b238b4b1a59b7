"""Face embeddings and search by face (issue 15): the figures of bench/README.md.

One CPU core: the process pins itself to core 0; faiss, BLAS and ONNX Runtime use one thread.

1. Search over `--events` (1 000 000) stored event embeddings with the platform's own index
   (faces/index.py: IVF, 8-bit scalar quantisation, a quarter of the lists visited): median / p95 per query, the
   index's memory (the resident memory a fresh process gains loading the saved index, and
   faiss's serialised size), the same queries as a brute-force NumPy float32 scan in the same
   run and the ratio, and recall@10 against that scan (the index alone, and as the platform uses
   it: 2 × limit + 1 candidates re-scored exactly).
   The embeddings: the real ones of the shared photos (their people must find each other), and
   synthetic people around them — each person a centre, each event the centre plus noise, with
   spreads measured on the real embeddings (distance between two people, between two photos of
   one person), so the index sees clusters as real faces make them.
2. Background embedding of stock-box events: `faces.engine.picture_embedding` (what the faces
   task runs per event) on spot pictures as bench/events.py sends them (the shared probe photos
   reduced to 320 px), per second on one core; and on the full-size photos.
3. Stranger clustering (faces/clustering.py, issue 15 item 3): stranger events assigned to their
   clusters per second on one core, with `--clusters` (10 000) clusters already there, through
   `faces.clustering.assign_strangers` as the faces task calls it (the database work included:
   a throw-away SQLite database, or DATABASE_URL's), one event per task (a realtime report) and
   20 per task (a history upload); and the nearest-centroid arithmetic alone. The events: people
   of the synthetic population above, 80 % of them already a cluster, 20 % new people seen again.

    .venv/bin/python bench/faces.py [--events 1000000] [--queries 200] [--seconds 10] [--clusters 10000]
                                    [--parts embedding,search,clustering]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before NumPy loads its BLAS
os.sched_setaffinity(0, {0})

import numpy as np  # noqa: E402
from common import FACES, configure_environment, percentile  # noqa: E402

PER_PERSON = 10


def clock() -> float:
    """CPU seconds of this process: on one pinned core with one thread, the time the work costs
    that core, whatever else the machine runs meanwhile (wall clock under load would charge the
    other processes' share to this one)."""
    return time.process_time()


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def real_embeddings() -> tuple[np.ndarray, list[str]]:
    from faces.engine import picture_embedding

    vectors, people = [], []
    for path in sorted(FACES.glob("enroll/*/*")) + sorted(FACES.glob("probe/*/*")):
        vectors.append(picture_embedding(path.read_bytes()))
        people.append(path.parent.name)
    return np.stack(vectors).astype(np.float32), people


def spreads(vectors: np.ndarray, people: list[str]) -> tuple[float, float]:
    """Median distance between photos of one person, and between different people."""
    same, other = [], []
    for i in range(len(vectors)):
        for j in range(i + 1, len(vectors)):
            distance = float(np.linalg.norm(vectors[i] - vectors[j]))
            (same if people[i] == people[j] else other).append(distance)
    return statistics.median(same), statistics.median(other)


def synthetic(real: np.ndarray, count: int, same: float, other: float, rng) -> np.ndarray:
    """`count` events of count / PER_PERSON people: centres spread as real people are, events
    around them as one person's photos are (distances of Gaussian vectors: sqrt(2 d) sigma)."""
    dimension = real.shape[1]
    people = count // PER_PERSON
    centre_sigma, event_sigma = other / np.sqrt(2 * dimension), same / np.sqrt(2 * dimension)
    centres = real.mean(axis=0) + rng.normal(0, centre_sigma, (people, dimension)).astype(np.float32)
    events = np.repeat(centres, PER_PERSON, axis=0)
    events += rng.normal(0, event_sigma, events.shape).astype(np.float32)
    return events, centres, event_sigma


def brute_force(matrix: np.ndarray, norms: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """The k nearest rows by euclidean distance, float32 NumPy."""
    squared = norms - 2.0 * (matrix @ query) + float(query @ query)
    nearest = np.argpartition(squared, k)[:k]
    return nearest[np.argsort(squared[nearest])]


def loaded_memory(path: Path) -> float:
    """Resident memory a fresh process gains loading the saved index (as a web process does)."""
    code = ("import faiss, numpy, sys\n"
            "def rss():\n"
            "    return [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')][0]\n"
            "before = rss()\n"
            "data = open(sys.argv[1], 'rb'); data.readline(); raw = numpy.frombuffer(data.read(), dtype=numpy.uint8)\n"
            "index = faiss.deserialize_index(raw); del raw, data\n"
            "print((rss() - before) / 1024)\n")
    output = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return float(output.stdout.strip())


def search_figures(args) -> None:
    import faiss

    from faces.index import FaceIndex, ivf_index

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(15)
    real, people = real_embeddings()
    same, other = spreads(real, people)
    print(f"real embeddings: {len(real)} photos of {len(set(people))} people; median distance "
          f"same person {same:.3f}, different people {other:.3f}")
    events, centres, event_sigma = synthetic(real, args.events - len(real), same, other, rng)
    vectors = np.concatenate([real, events])
    ids = np.arange(len(vectors), dtype=np.int64)
    started = clock()
    index = FaceIndex("bench", vectors.shape[1])
    index.index = ivf_index(vectors, ids)
    print(f"index of {len(vectors):,} embeddings built (trained, added) in {clock() - started:.1f} s; "
          f"{index.index.nlist} lists, nprobe {index.index.nprobe}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.faiss"
        index.save(path)
        on_disk = path.stat().st_size / 2**20
        memory = loaded_memory(path)
    print(f"index memory: {memory:.0f} MiB resident once loaded (file {on_disk:.0f} MiB; "
          f"the float32 vectors alone would be {vectors.nbytes / 2**20:.0f} MiB)")

    picked = rng.choice(len(centres), args.queries - len(real), replace=False)
    queries = np.concatenate([real, centres[picked] + rng.normal(0, event_sigma, (len(picked), real.shape[1]))])
    queries = queries.astype(np.float32)
    norms = np.einsum("ij,ij->i", vectors, vectors)
    timed_index, timed_scan, recall_index, recall_platform = [], [], [], []
    for query in queries:
        started = clock()
        found = index.search(query, 10)
        timed_index.append(clock() - started)
        started = clock()
        exact = brute_force(vectors, norms, query, 10)
        timed_scan.append(clock() - started)
        recall_index.append(len({event for event, _ in found} & set(exact.tolist())) / 10)
        candidates = np.array([event for event, _ in index.search(query, 21)])  # limit 10: 2 × 10 + 1
        rescored = candidates[np.argsort(np.linalg.norm(vectors[candidates] - query, axis=1))][:10]
        recall_platform.append(len(set(rescored.tolist()) & set(exact.tolist())) / 10)
    big_k = []
    for query in queries[:50]:
        started = clock()
        index.search(query, 201)  # the platform's default: limit 100
        big_k.append(clock() - started)
    median_index, median_scan = statistics.median(timed_index) * 1000, statistics.median(timed_scan) * 1000
    print(f"search, {len(queries)} queries, top 10: index median {median_index:.2f} ms "
          f"(p95 {percentile(timed_index, 0.95) * 1000:.2f}), top 201 (limit 100) median "
          f"{statistics.median(big_k) * 1000:.2f} ms")
    print(f"brute-force NumPy float32 scan, same queries: median {median_scan:.1f} ms "
          f"(p95 {percentile(timed_scan, 0.95) * 1000:.1f}); ratio index / scan {median_index / median_scan:.4f} "
          f"({median_scan / median_index:.0f}x faster)")
    print(f"recall@10 vs the scan: index alone {statistics.mean(recall_index):.3f}, "
          f"as the platform uses it (21 candidates re-scored exactly) {statistics.mean(recall_platform):.3f}")
    same_as_scan = 0
    for query in real:  # each real photo finds the same photos of its person as the scan
        by_index = {event for event, distance in index.search(query, 21) if event < len(real) and distance < 0.6}
        by_scan = {int(event) for event in brute_force(vectors, norms, query, 21)
                   if event < len(real) and np.linalg.norm(vectors[event] - query) < 0.6}
        same_as_scan += by_index == by_scan
    print(f"real photos among the synthetic ones: {same_as_scan} of {len(real)} find the same photos within 0.6 "
          f"as the scan")
    for nprobe in (16, 32, 64, 128, 256):
        index.index.nprobe = nprobe
        timed, recall = [], []
        for query in queries:
            started = clock()
            found = index.search(query, 10)
            timed.append(clock() - started)
            exact = set(brute_force(vectors, norms, query, 10).tolist())
            recall.append(len({event for event, _ in found} & exact) / 10)
        print(f"  nprobe {nprobe:3}: median {statistics.median(timed) * 1000:.2f} ms, "
              f"recall@10 {statistics.mean(recall):.3f}")


def spot_pictures(full: bool) -> list[bytes]:
    from PIL import Image

    pictures = []
    for path in sorted(FACES.glob("probe/*/*.jpg")):
        if full:
            pictures.append(path.read_bytes())
            continue
        image = Image.open(path).convert("RGB")
        image.thumbnail((320, 320))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        pictures.append(buffer.getvalue())
    return pictures


def embedding_figures(args) -> None:
    from faces.engine import picture_embedding

    for full, label in ((False, "spot pictures as bench/events.py sends them (probe photos at 320 px)"),
                        (True, "full-size probe photos (0.3 to 3.3 MP)")):
        pictures = spot_pictures(full)
        picture_embedding(pictures[0])  # the engine loads once per worker process
        done, started = 0, clock()
        while clock() - started < args.seconds:
            picture_embedding(pictures[done % len(pictures)])
            done += 1
        print(f"background embedding, {label}: {done / (clock() - started):.1f} events/s on one core")


def stranger_world(args, rng) -> tuple[list[int], np.ndarray, list[int]]:
    """The clusters already there (a sighting each) and the stranger events to assign: their
    ids, in arrival order, and each one's person (for the purity check)."""
    from datetime import UTC, datetime, timedelta

    from devices.models import Box
    from events.models import Event
    from faces.engine import current_model
    from faces.models import ClusteringState, FaceEmbedding, StrangerCluster, StrangerSighting

    real, people = real_embeddings()
    same, other = spreads(real, people)
    new_people = max(1, args.stranger_events // 10)
    _, centres, sigma = synthetic(real, (args.clusters + new_people) * PER_PERSON, same, other, rng)
    box = Box.objects.create(name="bench", dev_sno="BENCHSTRANGERS0001")
    start, model = datetime(2026, 1, 1, tzinfo=UTC), current_model()

    def make_events(persons: np.ndarray, offset: int) -> list[int]:
        vectors = (centres[persons] + rng.normal(0, sigma, (len(persons), centres.shape[1]))).astype("<f4")
        events = Event.objects.bulk_create(
            Event(box=box, dedup_key=f"{offset + i}", occurred_at=start + timedelta(seconds=offset + i),
                  timestamp_ms=offset + i, identity_id=f"stranger_{offset + i}", score=0.3, person_type=4)
            for i in range(len(persons)))
        ids = list(Event.objects.filter(box=box, timestamp_ms__gte=offset).order_by("timestamp_ms")
                   .values_list("id", flat=True)[:len(persons)])
        FaceEmbedding.objects.bulk_create(FaceEmbedding(event_id=event_id, vector=vector.tobytes(), model=model,
                                                        source="box", quality=4.5)
                                          for event_id, vector in zip(ids, vectors, strict=True))
        return ids if events else []

    existing = np.arange(args.clusters)
    seeded = make_events(existing, 0)
    clusters = StrangerCluster.objects.bulk_create(
        StrangerCluster(model=model, centroid=centres[i].astype("<f4").tobytes(), sightings_count=1, box_count=1,
                        revision=1) for i in existing)
    StrangerSighting.objects.bulk_create(
        StrangerSighting(cluster_id=cluster.pk, event_id=event_id, box=box, occurred_at=start, score=1.0)
        for cluster, event_id in zip(clusters, seeded, strict=True))
    ClusteringState.objects.update_or_create(pk=1, defaults={"revision": 1})
    arriving = np.where(rng.random(args.stranger_events) < 0.8, rng.integers(0, args.clusters, args.stranger_events),
                        args.clusters + rng.integers(0, new_people, args.stranger_events))
    return make_events(arriving, args.clusters), centres, arriving.tolist()


def clustering_figures(args) -> None:
    from django.core.management import call_command

    from faces.clustering import _current_centroids, assign_strangers

    call_command("migrate", verbosity=0)
    ids, centres, persons = stranger_world(args, np.random.default_rng(3))
    assign_strangers(ids[:1])  # the worker's first task reads every centroid once
    centroids = _current_centroids()
    print(f"stranger clustering: {centroids.count:,} clusters already there, {len(ids) - 1:,} stranger events "
          f"to assign ({args.stranger_events // 10} new people among them)")
    middle = len(ids) // 2
    for batch, part in ((1, ids[1:middle]), (20, ids[middle:])):
        cpu, wall = clock(), time.perf_counter()
        for first in range(0, len(part), batch):
            assign_strangers(part[first:first + batch])
        cpu, wall = clock() - cpu, time.perf_counter() - wall
        print(f"  {batch:2} event(s) per task: {len(part) / cpu:,.0f} events/s on one core (CPU time; "
              f"{len(part) / wall:,.0f}/s by the wall clock, database writes included)")
    started = clock()
    for vector in centres[:200].astype(np.float32):
        centroids.nearest(vector)
    print(f"  nearest centroid among {centroids.count:,}: {(clock() - started) / 200 * 1e6:.0f} µs per event")
    clustering_purity(ids, persons)


def clustering_purity(ids: list[int], persons: list[int]) -> None:
    """How the synthetic people came out: each one's events in one cluster, no cluster mixing people."""
    from faces.models import StrangerSighting

    joined = dict(StrangerSighting.objects.filter(event_id__in=ids).values_list("event_id", "cluster_id"))
    clusters_of, people_of = {}, {}
    for event_id, person in zip(ids, persons, strict=True):
        clusters_of.setdefault(person, set()).add(joined.get(event_id))
        people_of.setdefault(joined.get(event_id), set()).add(person)
    whole = sum(len(clusters) == 1 for clusters in clusters_of.values())
    mixed = sum(len(people) > 1 for people in people_of.values())
    print(f"  {whole} of {len(clusters_of)} people have all their events in one cluster; "
          f"{mixed} clusters mix people")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--stranger-events", type=int, default=4_000)
    parser.add_argument("--parts", default="embedding,search,clustering")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aibox-bench-faces-") as var_dir:
        configure_environment(var_dir)
        # This script is faces.py: the platform's package of that name must win the import (Celery
        # puts the working directory first on sys.path, so work from the repository).
        here = Path(__file__).resolve().parent
        sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
        os.chdir(here.parent)
        os.environ["FACE_ENGINE_THREADS"] = "1"
        import django

        django.setup()  # faces/ is a Django app; only the clustering part uses a (throw-away) database
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; times are CPU time of core 0")
        parts = args.parts.split(",")
        if "embedding" in parts:
            embedding_figures(args)
        if "search" in parts:
            search_figures(args)
        if "clustering" in parts:
            clustering_figures(args)


if __name__ == "__main__":
    main()
