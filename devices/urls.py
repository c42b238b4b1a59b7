from django.urls import path

from . import views

urlpatterns = [
    path("", views.BoxListView.as_view(), name="box-list"),
    path("new/", views.BoxCreateView.as_view(), name="box-create"),
    path("<int:pk>/", views.BoxDetailView.as_view(), name="box-detail"),
    path("<int:pk>/edit/", views.BoxUpdateView.as_view(), name="box-edit"),
    path("areas/", views.AreaListView.as_view(), name="area-list"),
    path("areas/new/", views.AreaFormView.as_view(), name="area-create"),
    path("areas/<int:pk>/edit/", views.AreaFormView.as_view(), name="area-edit"),
    path("areas/<int:pk>/delete/", views.AreaDeleteView.as_view(), name="area-delete"),
    path("<int:pk>/<slug:action>/", views.BoxActionView.as_view(), name="box-action"),
]
