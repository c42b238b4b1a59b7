from django.urls import path

from . import views

urlpatterns = [
    path("", views.EventListView.as_view(), name="event-list"),
    path("<int:pk>/", views.EventDetailView.as_view(), name="event-detail"),
    path("export.csv", views.EventExportView.as_view(), name="event-export"),
    path("<int:pk>/<str:which>.jpg", views.EventPictureView.as_view(), name="event-picture"),
    path("quarantine/", views.QuarantineListView.as_view(), name="event-quarantine"),
    path("quarantine/<int:pk>.json", views.QuarantinedRawView.as_view(), name="event-quarantine-raw"),
]
