"""`python -m edge_agent.face`: detect, identify, pairs and bench on the command line."""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from aibox_contract.codes import ContractCodeError

from .engine import FaceEngine

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"}


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def error_dict(exc: ContractCodeError) -> dict:
    return {"code": exc.code, "message": exc.message, "status": exc.status}


def cmd_detect(engine: FaceEngine, args: argparse.Namespace) -> int:
    for path in args.images:
        line: dict = {"file": str(path)}
        try:
            analysis = engine.analyse(Path(path).read_bytes(), embed=False)
            line["faces"] = [{**face.to_dict(), "fiqa": face.fiqa(args.level)} for face in analysis.faces]
        except ContractCodeError as exc:
            line["error"] = error_dict(exc)
        print(json.dumps(line), flush=True)
    return 0


def cmd_identify(engine: FaceEngine, args: argparse.Namespace) -> int:
    from .gallery import Person

    gallery = engine.new_gallery(":memory:")
    for folder in sorted(p for p in args.gallery.iterdir() if p.is_dir()):
        for photo in image_files(folder):
            try:
                face = engine.enrol(photo.read_bytes(), level=args.level)
            except ContractCodeError as exc:
                print(f"# not enrolled: {photo}: {exc.code} {exc.message}", file=sys.stderr)
                continue
            # One entry per photo; several photos of one person each count as that person.
            gallery.upsert(Person(f"{folder.name}/{photo.name}", name=folder.name), face.embedding)
    print(f"# gallery: {len(gallery)} photos", file=sys.stderr)
    for probe in image_files(args.probe):
        try:
            results = engine.identify(probe.read_bytes(), gallery, threshold=args.threshold)
        except ContractCodeError as exc:
            print(f"{probe}\terror {exc.code}: {exc.message}")
            continue
        if not results:
            print(f"{probe}\tno face")
        for face, match in results:
            who = match.person.name if match else "unknown"
            distance = f"{match.distance:.3f}" if match else "-"
            print(f"{probe}\t{who}\t{distance}\t{face.box}")
    return 0


def cmd_pairs(engine: FaceEngine, args: argparse.Namespace) -> int:
    """Pairs whose images show no face are predicted "No" (cannot be the same person)."""
    threshold = engine.threshold if args.threshold is None else args.threshold
    cache: dict[str, object] = {}

    def embedding(name: str):
        if name not in cache:
            try:
                cache[name] = engine.enrol((args.images / name).read_bytes(), level="no").embedding
            except (ContractCodeError, OSError) as exc:
                print(f"# {name}: {exc}", file=sys.stderr)
                cache[name] = None
        return cache[name]

    right = total = 0
    with open(args.csv, newline="") as handle:
        for row in csv.DictReader(handle):
            a, b = embedding(row["file_x"]), embedding(row["file_y"])
            distance = engine.distance(a, b) if a is not None and b is not None else float("inf")
            predicted = "Yes" if distance < threshold else "No"
            truth = row["Decision"].strip().capitalize()
            right += predicted == truth
            total += 1
            print(f"{row['file_x']},{row['file_y']},{distance:.4f},{truth},{predicted}")
    print(f"accuracy={right / total if total else 0:.4f}")
    return 0


def cmd_bench(engine_unused, args: argparse.Namespace) -> int:
    from .bench import run_bench

    run_bench(args)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge_agent.face", description=__doc__)
    parser.add_argument("--models", type=Path, help="model folder (default: AIBOX_MODELS, else the source "
                                               "checkout's models/, else ./models)")
    parser.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0 = all cores)")
    sub = parser.add_subparsers(dest="command", required=True)

    detect = sub.add_parser("detect", help="JSON lines with faces, boxes, landmarks and quality")
    detect.add_argument("images", nargs="+", type=Path)
    detect.add_argument("--level", default="high", help="FIQA level to judge against")

    identify = sub.add_parser("identify", help="enrol GALLERY/<identity>/* and name every face of the probes")
    identify.add_argument("--gallery", type=Path, required=True)
    identify.add_argument("--probe", type=Path, required=True)
    identify.add_argument("--threshold", type=float)
    identify.add_argument("--level", default="high", help="FIQA level enrolment photos must pass")

    pairs = sub.add_parser("pairs", help="verify pairs from a CSV (file_x,file_y,Decision) and print accuracy")
    pairs.add_argument("--csv", type=Path, required=True)
    pairs.add_argument("--images", type=Path, required=True)
    pairs.add_argument("--threshold", type=float)

    bench = sub.add_parser("bench", help="per-stage timings, search over 50 000 people, ratio to dlib")
    bench.add_argument("--images", type=Path, default=Path(__file__).resolve().parents[3] / "shared/datasets/faces")
    bench.add_argument("--repeat", type=int, default=5)
    bench.add_argument("--gallery-size", type=int, default=50_000)
    bench.add_argument("--all-cores", action="store_true", help="do not pin the process to one core")

    args = parser.parse_args(argv)
    if args.command == "bench":
        return cmd_bench(None, args)
    engine = FaceEngine(args.models, threads=args.threads)
    return {"detect": cmd_detect, "identify": cmd_identify, "pairs": cmd_pairs}[args.command](engine, args)


if __name__ == "__main__":
    sys.exit(main())
