"""Console pages of operator accounts: one's own API tokens."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts import selectors, services
from accounts.forms import ApiTokenForm


class ApiTokenListView(LoginRequiredMixin, View):
    """The operator's API tokens; making one shows its key on the page that answers, once."""

    template_name = "accounts/token_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, ApiTokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self.page(request, form, status=400)
        token, key = services.create_api_token(request.user, name=form.cleaned_data["name"],
                                               valid_for=form.valid_for())
        return self.page(request, ApiTokenForm(), new_token=token, new_key=key)

    def page(self, request: HttpRequest, form: ApiTokenForm, status: int = 200, **extra) -> HttpResponse:
        context = {"form": form, "tokens": selectors.api_tokens_of(request.user), **extra}
        response = render(request, self.template_name, context, status=status)
        # The page with a new key must not be kept by the browser or a proxy.
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenRevokeView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        token = get_object_or_404(selectors.api_tokens_of(request.user), pk=pk)
        services.revoke_api_token(token)
        messages.success(request, _("Revoked API token “%(name)s”: it no longer works.") % {"name": token.name})
        return redirect("account-tokens")
