from django import forms
from django.utils.translation import gettext_lazy as _


class FaceSearchForm(forms.Form):
    photo = forms.ImageField(label=_("Photo of the face"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    min_score = forms.FloatField(label=_("Lowest similarity"), required=False, min_value=0.0, max_value=1.0,
                                 help_text=_("From 0 to 1; empty: the boxes' match threshold."))
