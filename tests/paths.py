"""Where the tests find the repository and the shared face photos (read-only: copy what a test changes)."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FACES = Path(os.environ.get("AIBOX_FACES_DIR", REPO.parent / "shared" / "datasets" / "faces"))
IDENTITIES = ["alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie"]
