"""People, their photos and groups, and the commands that put them on boxes."""
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from aibox_contract import people
from devices.models import Box


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


class Command(models.Model):
    """One MQ message to one box, tracked to its result."""

    class Method(models.TextChoices):
        ADD_USERS = "add_users_plus"
        DELETE_USERS = "delete_users"
        WIPE_DATA = "wipe_data"
        FIQA = "fiqa"

    class State(models.TextChoices):
        # Labels as Django derived them before they were translated (the migrations keep them).
        QUEUED = "queued", _("Queued")
        PUBLISHED = "published", _("Published")
        DONE = "done", _("Done")
        PARTLY_FAILED = "partly_failed", _("partly failed")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    FINISHED = (State.DONE, State.PARTLY_FAILED, State.FAILED, State.EXPIRED)

    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="commands")
    method = models.CharField(max_length=20, choices=Method.choices)
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # Why the last attempt to hand the command to RabbitMQ failed; empty once it is published.
    publish_error = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["box", "state"])]

    def __str__(self) -> str:
        return f"{self.method} → {self.box.name} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED


class CommandOutcome(models.Model):
    """What the box said about one person in one command."""

    command = models.ForeignKey(Command, on_delete=models.CASCADE, related_name="outcomes")
    identity_id = models.CharField(max_length=64)
    success = models.BooleanField()
    code = models.IntegerField()
    message = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["identity_id"]
        constraints = [models.UniqueConstraint(fields=["command", "identity_id"], name="one_outcome_per_person")]

    def __str__(self) -> str:
        return f"{self.identity_id}: {self.code} {self.message}"


class Enrolment(models.Model):
    """Where a person stands on a box: what the platform last asked and what the box answered."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ENROLLED = "enrolled", _("Enrolled")
        FAILED = "failed", _("Failed")
        DELETING = "deleting", _("Deleting")

    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="enrolments")
    identity_id = models.CharField(max_length=64, db_index=True)
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrolments")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    code = models.IntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True, default="")
    command = models.ForeignKey(Command, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["box", "identity_id"]
        constraints = [models.UniqueConstraint(fields=["box", "identity_id"], name="one_enrolment_per_box")]

    def __str__(self) -> str:
        return f"{self.identity_id} on {self.box_id}: {self.state}"


class ReceivedResult(models.Model):
    """Every result a box sent, kept as received; those that could not be applied say why."""

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=10)  # "mq" or "http"
    dev_sno = models.CharField(max_length=64, blank=True, default="")
    message_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    body = models.TextField()
    error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.source} result {self.message_id or '?'} from {self.dev_sno or '?'}"


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
