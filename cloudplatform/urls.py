from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import OperatorViewSet
from accounts.console import operator_required
from accounts.urls import account_urls, operator_urls
from attendance.api import AttendanceDayView, AttendanceSummaryView
from audit.api import AuditEntryViewSet
from cloudplatform.account import ChangeOwnPasswordView
from cloudplatform.box_calls import BOX_PREFIX
from devices.api import AreaViewSet, BoxViewSet
from devices.box_api import BoxLoginView, DeviceOperationView, StatusView
from distribution.api import CommandViewSet
from distribution.box_api import PersonDetailsView, PhotoView, ResultView
from events.api import EventViewSet
from events.box_api import HistoryEventsView, RealtimeEventView
from faces.api import BoxMatchScoresView, EventFeedbackView, FaceSearchView, PersonMatchScoresView
from faces.strangers_api import StrangerViewSet
from users.api import PermissionGroupViewSet, PersonViewSet

router = DefaultRouter()
router.register("boxes", BoxViewSet, basename="api-box")
router.register("areas", AreaViewSet, basename="api-area")
router.register("persons", PersonViewSet, basename="api-person")
router.register("groups", PermissionGroupViewSet, basename="api-group")
router.register("commands", CommandViewSet, basename="api-command")
router.register("events", EventViewSet, basename="api-event")
router.register("audit", AuditEntryViewSet, basename="api-audit")
router.register("strangers", StrangerViewSet, basename="api-stranger")
router.register("operators", OperatorViewSet, basename="api-operator")

box_urls = [
    path("login", BoxLoginView.as_view(), name="box-login"),
    path("persons", PersonDetailsView.as_view(), name="box-persons"),
    path("photos/<str:name>", PhotoView.as_view(), name="box-photo"),
    path("results", ResultView.as_view(), name="box-results"),
    path("events/history", HistoryEventsView.as_view(), name="box-events-history"),
    path("events/realtime", RealtimeEventView.as_view(), name="box-events-realtime"),
    path("status", StatusView.as_view(), name="box-status"),
    path("devices", DeviceOperationView.as_view(), name="box-devices"),
]

# The split view serves Swagger UI's start-up script as a file: the console's CSP runs no inline script.
# Its template adds a way back to the console.
api_docs = SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html")
if not settings.API_DOCS_PUBLIC:
    api_docs = operator_required(api_docs)

urlpatterns = [
    # First: a fleet's calls are most of the requests (no other pattern begins with "box/").
    # Under the prefix the server sends through the box calls' middleware (cloudplatform/box_calls.py).
    path(BOX_PREFIX.removeprefix("/"), include(box_urls)),
    path("", RedirectView.as_view(pattern_name="box-list"), name="console-home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", ChangeOwnPasswordView.as_view(), name="password-change"),
    path("account/", include(account_urls)),
    path("operators/", include(operator_urls)),
    # The language menu posts to set_language; console scripts get their strings from the catalog
    # as a script file (the CSP runs no inline script).
    path("i18n/", include("django.conf.urls.i18n")),
    # Only the project's catalog (LOCALE_PATHS): naming an app without one keeps the admin's out.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["devices"]), name="javascript-catalog"),
    path("boxes/", include("devices.urls")),
    path("events/", include("events.urls")),
    path("faces/", include("faces.urls")),
    path("attendance/", include("attendance.urls")),
    path("audit/", include("audit.urls")),
    path("", include("users.urls")),
    path("", include("distribution.urls")),
    path("api/search/face/", FaceSearchView.as_view(), name="api-search-face"),
    path("api/events/<int:pk>/feedback/", EventFeedbackView.as_view(), name="api-event-feedback"),
    path("api/boxes/<int:pk>/match-scores/", BoxMatchScoresView.as_view(), name="api-box-match-scores"),
    path("api/persons/<str:identity_id>/match-scores/", PersonMatchScoresView.as_view(),
         name="api-person-match-scores"),
    path("api/attendance/", AttendanceDayView.as_view(), name="api-attendance"),
    path("api/attendance/summary/", AttendanceSummaryView.as_view(), name="api-attendance-summary"),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("admin/", admin.site.urls),
]
