from django import forms
from django.utils.translation import gettext_lazy as _

from users.models import PermissionGroup, PersonType


class FaceSearchForm(forms.Form):
    photo = forms.ImageField(label=_("Photo of the face"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    min_score = forms.FloatField(label=_("Lowest similarity"), required=False, min_value=0.0, max_value=1.0,
                                 help_text=_("From 0 to 1; empty: the boxes' match threshold."))


class FeedbackForm(forms.Form):
    """The event page's "Right person" / "Not this person" / "This is …" buttons."""

    verdict = forms.ChoiceField(choices=[("confirm", _("Right person")), ("reject", _("Not this person")),
                                         ("correct", _("This is …"))])
    person = forms.CharField(required=False, max_length=64, label=_("Who it is"),
                             help_text=_("Type a name or identity_id and choose the person."))
    add_photo = forms.BooleanField(required=False, label=_("Add this face to their photos"))


class StrangerEnrolForm(forms.Form):
    """Enrol a stranger (faces.strangers.enrol): the labels are the people form's."""

    name = forms.CharField(label=_("Name"), max_length=100)
    person_type = forms.TypedChoiceField(label=_("Type"), coerce=int,
                                         choices=[(PersonType.VISITOR.value, PersonType.VISITOR.label),
                                                  (PersonType.BLACKLIST.value, PersonType.BLACKLIST.label)])
    identity_id = forms.CharField(label="identity_id", max_length=64, required=False,
                                  help_text=_("Leave empty to generate one. Cannot change later."))
    permission_groups = forms.ModelMultipleChoiceField(PermissionGroup.objects.all(), required=False,
                                                       label=_("Permission groups"),
                                                       widget=forms.CheckboxSelectMultiple)
