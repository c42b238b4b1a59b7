from django.urls import path

from . import views

urlpatterns = [
    path("people/<int:pk>/send/", views.PersonSendView.as_view(), name="person-send"),
    path("commands/", views.CommandListView.as_view(), name="command-list"),
    path("commands/<int:pk>/", views.CommandDetailView.as_view(), name="command-detail"),
    path("boxes/<int:pk>/command/<slug:action>/", views.BoxCommandView.as_view(), name="box-command"),
    path("fiqa/", views.FiqaView.as_view(), name="fiqa"),
]
