from django.urls import reverse
from rest_framework import serializers

from aibox_contract.people import person_type

from .models import Event, QuarantinedEvent, Relabel


class EventSerializer(serializers.ModelSerializer):
    box_name = serializers.CharField(source="box.name", read_only=True)
    person_type_label = serializers.SerializerMethodField()
    spot_pic_url = serializers.SerializerMethodField(help_text="Fetch with the same session or API token")
    reg_pic_url = serializers.SerializerMethodField(help_text="Fetch with the same session or API token")
    camera_name = serializers.SerializerMethodField(help_text="Name of the camera (the box's sub-device) that saw it")
    camera_location = serializers.SerializerMethodField(help_text="Where that camera is, as the box reports it")
    detail_url = serializers.SerializerMethodField(help_text="The event's page in the console")

    class Meta:
        model = Event
        fields = ["id", "box", "box_name", "detail_url", "occurred_at", "timestamp_ms", "identity_id", "identity_name",
                  "group_name", "score", "person_type", "person_type_label", "device_type", "device_ip", "ep_id",
                  "camera_name", "camera_location", "spot_pic_url", "reg_pic_url", "picture_problems", "grab_fiqa_info",
                  "box_fiqa_info", "channel", "received_at"]
        read_only_fields = fields

    def get_person_type_label(self, event: Event) -> str:
        """The contract's English label (the API is not translated); an unknown type, its number."""
        return person_type(event.person_type).label

    def get_spot_pic_url(self, event: Event) -> str | None:
        return reverse("event-picture", args=[event.pk, "spot"]) if event.spot_pic else None

    def get_reg_pic_url(self, event: Event) -> str | None:
        return reverse("event-picture", args=[event.pk, "reg"]) if event.reg_pic else None

    def get_camera_name(self, event: Event) -> str:
        return getattr(event, "camera_name", None) or ""  # annotated by selectors.with_devices

    def get_camera_location(self, event: Event) -> str:
        return getattr(event, "camera_location", None) or ""

    def get_detail_url(self, event: Event) -> str:
        return reverse("event-detail", args=[event.pk])


class RelabelSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField(help_text="Username of who relabelled it; null: the platform did")

    class Meta:
        model = Relabel
        fields = ["reason", "at", "by", "from_identity_id", "from_identity_name", "from_person_type",
                  "to_identity_id", "to_identity_name", "to_person_type"]
        read_only_fields = fields

    def get_by(self, relabel: Relabel) -> str | None:
        return relabel.by.get_username() if relabel.by else None


class EventDetailSerializer(EventSerializer):
    """One event with its label history, oldest first: the first row's from_* is what the box
    reported (an event never relabelled shows it as it came)."""

    relabels = RelabelSerializer(many=True, read_only=True)

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "relabels"]
        read_only_fields = fields


class QuarantinedEventSerializer(serializers.ModelSerializer):
    box_name = serializers.CharField(source="box.name", read_only=True)
    raw_url = serializers.SerializerMethodField(help_text="The raw event as received (JSON)")

    class Meta:
        model = QuarantinedEvent
        fields = ["id", "box", "box_name", "channel", "position", "reason", "received_at", "last_received_at",
                  "times_received", "raw_size", "preview", "raw_url"]
        read_only_fields = fields

    def get_raw_url(self, kept: QuarantinedEvent) -> str:
        return reverse("event-quarantine-raw", args=[kept.pk])
