"""Bulk import: a CSV of people plus a folder or .zip of their photos.

CSV columns (header row; only `name` is required):
  identity_id  – kept when given (an existing person is updated), generated when empty
  name
  type         – 1..5 or staff / visitor / blacklist / stranger / VIP (default staff)
  groups       – permission group names separated by ';' or '|' (created when missing)
  photo        – the person's photos (at most 5) inside the photo folder or zip: file names
                 separated by ';' or '|', or a folder holding them; empty: the files named after
                 the identity_id, <identity_id>.jpg, <identity_id>_2.jpg ... <identity_id>_5.jpg
                 (any image extension)
Each row succeeds or fails alone; the report says why, and which photos a box would refuse
(each photo is judged by the boxes' face engine; the best one becomes primary). The photos
named replace the person's photos. People are sent to their boxes in batches once the whole
file is in.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aibox_contract.codes import ContractCodeError

from . import services
from .models import ImportJob, PermissionGroup, Person, PersonType
from .signals import announce_people_changed

TYPE_NAMES = {label.lower(): value for value, label in PersonType.choices}
PROGRESS_EVERY = 10


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
NUMBERED = re.compile(r"^(?P<stem>.+?)(?:_(?P<number>[2-9]))?$")


class PhotoSource:
    """The photos of an import: a folder or a zip. Names are paths inside it (`a/b.jpg`), or bare
    file names found anywhere in it (as before folders per person existed)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path) if path else None
        self.zip = zipfile.ZipFile(self.path) if self.path and self.path.suffix.lower() == ".zip" else None
        if self.zip is not None:
            files = [n for n in self.zip.namelist() if not n.endswith("/")]
        elif self.path is not None and self.path.is_dir():
            files = [p.relative_to(self.path).as_posix() for p in sorted(self.path.rglob("*")) if p.is_file()]
        else:
            files = []
        self.files = {PurePosixPath(n).as_posix(): n for n in files}  # relative path -> member
        self.by_name = {PurePosixPath(n).name: n for n in reversed(files)}  # bare name -> first member

    def _member(self, name: str) -> str:
        clean = PurePosixPath(name.replace("\\", "/").strip("/"))
        if ".." in clean.parts:  # never leave the folder
            raise LookupError(f"photo {name!r} is outside the photos")
        found = self.files.get(clean.as_posix()) or self.by_name.get(clean.name)
        if found is None:
            raise LookupError(f"photo {name!r} not found" if self.zip is None else f"photo {name!r} is not in the zip")
        return found

    def read(self, name: str) -> bytes:
        if not name:
            raise LookupError("no photo named in the row")
        member = self._member(name)
        if self.zip is not None:
            return self._read_zipped(member)
        target = self.path / member
        if target.stat().st_size > settings.PHOTO_MAX_BYTES:
            raise ValueError(f"photo {name!r} is larger than {settings.PHOTO_MAX_BYTES} bytes")
        return target.read_bytes()

    def names_for(self, value: str, identity_id: str) -> list[str]:
        """The photos a row names: files separated by ';' or '|', a folder (its images), or,
        when it names none, those named after the identity_id (<id>.jpg, <id>_2.jpg ...)."""
        names = []
        for item in (n.strip() for n in (value or "").replace("|", ";").split(";")):
            if not item:
                continue
            folder = PurePosixPath(item.replace("\\", "/").strip("/")).as_posix() + "/"
            inside = sorted(path for path in self.files if path.startswith(folder) and self._is_image(path))
            names += inside or [item]
        if not names and identity_id:
            names = self._named_after(identity_id)
        return names

    @staticmethod
    def _is_image(path: str) -> bool:
        return PurePosixPath(path).suffix.lower() in IMAGE_SUFFIXES

    def _named_after(self, identity_id: str) -> list[str]:
        found = []
        for path in self.files:
            match = NUMBERED.match(PurePosixPath(path).stem)
            if self._is_image(path) and match and match["stem"] == identity_id:
                found.append((int(match["number"] or 1), path))
        return [path for _, path in sorted(found)]

    def _read_zipped(self, member: str) -> bytes:
        """The entry's bytes, refused before reading when its stated size or ratio is a bomb's,
        and read in chunks that stop at the limit whatever the header claims."""
        limit = settings.PHOTO_MAX_BYTES
        info = self.zip.getinfo(member)
        if info.file_size > limit:
            raise ValueError(f"photo {member!r} unpacks to {info.file_size} bytes (at most {limit})")
        if info.compress_size and info.file_size / info.compress_size > settings.IMPORT_ZIP_MAX_RATIO:
            raise ValueError(f"photo {member!r} is compressed {info.file_size // info.compress_size}:1, "
                             "more than any photo is: refused as a zip bomb")
        chunks, size = [], 0
        with self.zip.open(info) as entry:
            while chunk := entry.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise ValueError(f"photo {member!r} unpacks to more than {limit} bytes")
                chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def parse_type(value: str) -> int:
    value = (value or "").strip()
    if not value:
        return PersonType.STAFF
    if value.isdigit() and int(value) in PersonType.values:
        return int(value)
    if value.lower() in TYPE_NAMES:
        return TYPE_NAMES[value.lower()]
    raise ValueError(f"unknown type {value!r} (1-5 or {', '.join(TYPE_NAMES)})")


