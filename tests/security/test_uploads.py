"""Uploads and imports cannot make the platform read or unpack more than a photo's worth.

Each limit is proven by measuring the peak memory of a fresh process doing the work
(tests/security/peak_memory.py), since reading the code proves nothing about memory.
"""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from users.models import ImportJob

from ..paths import FACES

CHILD = Path(__file__).with_name("peak_memory.py")
MIB = 1024


def measure(tmp_path: Path, *args: str) -> dict:
    run = subprocess.run([sys.executable, str(CHILD), args[0], str(tmp_path / "var"), *args[1:]],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def write_bomb(path: Path, unpacked: int) -> None:
    """A zip whose one 'photo' unpacks to `unpacked` bytes of zeros (about 1 MB per GiB packed)."""
    block = bytes(16 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("obama.jpg", (FACES / "enroll/obama/1.jpg").read_bytes())
        with archive.open("bomb.jpg", "w", force_zip64=True) as entry:
            for _ in range(unpacked // len(block)):
                entry.write(block)


def test_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    (tmp_path / "var").mkdir()
    bomb = tmp_path / "photos.zip"
    write_bomb(bomb, 1024 * 1024 * 1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    people = tmp_path / "people.csv"
    people.write_text("name,photo\nBomb,bomb.jpg\nBarack,obama.jpg\n")
    outcome = measure(tmp_path, "import_zip", str(people), str(bomb))
    rows = {row["name"]: row for row in outcome["report"]}
    assert rows["Bomb"]["ok"] is False and "unpacks to" in rows["Bomb"]["message"]
    assert rows["Barack"]["ok"] is True
    assert outcome["grew_kib"] < 150 * MIB, outcome["grew_kib"]


def test_oversized_photo_upload_is_refused_while_streaming(tmp_path):
    (tmp_path / "var").mkdir()
    outcome = measure(tmp_path, "post_file", "/people/new/", "photo_file", str(50 * 1024 * 1024),
                      str(tmp_path / "body"))
    assert outcome["status"].startswith("200"), outcome["status"]  # the form again, with the reason
    assert "at most 10.0\xa0MB is accepted" in outcome["body"] or "at most 10.0 MB is accepted" in outcome["body"]
    assert outcome["grew_kib"] < 20 * MIB, outcome["grew_kib"]


def test_console_import_leaves_no_upload_behind(client, admin_user, settings, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/people/import/", {"csv_file": SimpleUploadedFile("people.csv", b"name,photo\nNobody,\n")})
    job = ImportJob.objects.get()
    assert job.state == "done" and len(job.report) == 1
    assert not Path(job.csv_path).exists()
    assert not list((Path(settings.MEDIA_ROOT) / "imports").glob("*/*"))


def test_tiny_file_of_huge_dimensions_is_refused_from_its_header(tmp_path):
    """A 5 KB blank 6300x6300 PNG cost the web process 400 MB when decoded whole."""
    from PIL import Image

    (tmp_path / "var").mkdir()
    bomb = tmp_path / "blank.png"
    Image.new("L", (6300, 6300), 255).save(bomb, optimize=True)
    assert bomb.stat().st_size < 100 * 1024
    outcome = measure(tmp_path, "check_photo", str(bomb))
    assert outcome["accepted"] is False and outcome["code"] == 40007, outcome
    assert outcome["grew_kib"] < 20 * MIB, outcome["grew_kib"]


def test_pillow_bomb_guard_is_on_in_every_process():
    from PIL import Image

    import edge_agent.face.decode  # noqa: F401  (the module that used to switch it off)

    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS <= 20000 * 20000
