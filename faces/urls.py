from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.FaceSearchView.as_view(), name="face-search"),
]