def parse_groups(value: str) -> list[PermissionGroup]:
    names = [n.strip() for n in (value or "").replace("|", ";").split(";") if n.strip()]
    return [PermissionGroup.objects.get_or_create(name=name)[0] for name in names]


def import_row(row: dict, photos: PhotoSource) -> tuple[str, str, bool]:
    """(identity_id, what happened, created) for one row; raises with the reason on failure."""
    name = (row.get("name") or "").strip()
    if not name:
        raise ValueError("name is empty")
    identity_id = (row.get("identity_id") or "").strip()
    person_type = parse_type(row.get("type", ""))
    existing = Person.objects.filter(identity_id=identity_id).first() if identity_id else None
    names = photos.names_for(row.get("photo") or "", identity_id)
    if not names and existing is None:
        raise LookupError("no photo named in the row" + (f" nor named {identity_id}.jpg" if identity_id else ""))
    if len(names) > services.MAX_PHOTOS_PER_PERSON:
        raise ValueError(f"{len(names)} photos: a person can have at most {services.MAX_PHOTOS_PER_PERSON}")
    images = [photos.read(photo) for photo in names]
    with transaction.atomic():
        groups = parse_groups(row.get("groups", ""))
        if existing:
            person = services.update_person(existing, permission_groups=groups, name=name, person_type=person_type,
                                            distribute=False)
            outcome, created = "updated", False
        else:
            person = services.create_person(name=name, identity_id=identity_id, person_type=person_type,
                                             permission_groups=groups, distribute=False)
            outcome, created = "created", True
        if images:
            services.replace_person_photos(person, images, distribute=False)
        return person.identity_id, outcome + photo_summary(person), created


def photo_summary(person: Person) -> str:
    """What the report says of a person's photos: how many, and those a box would refuse, why."""
    photos = list(services.photos_of(person))
    refused = [(number, photo) for number, photo in enumerate(photos, start=1) if photo.assessed
               and not photo.passes(person.gate_level)]
    summary = f" ({len(photos)} photo{'s' if len(photos) != 1 else ''}"
    for number, photo in refused:
        fails = ", ".join(photo.levels[person.gate_level]["fails"])
        summary += f"; photo {number} would be refused by boxes: {fails}"
    return summary + ")"


def run_import(job: ImportJob) -> ImportJob:
    """Import every row, then remove the uploaded CSV and zip (the per-row report stays)."""
    try:
        return _import_rows(job)
    finally:
        remove_uploads(job)


def remove_uploads(job: ImportJob) -> None:
    """Delete an import's uploaded files when the console stored them (media/imports/<id>/);
    files named on the command line (`manage.py import_people`) are the operator's and stay."""
    imports = (Path(settings.MEDIA_ROOT) / "imports").resolve()
    for name in (job.csv_path, job.photos_path):
        path = Path(name).resolve() if name else None
        if path and path.parent.parent == imports and path.is_file():
            path.unlink()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()


def _import_rows(job: ImportJob) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    try:
        text = Path(job.csv_path).read_bytes().decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        photos = PhotoSource(job.photos_path)
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, csv.Error) as exc:
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.FAILED, error=str(exc),
                                                   finished_at=timezone.now())
        job.refresh_from_db()
        return job
    if not rows or "name" not in rows[0]:
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, error="The CSV needs a header row with at least a `name` column.",
            finished_at=timezone.now())
        job.refresh_from_db()
        return job
    job.total, job.report, created, updated = len(rows), [], [], []
    for number, row in enumerate(rows, start=2):  # line numbers as a spreadsheet shows them
        entry = {"line": number, "identity_id": (row.get("identity_id") or "").strip(), "name": row.get("name", "")}
        try:
            identity_id, outcome, is_new = import_row(row, photos)
            (created if is_new else updated).append(identity_id)
            entry.update(identity_id=identity_id, ok=True, message=outcome)
            job.succeeded += 1
        except (ContractCodeError, services.PhotoRejected) as exc:
            code = f" (code {exc.code})" if exc.code else ""
            entry.update(ok=False, message=f"photo refused: {exc.message}{code}")
            job.failed += 1
        except (ValueError, LookupError, services.DuplicateIdentity) as exc:
            entry.update(ok=False, message=str(exc))
            job.failed += 1
        job.report.append(entry)
        job.processed += 1
        if job.processed % PROGRESS_EVERY == 0:
            job.save(update_fields=["total", "processed", "succeeded", "failed", "report"])
    photos.close()
    with transaction.atomic():
        announce_people_changed(created)
        announce_people_changed(updated, refresh=True)
    job.state, job.finished_at = ImportJob.State.DONE, timezone.now()
    job.save()
    return job
