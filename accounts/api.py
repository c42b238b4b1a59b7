"""/api/operators/: operator accounts, for administrators (the console's Operators pages as an API)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors, services
from accounts.permissions import AdministratorPermission
from accounts.serializers import OperatorSerializer, SetPasswordLinkSerializer


class OperatorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Operator accounts. Creating one answers its one-time `set_password_link`; `reset` makes a new
    one (the old password, sessions and API tokens stop working); `disable` and `enable` switch the
    account off and on. An administrator cannot disable or reset their own account, nor leave no
    enabled administrator. Accounts are disabled, never deleted (their history keeps naming them)."""

    permission_classes = [AdministratorPermission]
    serializer_class = OperatorSerializer

    def get_queryset(self):
        return selectors.operators()

    @extend_schema(responses={201: SetPasswordLinkSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            operator, path = services.invite_operator(
                username=data["username"], name=data.get("first_name", ""), email=data.get("email", ""),
                role=data["role"], sites=data.get("sites", []))
        except ValidationError as refused:
            raise serializers.ValidationError(refused.message_dict) from None
        return self._with_link(request, operator, path, status.HTTP_201_CREATED)

    def perform_update(self, serializer: OperatorSerializer) -> None:
        operator, data = serializer.instance, serializer.validated_data
        profile = getattr(operator, "operator", None)
        try:
            services.update_operator(
                operator, name=data.get("first_name", operator.first_name), email=data.get("email", operator.email),
                role=data.get("role", selectors.role_of(operator)),
                sites=data.get("sites", list(profile.sites.all()) if profile else []))
        except ValidationError as refused:
            raise serializers.ValidationError(refused.message_dict) from None
        except services.OperatorError as refused:
            raise serializers.ValidationError({"role": [str(refused)]}) from None
        serializer.instance = selectors.operators().get(pk=operator.pk)  # its role and sites as saved

    @extend_schema(request=None, responses=OperatorSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        return self._act(lambda operator: services.disable_operator(operator, by=request.user))

    @extend_schema(request=None, responses=OperatorSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        return self._act(services.enable_operator)

    @extend_schema(request=None, responses=SetPasswordLinkSerializer)
    @action(detail=True, methods=["post"])
    def reset(self, request: Request, pk: str | None = None) -> Response:
        operator = self.get_object()
        try:
            path = services.reset_operator(operator, by=request.user)
        except services.OperatorError as refused:
            raise serializers.ValidationError({"detail": str(refused)}) from None
        return self._with_link(request, operator, path, status.HTTP_200_OK)

    def _act(self, change) -> Response:
        operator = self.get_object()
        try:
            change(operator)
        except services.OperatorError as refused:
            raise serializers.ValidationError({"detail": str(refused)}) from None
        return Response(OperatorSerializer(selectors.operators().get(pk=operator.pk)).data)

    def _with_link(self, request: Request, operator, path: str, status_code: int) -> Response:
        operator = selectors.operators().get(pk=operator.pk)
        operator.set_password_link = request.build_absolute_uri(path)
        return Response(SetPasswordLinkSerializer(operator).data, status=status_code)
