from django.urls import path

from . import views

urlpatterns = [
    path("people/", views.PersonListView.as_view(), name="person-list"),
    path("people/new/", views.PersonFormView.as_view(), name="person-create"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("people/<int:pk>/edit/", views.PersonFormView.as_view(), name="person-edit"),
    path("people/<int:pk>/delete/", views.PersonDeleteView.as_view(), name="person-delete"),
    path("people/<int:pk>/<slug:kind>.jpg", views.PersonPhotoView.as_view(), name="person-photo"),
    path("people/<int:pk>/photos/add/", views.PersonPhotoAddView.as_view(), name="person-photo-add"),
    path("people/<int:pk>/photos/<int:photo_id>/<slug:kind>.jpg", views.PersonPhotoFileView.as_view(),
         name="person-photo-file"),
    path("people/<int:pk>/photos/<int:photo_id>/<slug:action>/", views.PersonPhotoActionView.as_view(),
         name="person-photo-action"),
    path("groups/", views.GroupListView.as_view(), name="group-list"),
    path("groups/new/", views.GroupFormView.as_view(), name="group-create"),
    path("groups/<int:pk>/edit/", views.GroupFormView.as_view(), name="group-edit"),
    path("groups/<int:pk>/delete/", views.GroupDeleteView.as_view(), name="group-delete"),
    path("boxes/areas/<int:pk>/groups/", views.AreaGroupsView.as_view(), name="area-groups"),
    path("groups/face/new/", views.FaceGroupCreateView.as_view(), name="facegroup-create"),
    path("people/import/", views.ImportCreateView.as_view(), name="import-create"),
    path("people/import/<int:pk>/", views.ImportDetailView.as_view(), name="import-detail"),
    path("people/import/<int:pk>/status/", views.ImportStatusView.as_view(), name="import-status"),
]
