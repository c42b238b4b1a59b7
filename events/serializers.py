from django.urls import reverse
from rest_framework import serializers

from .models import Event

PERSON_TYPE_LABELS = {1: "staff", 2: "visitor", 3: "blacklist", 4: "stranger", 5: "VIP"}


class EventSerializer(serializers.ModelSerializer):
    box_name = serializers.CharField(source="box.name", read_only=True)
    person_type_label = serializers.SerializerMethodField()
    spot_pic_url = serializers.SerializerMethodField()
    reg_pic_url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "box", "box_name", "occurred_at", "timestamp_ms", "identity_id", "identity_name",
                  "group_name", "score", "person_type", "person_type_label", "device_type", "device_ip", "ep_id",
                  "spot_pic_url", "reg_pic_url", "grab_fiqa_info", "box_fiqa_info", "channel", "received_at"]
        read_only_fields = fields

    def get_person_type_label(self, event: Event) -> str:
        return PERSON_TYPE_LABELS.get(event.person_type, str(event.person_type))

    def get_spot_pic_url(self, event: Event) -> str | None:
        return reverse("event-picture", args=[event.pk, "spot"]) if event.spot_pic else None

    def get_reg_pic_url(self, event: Event) -> str | None:
        return reverse("event-picture", args=[event.pk, "reg"]) if event.reg_pic else None
