import json

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from aibox_contract.codes import IMAGE_ERROR, IMAGE_TOO_LARGE, ContractCodeError
from cloudplatform.uploads import RefusesOversizedUploads
from devices.models import Box
from devices.selectors import visible_boxes

from .models import FaceGroup, PermissionGroup, Person
from .selectors import writable_groups

# Why a photo is refused, in the console's language; the checker's own words (English, from the
# edge package, which runs without Django) follow as the detail.
PHOTO_REFUSALS = {
    IMAGE_ERROR: _("This photo cannot be used: the file is not a readable image, is damaged, or is too small."),
    IMAGE_TOO_LARGE: _("This photo is too large."),
}


def photo_refusal(exc: ContractCodeError) -> str:
    """The form error for a refused photo: what is wrong, then the code and the checker's detail."""
    reason = PHOTO_REFUSALS.get(exc.code, _("This photo cannot be used."))
    return gettext("%(reason)s (code %(code)s: %(detail)s)") % {
        "reason": reason, "code": exc.code, "detail": exc.message}


class PersonForm(RefusesOversizedUploads, forms.ModelForm):
    photo_file = forms.ImageField(required=False, label=_("Face photo"),
                                  widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    info_json = forms.CharField(required=False, label=_("Extra fields (JSON object)"),
                                widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Person
        fields = ["identity_id", "name", "person_type", "permission_groups", "face_groups"]
        widgets = {
            "permission_groups": forms.CheckboxSelectMultiple,
            "face_groups": forms.CheckboxSelectMultiple,
        }
        labels = {"identity_id": "identity_id", "name": _("Name"), "person_type": _("Type"),
                  "permission_groups": _("Permission groups"), "face_groups": _("Face groups")}
        help_texts = {"identity_id": _("Leave empty to generate one. Cannot change later.")}

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identity_id"].required = False
        # A site manager's people are in one of their groups at least (else they would lose sight of them).
        self.fields["permission_groups"].queryset = writable_groups(scope)
        self.fields["permission_groups"].required = not scope.everything
        if self.instance.pk:
            self.fields["identity_id"].disabled = True
            self.initial["info_json"] = json.dumps(self.instance.info, ensure_ascii=False) if self.instance.info else ""

    def validate_unique(self) -> None:
        """identity_id is unique over every site: the service checks it (DuplicateIdentity), with
        one answer saying only that the id is taken, never whose it is or where."""
        exclude = self._get_validation_exclusions() | {"identity_id"}
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as exc:
            self._update_errors(exc)

    def clean_info_json(self) -> dict:
        text = self.cleaned_data.get("info_json", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s.") % {"error": exc.msg}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Must be a JSON object, like {\"department\": \"R&D\"}."))
        return value


class PersonPhotoForm(RefusesOversizedUploads, forms.Form):
    photo = forms.FileField(label=_("Add a photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    anyway = forms.BooleanField(required=False, label=_("Add it even if the boxes would refuse it"))
    primary = forms.BooleanField(required=False, label=_("Make it the primary photo"))


class PermissionGroupForm(forms.ModelForm):
    boxes = forms.ModelMultipleChoiceField(Box.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
                                           label=_("Boxes"), help_text=_("Boxes that let this group's people through."))

    class Meta:
        model = PermissionGroup
        fields = ["name", "description"]
        labels = {"name": _("Name"), "description": _("Description")}

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["boxes"].queryset = visible_boxes(scope)
        if self.instance.pk:
            self.initial["boxes"] = list(self.instance.boxes.all())


class AreaGroupsForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        PermissionGroup.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Groups"),
        help_text=_("Their people are served to every box in this area and in the areas below it."))

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = writable_groups(scope)


class FaceGroupForm(forms.ModelForm):
    class Meta:
        model = FaceGroup
        fields = ["name"]
        labels = {"name": _("Name")}


class ImportForm(RefusesOversizedUploads, forms.Form):
    csv_file = forms.FileField(label=_("CSV of people"),
                               help_text=_("Columns: identity_id, name, type, groups, photo."))
    photos = forms.FileField(label=_("Photos (.zip)"), required=False,
                              help_text=_("The files the photo column names (several per person: see below)."))

    def clean_photos(self):
        photos = self.cleaned_data.get("photos")
        if photos and not photos.name.lower().endswith(".zip"):
            raise forms.ValidationError(_("Upload the photos as one .zip file."))
        return photos
