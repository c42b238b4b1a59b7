"""Enrolment: a person and a photo into the gallery. One path for the platform's commands
(add_users_plus, edge_agent/commands.py) and the box's own API (POST/PUT users, part 2 §4.3).

The face engine checks the photo first (no face, low quality, too small: its contract
codes, as ContractCodeError); only a photo it accepts is kept and the person stored,
with a new image_id (part 2 §4.3: the id of the enrolled face, new with each photo).
Who the person is and which groups they are in is the caller's: the two paths differ there.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from aibox_contract.codes import NO_FACE, ContractCodeError

from .face.engine import FaceEngine
from .face.gallery import Gallery, Person
from .local_data import IMAGE_ID, new_image_id
from .photos import PhotoStore

# The engine's quality levels (FIQA): a cloud's register_type 2 and a local type-4 person
# (upstream: enrolled by a custom rule) take the custom level; everyone else the high one.
HIGH, CUSTOM = "high", "custom"


class Enroller:
    def __init__(self, engine: FaceEngine, gallery: Gallery, photos: PhotoStore) -> None:
        self.engine = engine
        self.gallery = gallery
        self.photos = photos

    def enrol(self, person: Person, photo: bytes, level: str = HIGH) -> Person:
        """Check the photo, keep it and store the person with its face; the person as stored.
        Refused photos raise ContractCodeError and change nothing."""
        embedding = self.embedding(photo, level)
        enrolled = replace(person, extra={**person.extra, IMAGE_ID: new_image_id()})
        self.photos.save(person.identity_id, photo)
        self.gallery.upsert(enrolled, embedding)
        return enrolled

    def enrol_all(self, person: Person, photos: list[bytes], level: str = HIGH) -> Person:
        """Enrol a person with several photos (our platform's `ext_photos`), one face each: every
        photo the engine accepts is kept as a face of theirs, the first accepted one as their
        photo; the person matches by their best-matching face. Refused only when every photo is
        (raising the first photo's error); then nothing changes."""
        faces, kept, first_error = [], None, None
        for photo in photos:
            try:
                faces.append(self.embedding(photo, level))
            except ContractCodeError as exc:
                first_error = first_error or exc
                continue
            kept = photo if kept is None else kept
        if not faces:
            raise first_error or ContractCodeError(NO_FACE, "No photo to enrol.")
        enrolled = replace(person, extra={**person.extra, IMAGE_ID: new_image_id()})
        self.photos.save(person.identity_id, kept)
        self.gallery.upsert(enrolled, np.stack(faces))
        return enrolled

    def embedding(self, photo: bytes, level: str = HIGH) -> np.ndarray:
        """The face of an acceptable photo (ContractCodeError otherwise), nothing stored."""
        return self.engine.enrol(photo, level=level).embedding

    def update(self, person: Person) -> Person:
        """Change who a person is or their groups, keeping their face and photo."""
        self.gallery.upsert(person, self.gallery.embeddings(person.identity_id))
        return person
