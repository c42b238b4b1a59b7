from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from events.serializers import EventSerializer

from .search import MAX_RESULTS


class FaceSearchRequestSerializer(serializers.Serializer):
    photo = serializers.FileField(required=False, help_text="A photo; its main face (the largest, nearest the "
                                                            "centre) is searched for.")
    event = serializers.IntegerField(required=False, min_value=1, help_text="Or an event id: its face is searched "
                                                                            "for (the event itself is left out).")
    min_score = serializers.FloatField(required=False, min_value=0.0, max_value=1.0,
                                       help_text="Similarity cut-off (1 - euclidean distance, as a box scores a "
                                                 "match); default: the box's match threshold (0.4).")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_RESULTS, default=100)

    def validate(self, data: dict) -> dict:
        if ("photo" in data) == ("event" in data):
            raise serializers.ValidationError(_("Send a photo or an event id (one of them)."))
        return data


class FaceHitSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="1 - distance, clamped to [0, 1]")
    distance = serializers.FloatField(help_text="Euclidean distance between the two 128-d embeddings")
    event = EventSerializer(help_text="Box, time, person, picture URLs of the event")


class FaceSearchResponseSerializer(serializers.Serializer):
    min_score = serializers.FloatField()
    truncated = serializers.BooleanField(help_text="More events pass the cut-off than `limit`")
    results = FaceHitSerializer(many=True)
