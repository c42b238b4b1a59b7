"""`python -m edge_agent.face` as an operator runs it."""
import csv
import json
import subprocess
import sys

from tests.paths import REPO


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "edge_agent.face", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=True)
    return done.stdout


def test_detect_prints_json_lines_with_faces_and_errors(faces_dir, tmp_path):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a jpeg")
    out = run("detect", str(faces_dir / "scenes/two_people.jpg"), str(junk))
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines[0]["faces"]) == 2
    face = lines[0]["faces"][0]
    assert {"bbox", "score", "landmarks", "quality", "fiqa"} <= set(face) and len(face["landmarks"]) == 5
    assert lines[1]["error"]["code"] == 40003


def test_identify_names_probes_and_rejects_the_stranger(faces_dir):
    out = run("identify", "--gallery", str(faces_dir / "enroll"), "--probe", str(faces_dir / "probe"))
    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == 12
    for path, who, *_ in rows:
        expected = path.split("/")[-2]
        assert who == ("unknown" if expected == "stranger" else expected), path


def test_pairs_prints_distances_and_accuracy(faces_dir, tmp_path):
    photos = sorted(p.relative_to(faces_dir).as_posix() for p in (faces_dir / "probe").rglob("*") if p.is_file())
    photos += sorted(p.relative_to(faces_dir).as_posix() for p in (faces_dir / "enroll").rglob("*") if p.is_file())
    table = tmp_path / "pairs.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_x", "file_y", "Decision"])
        for i, x in enumerate(photos):
            for y in photos[i + 1 :]:
                writer.writerow([x, y, "Yes" if x.split("/")[1] == y.split("/")[1] else "No"])
    lines = run("pairs", "--csv", str(table), "--images", str(faces_dir)).splitlines()
    assert lines[-1] == "accuracy=1.0000"
    assert len(lines) == len(photos) * (len(photos) - 1) // 2 + 1
