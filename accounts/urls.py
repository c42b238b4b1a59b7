from django.urls import path

from . import views

urlpatterns = [
    path("tokens/", views.ApiTokenListView.as_view(), name="account-tokens"),
    path("tokens/<int:pk>/revoke/", views.ApiTokenRevokeView.as_view(), name="account-token-revoke"),
]
