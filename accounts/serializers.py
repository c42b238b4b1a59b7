"""The administrators' API for operator accounts (/api/operators/)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from accounts import selectors
from accounts.models import Role


class OperatorSerializer(serializers.ModelSerializer):
    """An operator account. `sites` (ids of sites, root areas) matter to a site manager only;
    `set_password_link` comes once, in the answer to creating an operator or resetting one."""

    name = serializers.CharField(source="first_name", max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, help_text="administrator, site_manager or viewer.")
    sites = serializers.PrimaryKeyRelatedField(many=True, queryset=selectors.sites(), required=False,
                                               help_text="A site manager's sites (ids of sites, root areas).")
    awaiting_password = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name", "email", "role", "sites", "is_active", "awaiting_password",
                  "last_login", "date_joined"]
        read_only_fields = ["is_active", "last_login", "date_joined"]
        extra_kwargs = {"username": {"validators": [UnicodeUsernameValidator()]}}

    def get_awaiting_password(self, operator) -> bool:
        return not operator.has_usable_password()

    def to_representation(self, operator) -> dict:
        # role and sites live on the Operator profile (or follow from staff status: role_of).
        profile = getattr(operator, "operator", None)
        operator.role = selectors.role_of(operator)
        operator.sites = list(profile.sites.all()) if profile else []
        return super().to_representation(operator)

    def validate_username(self, username: str) -> str:
        if self.instance is not None and username != self.instance.username:
            raise serializers.ValidationError("The username cannot be changed.")
        if self.instance is None and get_user_model().objects.filter(username__iexact=username).exists():
            raise serializers.ValidationError("Another operator already has this username.")
        return username


class SetPasswordLinkSerializer(OperatorSerializer):
    set_password_link = serializers.CharField(read_only=True, help_text="Hand it to the operator: it works once.")

    class Meta(OperatorSerializer.Meta):
        fields = OperatorSerializer.Meta.fields + ["set_password_link"]
