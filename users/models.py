"""The people registry: people, their photos, groups and bulk imports (the commands that put
them on boxes are distribution.models)."""
import uuid

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
    photo = models.CharField(max_length=200, blank=True, default="", help_text="Storage path of the face photo.")
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
