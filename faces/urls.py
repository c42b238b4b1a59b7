from django.urls import path

from . import strangers_views, views

urlpatterns = [
    path("search/", views.FaceSearchView.as_view(), name="face-search"),
    path("events/<int:pk>/feedback/", views.EventFeedbackView.as_view(), name="event-feedback"),
    path("scores/boxes/<int:pk>/", views.BoxMatchScoresView.as_view(), name="box-match-scores"),
    path("scores/people/<int:pk>/", views.PersonMatchScoresView.as_view(), name="person-match-scores"),
    path("strangers/", strangers_views.StrangerListView.as_view(), name="face-strangers"),
    path("strangers/merge/", strangers_views.StrangerMergeView.as_view(), name="face-strangers-merge"),
    path("strangers/<int:pk>/", strangers_views.StrangerDetailView.as_view(), name="face-stranger-detail"),
    path("strangers/<int:pk>/enrol/", strangers_views.StrangerEnrolView.as_view(), name="face-stranger-enrol"),
    path("strangers/<int:pk>/split/", strangers_views.StrangerSplitView.as_view(), name="face-stranger-split"),
    path("strangers/<int:pk>/dismiss/", strangers_views.StrangerDismissView.as_view(), name="face-stranger-dismiss"),
]
