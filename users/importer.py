"""Bulk import: a CSV of people plus a folder or .zip of their photos.

CSV columns (header row; only `name` is required):
  identity_id  – kept when given (an existing person is updated), generated when empty
  name
  type         – 1..5 or staff / visitor / blacklist / stranger / VIP (default staff)
  groups       – permission group names separated by ';' or '|' (created when missing)
  photo        – file name inside the photo folder or zip
Each row succeeds or fails alone; the report says why. People are sent to their boxes
in batches once the whole file is in.
"""
from __future__ import annotations

import csv
import io
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


class PhotoSource:
    def __init__(self, path: str) -> None:
        self.path = Path(path) if path else None
        self.zip = zipfile.ZipFile(self.path) if self.path and self.path.suffix.lower() == ".zip" else None
        self.zip_names = {PurePosixPath(n).name: n for n in self.zip.namelist()} if self.zip else {}

    def read(self, name: str) -> bytes:
        if not name:
            raise LookupError("no photo named in the row")
        safe = PurePosixPath(name.replace("\\", "/")).name  # never leave the folder
        if self.zip is not None:
            if safe not in self.zip_names:
                raise LookupError(f"photo {name!r} is not in the zip")
            return self._read_zipped(self.zip_names[safe])
        if self.path is None or not (self.path / safe).is_file():
            raise LookupError(f"photo {name!r} not found")
        if (self.path / safe).stat().st_size > settings.PHOTO_MAX_BYTES:
            raise ValueError(f"photo {name!r} is larger than {settings.PHOTO_MAX_BYTES} bytes")
        return (self.path / safe).read_bytes()

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
    photo_name = (row.get("photo") or "").strip()
    existing = Person.objects.filter(identity_id=identity_id).first() if identity_id else None
    photo = photos.read(photo_name) if (photo_name or existing is None) else None
    with transaction.atomic():
        groups = parse_groups(row.get("groups", ""))
        if existing:
            services.update_person(existing, photo=photo, permission_groups=groups, name=name,
                                   person_type=person_type, distribute=False)
            return existing.identity_id, "updated", False
        person = services.create_person(name=name, identity_id=identity_id, person_type=person_type, photo=photo,
                                         permission_groups=groups, distribute=False)
        return person.identity_id, "created", True


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
        except ContractCodeError as exc:
            entry.update(ok=False, message=f"photo refused: {exc.message} (code {exc.code})")
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
