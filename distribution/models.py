"""Commands to boxes, what each box answered, and where every person stands on every box.

These models lived in `users` until the app split (issue 14); their tables keep the names
they had there (`users_command`, ...), so the move changed no table (see migrations/0001).
"""
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from devices.models import Box
from users.models import Person


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
        db_table = "users_command"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["box", "state"], name="users_comma_box_id_0e5b57_idx")]

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
        db_table = "users_commandoutcome"
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
        db_table = "users_enrolment"
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
        db_table = "users_receivedresult"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.source} result {self.message_id or '?'} from {self.dev_sno or '?'}"
