from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.FaceSearchView.as_view(), name="face-search"),
    path("events/<int:pk>/feedback/", views.EventFeedbackView.as_view(), name="event-feedback"),
    path("scores/boxes/<int:pk>/", views.BoxMatchScoresView.as_view(), name="box-match-scores"),
    path("scores/people/<int:pk>/", views.PersonMatchScoresView.as_view(), name="person-match-scores"),
]
