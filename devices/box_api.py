"""Box-facing HTTP endpoints under /box/ (upstream §4 login)."""
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from aibox_contract.urls import auth_query, root_of
from cloudplatform.contract import PARAM_ERROR, ContractAPIView, ContractError
from cloudplatform.wire import ContractErrorSerializer, validated

from .box_auth import AUTH_PARAMETERS, BOX_REFUSALS, BoxAPIView
from .box_serializers import DeviceOperationSerializer, LoginQuerySerializer, StatusReportSerializer
from .reports import record_device_operation, record_status
from .services import LoginGrant, login_box

# Where the box reports, relative to the platform root (issue-by-issue these gain views).
RECORD_PATH = "/box/events/history"
REALTIME_PATH = "/box/events/realtime"
DEVICE_INFO_PATH = "/box/devices"
DEVICE_MONITOR_PATH = "/box/status"
PHOTOS_PATH = "/box/photos"


class _SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is a Django setting rather than an entry of DRF's THROTTLE_RATES."""

    setting_name = ""

    def get_rate(self) -> str:
        return getattr(settings, self.setting_name)


class LoginPerCodeThrottle(_SettingsRateThrottle):
    scope = "box_login_code"
    setting_name = "BOX_LOGIN_RATE_PER_CODE"

    def get_cache_key(self, request: Request, view) -> str | None:
        dev_sno = request.query_params.get("dev_sno")
        return self.cache_format % {"scope": self.scope, "ident": dev_sno} if dev_sno else None


