from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Command, CommandOutcome, Enrolment


class EnrolmentSerializer(serializers.ModelSerializer):
    box = serializers.SlugRelatedField(slug_field="dev_sno", read_only=True)
    box_name = serializers.CharField(source="box.name", read_only=True)
    publish_error = serializers.SerializerMethodField(
        help_text=_("While pending: why RabbitMQ has not taken the command yet (empty when it has)."))

    class Meta:
        model = Enrolment
        fields = ["box", "box_name", "state", "code", "message", "publish_error", "updated_at"]

    def get_publish_error(self, enrolment: Enrolment) -> str:
        pending = enrolment.state in (Enrolment.State.PENDING, Enrolment.State.DELETING)
        return enrolment.command.publish_error if pending and enrolment.command else ""


class CommandOutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommandOutcome
        fields = ["identity_id", "success", "code", "message"]


class CommandSerializer(serializers.ModelSerializer):
    box = serializers.SlugRelatedField(slug_field="dev_sno", read_only=True)
    outcomes = CommandOutcomeSerializer(many=True, read_only=True)

    class Meta:
        model = Command
        fields = [
            "id", "box", "method", "message_id", "state", "attempts", "last_error", "publish_error", "payload",
            "result",
            "outcomes", "created_at", "published_at", "finished_at",
        ]
