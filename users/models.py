"""The people registry: people, their photos, groups and bulk imports (the commands that put
them on boxes are distribution.models)."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aibox_contract import people
from devices.models import Area, Box


class PersonType(models.IntegerChoices):
    """The contract's person types (aibox_contract.people) as model choices, labels translated."""

    STAFF = people.STAFF, _(people.PERSON_TYPES[people.STAFF].label)
    VISITOR = people.VISITOR, _(people.PERSON_TYPES[people.VISITOR].label)
    BLACKLIST = people.BLACKLIST, _(people.PERSON_TYPES[people.BLACKLIST].label)
    STRANGER = people.STRANGER, _(people.PERSON_TYPES[people.STRANGER].label)
    VIP = people.VIP, _(people.PERSON_TYPES[people.VIP].label)


class PermissionGroup(models.Model):
    """People allowed through the boxes bound to the group (upstream `permission_ids`)."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="permission_id on the wire")
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True, default="")
    boxes = models.ManyToManyField(Box, related_name="permission_groups", blank=True)
    # The group's people are served to every box in these areas and the areas below them.
    areas = models.ManyToManyField(Area, related_name="permission_groups", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FaceGroup(models.Model):
    """A comparison group on the box (its local `group_name`)."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    identity_id = models.CharField(max_length=64, unique=True, help_text=_("Unique id the boxes know the person by."))
    name = models.CharField(max_length=100, db_index=True)
    person_type = models.PositiveSmallIntegerField(choices=PersonType.choices, default=PersonType.STAFF)
    permission_groups = models.ManyToManyField(PermissionGroup, related_name="people", blank=True)
    face_groups = models.ManyToManyField(FaceGroup, related_name="people", blank=True)
    info = models.JSONField(default=dict, blank=True, help_text="Extra fields, sent to boxes inside `info`.")
    # The person's primary photo (the one a stock box gets), kept equal to their primary
    # PersonPhoto by users.services; every photo, with its quality, is a PersonPhoto.
    photo = models.CharField(max_length=200, blank=True, default="",
                             help_text="Storage path of the primary face photo.")
    photo_sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    thumbnail = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.identity_id})"

    @property
    def register_type(self) -> int:
        """Upstream: 1 regular enrolment (FIQA level high), 2 a stranger's (level custom)."""
        return 2 if self.person_type == PersonType.STRANGER else 1

    @property
    def gate_level(self) -> str:
        """The FIQA level a box enrols this person's photos at (CONTRACT §3: register_type 1 → high, 2 → custom)."""
        return "custom" if self.register_type == 2 else "high"


class PersonPhoto(models.Model):
    """One of a person's face photos (at most MAX_PHOTOS_PER_PERSON, users.services), with the
    quality verdict the boxes' face engine gave it at upload (users/quality.py). The primary one
    is also the person's `photo`: what a stock box gets (§6.1); our agent gets them all."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="photos")
    path = models.CharField(max_length=200, help_text="Storage path (content-addressed, users/photos.py).")
    sha256 = models.CharField(max_length=64, db_index=True)
    thumbnail = models.CharField(max_length=200, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0, help_text="Upload order.")
    is_primary = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False, help_text="Made primary by an administrator (else the best one is).")
    # The verdict (users/quality.py): measured on the photo's main face, as the box picks it.
    assessed = models.BooleanField(default=False, help_text="False when no face engine could judge the photo.")
    face_count = models.PositiveSmallIntegerField(default=0)
    face_size = models.PositiveIntegerField(null=True, blank=True, help_text="Shorter side of the face box, px.")
    sharpness = models.FloatField(null=True, blank=True, help_text="FIQA clarity (about 1..3 when sharp).")
    brightness = models.FloatField(null=True, blank=True)
    yaw = models.FloatField(null=True, blank=True)
    pitch = models.FloatField(null=True, blank=True)
    roll = models.FloatField(null=True, blank=True)
    partial = models.BooleanField(default=False)
    levels = models.JSONField(default=dict, blank=True,
                              help_text="Per FIQA level: {code, fails} as the box's enrolment would answer.")
    score = models.FloatField(default=0.0, help_text="Levels passed, plus sharpness and size: the best is the highest.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "sha256"], name="one_copy_of_a_photo_per_person")]

    def __str__(self) -> str:
        return f"photo {self.position} of {self.person_id}"

    @property
    def face_found(self) -> bool:
        return self.face_count > 0

    def code_at(self, level: str) -> int | None:
        """The contract code the box's enrolment would answer at `level` (0 accepts), None unassessed."""
        verdict = self.levels.get(level)
        return None if verdict is None else int(verdict["code"])

    def passes(self, level: str) -> bool:
        return self.code_at(level) == 0

    @property
    def passes_gate(self) -> bool:
        """Whether a box would enrol this photo for its person (their gate level)."""
        return self.passes(self.person.gate_level)


class ImportJob(models.Model):
    """A bulk import of people from a CSV and their photos, with progress and a per-row report."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    csv_path = models.CharField(max_length=300)
    photos_path = models.CharField(max_length=300, blank=True, default="", help_text="A folder or a .zip")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.state}, {self.processed}/{self.total})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else (100 if self.state == "done" else 0)
