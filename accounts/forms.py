"""Console forms of operator accounts."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

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
