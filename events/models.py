"""Recognition events reported by boxes (passage records, part 2 §4.4.9)."""
from django.db import models

from devices.models import Box


class Event(models.Model):
    class Channel(models.TextChoices):
        HISTORY = "history"
        REALTIME = "realtime"

    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="events")
    # The contract gives events no id: a re-sent event is recognised by what it says.
    dedup_key = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.HISTORY)
    occurred_at = models.DateTimeField(db_index=True)
    timestamp_ms = models.BigIntegerField()
    identity_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
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
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["box", "dedup_key"], name="one_event_per_report")]
        indexes = [models.Index(fields=["box", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.identity_name or self.identity_id or 'stranger'} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"
