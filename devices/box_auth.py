"""Who is calling a /box/ endpoint (CONTRACT.md §6a, revised).

Every /box/ call but login carries `dev_sno` and that box's *current* token in its query
string; nothing else authenticates. A command's `messageId` on its `path` or `notify_path`
only says which command the call is about (see `command_scope`); it grants nothing.
Rotating a box's credentials, disabling it or a new login voids the old token at once
(only the hash of the latest token is kept).

Box views inherit `BoxAPIView`, whose DRF authentication class is the one check; views
outside this app that cannot inherit call `authenticate_box(request)`, which runs the same
check (once per request).
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from aibox_contract.urls import box_query as parse_box_query
from cloudplatform.contract import BAD_REQUEST, PARAM_ERROR, ContractAPIView, ContractError
from cloudplatform.wire import ContractErrorSerializer

from .models import Box
from .services import mark_seen

# The query names a command's URLs use for its id; `message_id` is what commands queued
# before CONTRACT §6a's revision carry.
MESSAGE_ID_PARAMETERS = ("messageId", "message_id")
# The query every /box/ call but login carries, as the OpenAPI schema documents it.
AUTH_PARAMETERS = [
    OpenApiParameter("dev_sno", str, required=True, description="The box's authorisation code."),
    OpenApiParameter("token", str, required=True, description="The box's current token (from its latest login)."),
]
# What a box endpoint answers when it refuses (the contract's error envelope, upstream §3).
BOX_REFUSALS = {400: ContractErrorSerializer, 401: ContractErrorSerializer}


def box_query(request) -> dict[str, str]:
    """The request's query string read as a stock box builds it (aibox_contract.urls.box_query)."""
    return parse_box_query(request.META.get("QUERY_STRING", ""))


def authenticate_box(request, touch: bool = True) -> Box:
    """The enabled box whose dev_sno and current token the query carries, or a ContractError
    (401 in the contract's error shape). `touch` records that the box is alive."""
    cached = getattr(request, "_aibox_box", None)
    if cached is not None:
        return cached
    query = box_query(request)
    dev_sno, token = query.get("dev_sno", ""), query.get("token", "")
    if not dev_sno or not token:
        raise ContractError(PARAM_ERROR, gettext("dev_sno and token query parameters are required."), 401)
    try:
        box = Box.objects.get(dev_sno=dev_sno, enabled=True)  # dev_sno is unique: no ORDER BY, no LIMIT
    except Box.DoesNotExist:
        box = None
    if box is None or not box.token_matches(token):
        raise ContractError(BAD_REQUEST, gettext("Invalid dev_sno or token; log in again."), 401)
    if touch:
        _touch(box)
    request._aibox_box = box
    return box


def command_scope(request) -> str | None:
    """The messageId a command's URL names, if any (it scopes, it does not authenticate)."""
    query = box_query(request)
    for name in MESSAGE_ID_PARAMETERS:
        if query.get(name):
            return query[name]
    return None


def current_token(request) -> str:
    """The token the (authenticated) call carried, for URLs handed back to the same box."""
    return box_query(request).get("token", "")


class BoxTokenAuthentication(BaseAuthentication):
    """DRF's view of `authenticate_box`: request.user is the calling Box."""

    def authenticate(self, request: Request) -> tuple[Box, str]:
        view = (request.parser_context or {}).get("view")
        touch = getattr(view, "call_means_online", True)
        box = authenticate_box(request._request, touch=touch)
        return box, current_token(request._request)

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="box", query="dev_sno,token"'


class BoxTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI description of BoxTokenAuthentication (dev_sno is a documented parameter)."""

    target_class = BoxTokenAuthentication
    match_subclasses = True
    name = "boxToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "apiKey", "in": "query", "name": "token",
                "description": "The box's current token from its latest login, with its dev_sno."}


class BoxAPIView(ContractAPIView):
    """Base of every /box/ endpoint but login: refused unless the box's current token comes along."""

    authentication_classes = [BoxTokenAuthentication]
    # A call from the box shows it is up; the status report overrides this (its gateway_status says).
    call_means_online = True

    @property
    def box(self) -> Box:
        return self.request.user


def _touch(box: Box) -> None:
    """Record that the box is alive, at most once a status period (its status report moves the
    time every period and the offline check allows three: a write per call, or every ten
    seconds, was a write transaction a second for every ten boxes), and at once when it comes
    back (unless its last status report said it is offline)."""
    now = timezone.now()
    stale = box.last_seen_at is None or now - box.last_seen_at > timedelta(seconds=box.device_monitor_period)
    if stale or box.online == box.said_offline:
        mark_seen(box, now)
