"""Console pages of operator accounts: one's own API tokens; the administrators' pages to invite,
edit, disable, enable and reset operators; and where an invited operator chooses a password."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView

from accounts import selectors, services
from accounts.console import AdministratorRequiredMixin
from accounts.forms import ApiTokenForm, OperatorForm
from accounts.models import Role


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


class OperatorListView(AdministratorRequiredMixin, ListView):
    """Every account: role, sites, enabled or not, last log-in."""

    template_name = "accounts/operator_list.html"
    context_object_name = "operators"

    def get_queryset(self):
        return selectors.operators()

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["rows"] = [(operator, selectors.role_of(operator)) for operator in context["operators"]]
        return context


class OperatorCreateView(AdministratorRequiredMixin, FormView):
    """Invite an operator: the answer shows the one-time link where they choose their password."""

    form_class = OperatorForm
    template_name = "accounts/operator_form.html"

    def form_valid(self, form: OperatorForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            operator, path = services.invite_operator(username=data["username"], name=data["name"],
                                                      email=data["email"], role=data["role"], sites=data["sites"])
        except ValidationError as refused:
            form.add_service_errors(refused)
            return self.form_invalid(form)
        messages.success(self.request, _("Created operator %(name)s.") % {"name": operator.get_username()})
        return hand_over_link(self.request, operator, path)


class OperatorDetailView(AdministratorRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return operator_page(request, get_object_or_404(selectors.operators(), pk=pk))


class OperatorEditView(AdministratorRequiredMixin, FormView):
    form_class = OperatorForm
    template_name = "accounts/operator_form.html"

    def get_form_kwargs(self) -> dict:
        self.operator = get_object_or_404(selectors.operators(), pk=self.kwargs["pk"])
        profile = getattr(self.operator, "operator", None)
        initial = {"name": self.operator.first_name, "email": self.operator.email,
                   "role": selectors.role_of(self.operator) or Role.VIEWER,
                   "sites": list(profile.sites.all()) if profile else []}
        return {**super().get_form_kwargs(), "operator": self.operator, "initial": initial}

    def form_valid(self, form: OperatorForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            services.update_operator(self.operator, name=data["name"], email=data["email"], role=data["role"],
                                     sites=data["sites"])
        except ValidationError as refused:
            form.add_service_errors(refused)
            return self.form_invalid(form)
        except services.OperatorError as refused:
            form.add_error("role", str(refused))
            return self.form_invalid(form)
        messages.success(self.request, _("Saved operator %(name)s.") % {"name": self.operator.get_username()})
        return redirect("operator-detail", self.operator.pk)


class OperatorActionView(AdministratorRequiredMixin, View):
    """Disable, enable or reset an operator (POST)."""

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        operator = get_object_or_404(selectors.operators(), pk=pk)
        name = operator.get_username()
        try:
            if action == "disable":
                services.disable_operator(operator, by=request.user)
                messages.success(request, _("Disabled %(name)s: their sessions and API tokens are refused.")
                                 % {"name": name})
            elif action == "enable":
                services.enable_operator(operator)
                messages.success(request, _("Enabled %(name)s again.") % {"name": name})
            elif action == "reset":
                path = services.reset_operator(operator, by=request.user)
                messages.success(request, _("Reset %(name)s: their password, sessions and API tokens no longer "
                                            "work.") % {"name": name})
                return hand_over_link(request, operator, path)
            else:
                raise Http404
        except services.OperatorError as refused:
            messages.error(request, str(refused))
        return redirect("operator-detail", operator.pk)


class OperatorTokenRevokeView(AdministratorRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int, token_pk: int) -> HttpResponseRedirect:
        operator = get_object_or_404(selectors.operators(), pk=pk)
        token = get_object_or_404(selectors.api_tokens_of(operator), pk=token_pk)
        services.revoke_api_token(token)
        messages.success(request, _("Revoked API token “%(name)s”: it no longer works.") % {"name": token.name})
        return redirect("operator-detail", operator.pk)


def hand_over_link(request: HttpRequest, operator, path: str) -> HttpResponse:
    """The operator's page showing their new one-time link, also e-mailed when a mail server is set up."""
    link = request.build_absolute_uri(path)
    failure = services.email_set_password_link(operator, link)
    if failure == "":
        messages.info(request, _("The link was also e-mailed to %(email)s.") % {"email": operator.email})
    elif failure:
        messages.warning(request, _("The link could not be e-mailed (%(reason)s): hand it over yourself.")
                         % {"reason": failure})
    return operator_page(request, operator, set_password_link=link)


def operator_page(request: HttpRequest, operator, **extra) -> HttpResponse:
    """An operator's page; `set_password_link` (right after creating or resetting) is shown once."""
    context = {"operator": operator, "role": selectors.role_of(operator),
               "tokens": selectors.api_tokens_of(operator), **extra}
    response = render(request, "accounts/operator_detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Where an invited or reset operator chooses a password, from the one-time link an
    administrator handed them; then they log in."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("login")

    def get_user(self, uidb64: str):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Password set. Log in with your username, %(name)s, and the new password.")
                         % {"name": self.user.get_username()})
        return response
