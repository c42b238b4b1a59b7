"""Face embeddings of events: the vector the box sent (our agent) or the platform computed from
the spot picture (a stock box), or why there is none. The search index (faces/index.py) is
built from these rows; the rows are the truth, the index a cache of them."""
from django.db import models
from django.utils.translation import gettext_lazy as _

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
