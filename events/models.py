"""Recognition events reported by boxes (passage records, part 2 §4.4.9)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from devices.models import Box


class Event(models.Model):
    class Channel(models.TextChoices):
        HISTORY = "history", _("History")
        REALTIME = "realtime", _("Realtime")

    # No index of its own: (box, time) and the (box, dedup_key) constraint start with it.
    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="events", db_index=False)
    # The contract gives events no id: a re-sent event is recognised by what it says.
    dedup_key = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.HISTORY)
    occurred_at = models.DateTimeField()
    timestamp_ms = models.BigIntegerField()
    identity_id = models.CharField(max_length=64, blank=True, default="")
    identity_name = models.CharField(max_length=100, blank=True, default="")
    group_name = models.CharField(max_length=200, blank=True, default="")
    score = models.FloatField()
    person_type = models.PositiveSmallIntegerField(default=1)
    device_type = models.PositiveSmallIntegerField(null=True, blank=True)
    device_ip = models.CharField(max_length=64, blank=True, default="")
    ep_id = models.CharField(max_length=120, blank=True, default="")
    spot_pic = models.CharField(max_length=200, blank=True, default="", help_text="Stored file, under MEDIA_ROOT")
    reg_pic = models.CharField(max_length=200, blank=True, default="")
    grab_fiqa_info = models.JSONField(default=dict, blank=True)
    box_fiqa_info = models.JSONField(default=dict, blank=True)
    ext_data = models.JSONField(default=dict, blank=True, help_text="Other ext_data fields, as sent")
    # A picture that did not decode as an image is not kept; the event is, with why: {"spot_pic": "..."}.
    picture_problems = models.JSONField(default=dict, blank=True,
                                        help_text="Pictures refused, by field (spot_pic, reg_pic), and why")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["box", "dedup_key"], name="one_event_per_report")]
        # Each filter of the events list, newest first: a box (and a site manager's scope, by the
        # boxes of their areas), a person, a type; the time alone is the first index.
        # The pictures' partial indexes answer retention's "is this file still used?" at once.
        # The free-text search has trigram indexes on PostgreSQL, outside this list: see
        # migrations/0006_search_indexes.py.
        indexes = [
            # The time with what the per-box counts and the chart read (PostgreSQL: index-only scans).
            models.Index(fields=["occurred_at"], include=["box", "person_type"], name="event_time_box_type"),
            models.Index(fields=["box", "-occurred_at"]),
            models.Index(fields=["identity_id", "-occurred_at"], name="event_identity_time"),
            models.Index(fields=["person_type", "-occurred_at"], name="event_type_time"),
            models.Index(fields=["spot_pic"], condition=~models.Q(spot_pic=""), name="event_spot_pic_used"),
            models.Index(fields=["reg_pic"], condition=~models.Q(reg_pic=""), name="event_reg_pic_used"),
        ]

    def __str__(self) -> str:
        return f"{self.identity_name or self.identity_id or 'stranger'} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class QuarantinedEvent(models.Model):
    """A reported event the platform could not store (no timestamp, no ext_data, ...), kept as it
    arrived so nothing a box sent is lost; the rest of its batch is stored and the box moves on."""

    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="quarantined_events")
    channel = models.CharField(max_length=10, choices=Event.Channel.choices, default=Event.Channel.HISTORY)
    position = models.PositiveIntegerField(help_text="Index of the event in the batch it came in")
    reason = models.CharField(max_length=500)
    # The event as received, re-serialised as JSON; pictures stay the base64 text that was sent.
    raw = models.TextField()
    raw_size = models.PositiveBigIntegerField(default=0)
    # What a list shows: the raw event with long strings (pictures) shortened, made once at intake.
    preview = models.JSONField(null=True, blank=True)
    # A re-sent bad event is recognised by its content and counted, not stored twice.
    digest = models.CharField(max_length=64)
    times_received = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_received_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["box", "digest"], name="one_quarantine_per_content")]

    def __str__(self) -> str:
        return f"{self.box} #{self.position}: {self.reason}"


class Relabel(models.Model):
    """A change of whom an event shows, kept for audit: the label before and after, why and by
    whom. The event holds the current label; its first relabel holds what the box said.

    One mechanism for every correction: a stranger cluster enrolled as a person (faces/strangers)
    and an administrator's "wrong match" feedback both relabel through events.services.relabel."""

    class Reason(models.TextChoices):
        STRANGER_ENROLLED = "stranger_enrolled", _("Stranger enrolled as a person")
        NOT_THIS_PERSON = "not_this_person", _("Not this person")
        THIS_IS = "this_is", _("Corrected to another person")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="relabels")
    reason = models.CharField(max_length=30, choices=Reason.choices)
    from_identity_id = models.CharField(max_length=64, blank=True, default="")
    from_identity_name = models.CharField(max_length=100, blank=True, default="")
    from_person_type = models.PositiveSmallIntegerField()
    to_identity_id = models.CharField(max_length=64, blank=True, default="")
    to_identity_name = models.CharField(max_length=100, blank=True, default="")
    to_person_type = models.PositiveSmallIntegerField()
    # Who asked (an administrator), or nobody: an event that joined an enrolled stranger's cluster later.
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "id"]

    def __str__(self) -> str:
        return f"event {self.event_id}: {self.from_identity_id or '-'} -> {self.to_identity_id or '-'} ({self.reason})"
