from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from events.serializers import EventDetailSerializer, EventSerializer

from .feedback import VERDICTS
from .models import MatchVerdict
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


class FeedbackRequestSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=VERDICTS, help_text=(
        "confirm: the box matched the right person; reject: not this person (the event then names no one); "
        "correct: it is `person`."))
    person = serializers.CharField(required=False, max_length=64, help_text=(
        "identity_id of the right person (for correct)."))
    add_photo = serializers.BooleanField(required=False, default=False, help_text=(
        "Also add the event's face (its spot picture) to the right person's photos (correct: `person`; "
        "confirm: the person the event names), if it passes their quality gate; boxes holding them get "
        "their photos again."))

    def validate(self, data: dict) -> dict:
        if data["verdict"] == "correct" and not data.get("person"):
            raise serializers.ValidationError({"person": [_("Say who the event is: the person's identity_id.")]})
        return data


class MatchVerdictSerializer(serializers.ModelSerializer):
    class Meta:
        model = MatchVerdict
        fields = ["identity_id", "score", "verdict", "at"]
        read_only_fields = fields


class PhotoOutcomeSerializer(serializers.Serializer):
    person = serializers.CharField(source="person.identity_id", help_text="identity_id of whom it was for")
    added = serializers.BooleanField()
    photo = serializers.IntegerField(source="photo.pk", allow_null=True, default=None,
                                     help_text="The new photo's id (null: not added)")
    reason = serializers.CharField(help_text="Why it was not added: the quality gate's reason, or already there, "
                                             "or five photos already")
    code = serializers.IntegerField(allow_null=True, help_text="The contract's code for the reason, if any")


class FeedbackResponseSerializer(serializers.Serializer):
    photo = PhotoOutcomeSerializer(allow_null=True, help_text="null: no photo was asked for")
    relabelled = serializers.BooleanField(help_text="The event names someone else (or no one) now")
    verdict = MatchVerdictSerializer(allow_null=True, help_text=(
        "The verdict on the box's match (null: the box matched no one)"))
    event = EventDetailSerializer(help_text="The event as it is now, with its label history")


class SuggestionSerializer(serializers.Serializer):
    threshold = serializers.FloatField(help_text="The highest rejected score: above it, none of them is a match")
    avoids = serializers.IntegerField(help_text="Rejected matches it avoids (all)")
    loses = serializers.IntegerField(help_text="Confirmed matches that would have been missed")
    raises = serializers.BooleanField(help_text="Above the current threshold (else the current one avoids them)")


class HistogramSerializer(serializers.Serializer):
    starts = serializers.ListField(child=serializers.FloatField(), help_text="Each bin's lowest score")
    bin_width = serializers.FloatField()
    confirmed = serializers.ListField(child=serializers.IntegerField())
    rejected = serializers.ListField(child=serializers.IntegerField())


class MatchScoresSerializer(serializers.Serializer):
    threshold = serializers.FloatField(help_text="The current match threshold as a score (a match scores above it)")
    confirmed = serializers.ListField(child=serializers.FloatField(), help_text="Scores of confirmed matches, sorted")
    rejected = serializers.ListField(child=serializers.FloatField(), help_text="Scores of rejected matches, sorted")
    suggestion = SuggestionSerializer(allow_null=True, help_text="null: no rejected match")
    histogram = HistogramSerializer()
