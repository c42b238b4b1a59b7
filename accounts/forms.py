"""Console forms of operator accounts."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.models import Role

# How long a new API token works: days (0: until revoked).
TOKEN_LIFETIMES = [(0, _("Until revoked")), (30, _("30 days")), (90, _("90 days")), (365, _("1 year"))]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("What the token is for, e.g. “attendance export script”: it tells your tokens apart."),
    )
    lifetime = forms.TypedChoiceField(label=_("Works for"), choices=TOKEN_LIFETIMES, coerce=int, initial=0)

    def valid_for(self) -> timedelta | None:
        days = self.cleaned_data["lifetime"]
        return timedelta(days=days) if days else None


class OperatorForm(forms.Form):
    """An operator's name, e-mail, role and (a site manager's) sites; the username only when creating."""

    username = forms.CharField(
        label=_("Username"), max_length=150, validators=[UnicodeUsernameValidator()],
        help_text=_("What they log in with: letters, digits and @ . + - _ only."),
    )
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER, help_text=_(
        "Administrator: everything, operator accounts included. Site manager: only their sites' boxes, "
        "people and events. Viewer: sees everything, changes nothing."))
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=selectors.sites(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("What a site manager looks after (and everything inside those sites)."),
    )

    def __init__(self, *args, operator=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.operator = operator
        if operator is not None:
            del self.fields["username"]
            if operator.is_superuser:
                # A superuser is an administrator whatever the form says (accounts.models).
                self.fields["role"].disabled = True
                self.fields["role"].help_text = _("A superuser is always an administrator.")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Another operator already has this username."))
        return username

    def add_service_errors(self, refused: ValidationError) -> None:
        """Show a service's refusal next to the field it names (or above the form)."""
        for field, messages in refused.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
