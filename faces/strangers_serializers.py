"""/api/strangers/: what a stranger cluster shows and what its actions take."""
from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cloudplatform.api_fields import TextSlugRelatedField
from events.serializers import EventSerializer
from users.models import FaceGroup, PermissionGroup, PersonType

from .models import StrangerCluster


class SeenAtSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Box id")
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Times this box saw the stranger")


class ThumbnailSerializer(serializers.Serializer):
    event = serializers.IntegerField(help_text="Event id")
    url = serializers.CharField(help_text="The event's spot picture (fetch with the same session or API token)")


class StrangerClusterSerializer(serializers.ModelSerializer):
    """`boxes` and `thumbnails` come from the view's context (stranger_selectors.boxes_seen and
    thumbnails, one query each for a whole page)."""

    state_label = serializers.CharField(source="get_state_display", read_only=True)
    person = serializers.SlugRelatedField(slug_field="identity_id", read_only=True,
                                          help_text="identity_id of the person it was enrolled as")
    boxes = serializers.SerializerMethodField()
    thumbnails = serializers.SerializerMethodField(help_text="The best faces (by quality), best first")
    detail_url = serializers.SerializerMethodField(help_text="The stranger's page in the console")

    class Meta:
        model = StrangerCluster
        fields = ["id", "state", "state_label", "sightings_count", "box_count", "first_seen", "last_seen", "boxes",
                  "thumbnails", "person", "merged_into", "detail_url"]
        read_only_fields = fields

    @extend_schema_field(SeenAtSerializer(many=True))
    def get_boxes(self, cluster: StrangerCluster) -> list[dict]:
        return self.context.get("boxes", {}).get(cluster.pk, [])

    @extend_schema_field(ThumbnailSerializer(many=True))
    def get_thumbnails(self, cluster: StrangerCluster) -> list[dict]:
        return [{"event": event_id, "url": reverse("event-picture", args=[event_id, "spot"])}
                for event_id in self.context.get("thumbnails", {}).get(cluster.pk, [])]

    def get_detail_url(self, cluster: StrangerCluster) -> str:
        return reverse("face-stranger-detail", args=[cluster.pk])


class StrangerEventSerializer(EventSerializer):
    quality = serializers.FloatField(source="sighting.quality", allow_null=True,
                                     help_text="Face quality: FIQA levels passed (0..5) plus sharpness and size")
    similarity = serializers.FloatField(source="sighting.score",
                                        help_text="Similarity to the cluster's centroid when it joined")

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "quality", "similarity"]
        read_only_fields = fields


class StrangerClusterDetailSerializer(StrangerClusterSerializer):
    events = serializers.SerializerMethodField(help_text="Its events, newest first (at most `events_limit`)")

    class Meta(StrangerClusterSerializer.Meta):
        fields = [*StrangerClusterSerializer.Meta.fields, "events"]
        read_only_fields = fields

    @extend_schema_field(StrangerEventSerializer(many=True))
    def get_events(self, cluster: StrangerCluster) -> list[dict]:
        return StrangerEventSerializer(self.context.get("events", []), many=True, context=self.context).data


class EnrolSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    person_type = serializers.ChoiceField(choices=[(PersonType.VISITOR.value, "visitor"),
                                                   (PersonType.BLACKLIST.value, "blacklist")],
                                          help_text="2 visitor or 3 blacklist")
    identity_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                        help_text="Empty: one is made up")
    permission_groups = TextSlugRelatedField(slug_field="name", many=True, queryset=PermissionGroup.objects.all(),
                                             required=False, default=list,
                                             help_text="Group names: the person is sent to their boxes")
    face_groups = TextSlugRelatedField(slug_field="name", many=True, queryset=FaceGroup.objects.all(),
                                       required=False, default=list)


class MergeSerializer(serializers.Serializer):
    others = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=100,
                                   help_text="Ids of the strangers that are the same person as this one")


class SplitSerializer(serializers.Serializer):
    events = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=10_000,
                                   help_text="Ids of this stranger's events that are someone else")