class LoginPerAddressThrottle(_SettingsRateThrottle):
    scope = "box_login_address"
    setting_name = "BOX_LOGIN_RATE_PER_ADDRESS"

    def get_cache_key(self, request: Request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ExchangeSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    passive = serializers.BooleanField()
    durable = serializers.BooleanField()
    auto_delete = serializers.BooleanField()
    arguments = serializers.DictField()


class RabbitMQSerializer(serializers.Serializer):
    host = serializers.CharField()
    port = serializers.IntegerField()
    login = serializers.CharField()
    password = serializers.CharField()
    queue = serializers.CharField()
    vHost = serializers.CharField()
    uploadVHost = serializers.CharField()
    uploadQueue = serializers.CharField()
    fiqaDownQueue = serializers.CharField()
    fiqaUploadQueue = serializers.CharField()
    unNeedBindExchange = serializers.BooleanField()
    exchange = ExchangeSerializer()


class LoginReplySerializer(serializers.Serializer):
    """Documents the reply of upstream §4; the field names are the contract's."""

    token = serializers.CharField()
    rabbitmq = RabbitMQSerializer()
    imgServerAddr = serializers.CharField()
    recordAddr = serializers.CharField()
    realtimeAddr = serializers.CharField(help_text="Extension: where the box sends live events.")
    recordUploadPeriod = serializers.IntegerField()
    deviceInfoAddr = serializers.CharField()
    deviceMonitorAddr = serializers.CharField()
    deviceMonitorPeriod = serializers.IntegerField()


def public_root(request: Request) -> str:
    """The platform's root URL as boxes reach it: PUBLIC_BASE_URL, else the address the box used."""
    return settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def image_server_base(root: str) -> str:
    """imgServerAddr (upstream §4): a plain base, scheme://host[:port] with no path or query.
    Photo URLs are paths from that root carrying their own query, so `imgServerAddr +
    relative_pic_url` and the login host + relative_pic_url (upstream §9) are the same URL,
    even when the platform lives under a path prefix (CONTRACT.md §6a)."""
    return root_of(root)


def root_prefix(root: str) -> str:
    """The path under which the platform lives on its host ("" at the root)."""
    return urlsplit(root).path.rstrip("/")


def login_reply(grant: LoginGrant, root: str) -> dict:
    """The login answer. Report URLs carry dev_sno and token (CONTRACT.md §6a), relative to the login host."""
    box = grant.box
    auth = "?" + auth_query(box.dev_sno, grant.token)
    prefix = root_prefix(root)
    return {
        "token": grant.token,
        "rabbitmq": {
            "host": settings.BOX_BROKER_HOST,
            "port": settings.BOX_BROKER_PORT,
            "login": box.broker_username,
            "password": box.broker_password,
            "queue": box.queue_name,
            "vHost": settings.BOX_VHOST,
            "uploadVHost": settings.BOX_UPLOAD_VHOST,
            "uploadQueue": settings.BOX_UPLOAD_QUEUE,
            # Every box can serve as a face-quality checker; the console picks which.
            "fiqaDownQueue": box.fiqa_queue_name,
            "fiqaUploadQueue": settings.BOX_FIQA_UPLOAD_QUEUE,
            # The platform binds the queue itself; a box that binds too only repeats it.
            "unNeedBindExchange": False,
            "exchange": {
                "name": box.exchange_name,
                "type": "fanout",
                # Boxes may check the exchange, not (re)declare it: they lack the permission.
                "passive": True,
                "durable": True,
                "auto_delete": False,
                "arguments": {},
            },
        },
        "imgServerAddr": image_server_base(root),
        "recordAddr": prefix + RECORD_PATH + auth,
        # This platform's extension (CONTRACT.md §6): live events; stock boxes ignore it.
        "realtimeAddr": prefix + REALTIME_PATH + auth,
        "recordUploadPeriod": box.record_upload_period,
        "deviceInfoAddr": prefix + DEVICE_INFO_PATH + auth,
        "deviceMonitorAddr": prefix + DEVICE_MONITOR_PATH + auth,
        "deviceMonitorPeriod": box.device_monitor_period,
    }


class BoxLoginView(ContractAPIView):
    throttle_classes = [LoginPerAddressThrottle, LoginPerCodeThrottle]

    @extend_schema(
        operation_id="box_login",
        tags=["box"],
        parameters=[LoginQuerySerializer],
        responses={
            200: LoginReplySerializer,
            400: ContractErrorSerializer,
            403: ContractErrorSerializer,
            404: ContractErrorSerializer,
            429: ContractErrorSerializer,
            503: ContractErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        query = LoginQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ContractError(PARAM_ERROR, gettext("Missing query parameter(s): %(names)s.") % {
                "names": ", ".join(query.errors)})
        grant = login_box(**query.validated_data, client_ip=self._client_ip(request))
        return Response(login_reply(grant, public_root(request)))

    @staticmethod
    def _client_ip(request: Request) -> str | None:
        return request.META.get("REMOTE_ADDR") or None


class StatusView(BoxAPIView):
    parser_classes = [JSONParser]
    # Its gateway_status says whether the box is up; the call alone does not.
    call_means_online = False

    @extend_schema(operation_id="box_status", tags=["box"], parameters=AUTH_PARAMETERS,
                   request=StatusReportSerializer,
                   responses={200: inline_serializer("StatusStored", {"data": inline_serializer(
                       "StatusStoredData", {"reported_at": serializers.DateTimeField()})}), **BOX_REFUSALS})
    def post(self, request: Request) -> Response:
        """The box's status report (deviceMonitorAddr, part 2 §4.5.3); marks it seen."""
        status = record_status(self.box, validated(StatusReportSerializer, request.data), request.data)
        return Response({"data": {"reported_at": status.reported_at}})


class DeviceOperationView(BoxAPIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="box_device_operation", tags=["box"], parameters=AUTH_PARAMETERS,
                   request=DeviceOperationSerializer,
                   responses={200: inline_serializer("OperateReply", {
                       "status": serializers.IntegerField(), "message": serializers.CharField(),
                       "data": serializers.JSONField(allow_null=True, help_text="null")}), **BOX_REFUSALS})
    def post(self, request: Request) -> Response:
        """A camera or pad added (actionType 1) or removed (2) on the box (deviceInfoAddr, upstream §7.2)."""
        record_device_operation(self.box, **validated(DeviceOperationSerializer, request.data))
        return Response({"status": 0, "message": "成功", "data": None})
