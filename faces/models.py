"""Face embeddings of events: the vector the box sent (our agent) or the platform computed from
the spot picture (a stock box), or why there is none. The search index (faces/index.py) is
built from these rows; the rows are the truth, the index a cache of them."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices.models import Box
from events.models import Event


class FaceEmbedding(models.Model):
    class Source(models.TextChoices):
        BOX = "box", _("Sent by the box")
        PLATFORM = "platform", _("Computed by the platform")

    # Its own increasing id: a search index catches up with the rows added since it was built.
    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="face")
    # 128 little-endian float32 (512 bytes); empty when no face could be had (see `problem`).
    vector = models.BinaryField(null=True, blank=True)
    model = models.CharField(max_length=100, help_text="Embedder name and file digest (aibox_contract.embedding)")
    source = models.CharField(max_length=10, choices=Source.choices)
    problem = models.CharField(max_length=200, blank=True, default="", help_text="Why there is no vector")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["model", "id"])]

    def __str__(self) -> str:
        return f"face of event {self.event_id} ({self.source})"


class MatchVerdict(models.Model):
    """An administrator's word on a box's match ("wrong match" feedback, faces/feedback.py): the
    box matched `identity_id` with `score`, and it was right (confirmed) or not (rejected). One
    per event, the latest word; the score distributions per box and per person are read from these."""

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="match_verdict")
    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="match_verdicts")
    identity_id = models.CharField(max_length=64, db_index=True, help_text="The person the box matched")
    score = models.FloatField(help_text="The box's score of that match")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["box", "verdict"])]

    def __str__(self) -> str:
        return f"event {self.event_id}: {self.identity_id} {self.score:.4f} {self.verdict}"
