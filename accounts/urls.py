from django.urls import path

from . import views

# Mounted at /account/ (one's own account) and /operators/ (administrators).
account_urls = [
    path("tokens/", views.ApiTokenListView.as_view(), name="account-tokens"),
    path("tokens/<int:pk>/revoke/", views.ApiTokenRevokeView.as_view(), name="account-token-revoke"),
    path("set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="operator-set-password"),
]
operator_urls = [
    path("", views.OperatorListView.as_view(), name="operator-list"),
    path("new/", views.OperatorCreateView.as_view(), name="operator-create"),
    path("<int:pk>/", views.OperatorDetailView.as_view(), name="operator-detail"),
    path("<int:pk>/edit/", views.OperatorEditView.as_view(), name="operator-edit"),
    path("<int:pk>/tokens/<int:token_pk>/revoke/", views.OperatorTokenRevokeView.as_view(),
         name="operator-token-revoke"),
    path("<int:pk>/<slug:action>/", views.OperatorActionView.as_view(), name="operator-action"),
]
