"""Face embeddings of events: the vector the box sent (our agent) or the platform computed from
the spot picture (a stock box), or why there is none. The search index (faces/index.py) is
built from these rows; the rows are the truth, the index a cache of them."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices.models import Box
from events.models import Event
from users.models import Person


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
    # How good the face is to enrol or show (faces.quality.face_quality): from the box's FIQA
    # report (box_fiqa_info.info) or, when the platform found the face, from its own measure.
    quality = models.FloatField(null=True, blank=True, help_text="FIQA levels passed (0..5) plus sharpness and size")
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


class StrangerCluster(models.Model):
    """One unknown face seen at the boxes: the stranger events whose embeddings lie near its
    centroid (faces/clustering.py). Turned into a person in one action (faces/strangers.py)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ENROLLED = "enrolled", _("Enrolled")
        DISMISSED = "dismissed", _("Dismissed")
        MERGED = "merged", _("Merged")

    model = models.CharField(max_length=100, help_text="Embedder of the centroid (aibox_contract.embedding)")
    # The mean of its sightings' vectors (float32, as FaceEmbedding.vector).
    centroid = models.BinaryField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    # What the list shows, kept up to date with the sightings (faces.clustering.summarise).
    sightings_count = models.PositiveIntegerField(default=0)
    box_count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True, db_index=True)
    best_event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="stranger_clusters", help_text="Whom it was enrolled as")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # ClusteringState.revision of its last change: each process's centroids catch up by it.
    revision = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [models.Index(fields=["model", "revision"])]

    def __str__(self) -> str:
        return f"stranger {self.pk} ({self.state}, seen {self.sightings_count} times)"


class StrangerSighting(models.Model):
    """A stranger event in its cluster."""

    cluster = models.ForeignKey(StrangerCluster, on_delete=models.CASCADE, related_name="sightings")
    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="stranger_sighting")
    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="+")  # the event's, for counts
    occurred_at = models.DateTimeField()  # the event's, for first/last seen
    quality = models.FloatField(null=True, blank=True, help_text="The face's (FaceEmbedding.quality)")
    score = models.FloatField(help_text="Similarity to the cluster's centroid when it joined (1 - distance)")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["cluster", "-quality"]), models.Index(fields=["cluster", "box"])]

    def __str__(self) -> str:
        return f"event {self.event_id} in stranger {self.cluster_id}"


class ClusteringState(models.Model):
    """One row: the revision counter. Every write to clusters takes this row's lock and a new
    revision, so writers run one at a time and a process's cached centroids catch up by it."""

    revision = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"clustering at revision {self.revision}"
