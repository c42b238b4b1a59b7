import json

from django import forms

from cloudplatform.uploads import RefusesOversizedUploads
from devices.models import Box
from edge_agent.contract import FIQA_LEVELS

from .models import FaceGroup, PermissionGroup, Person


class PersonForm(RefusesOversizedUploads, forms.ModelForm):
    photo_file = forms.ImageField(required=False, label="Face photo",
                                  widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    info_json = forms.CharField(required=False, label="Extra fields (JSON object)",
                                widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Person
        fields = ["identity_id", "name", "person_type", "permission_groups", "face_groups"]
        widgets = {
            "permission_groups": forms.CheckboxSelectMultiple,
            "face_groups": forms.CheckboxSelectMultiple,
        }
        help_texts = {"identity_id": "Leave empty to generate one. Cannot change later."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identity_id"].required = False
        if self.instance.pk:
            self.fields["identity_id"].disabled = True
            self.initial["info_json"] = json.dumps(self.instance.info, ensure_ascii=False) if self.instance.info else ""

    def clean_info_json(self) -> dict:
        text = self.cleaned_data.get("info_json", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg}.") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("Must be a JSON object, like {\"department\": \"R&D\"}.")
        return value


class PermissionGroupForm(forms.ModelForm):
    boxes = forms.ModelMultipleChoiceField(Box.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
                                           help_text="Boxes that let this group's people through.")

    class Meta:
        model = PermissionGroup
        fields = ["name", "description"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["boxes"] = list(self.instance.boxes.all())


class FaceGroupForm(forms.ModelForm):
    class Meta:
        model = FaceGroup
        fields = ["name"]


class FiqaForm(RefusesOversizedUploads, forms.Form):
    box = forms.ModelChoiceField(Box.objects.filter(enabled=True), help_text="The box that checks the photo.")
    photo = forms.ImageField(widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    level = forms.ChoiceField(choices=[(level, level) for level in FIQA_LEVELS], initial="high")


class ImportForm(RefusesOversizedUploads, forms.Form):
    csv_file = forms.FileField(label="CSV of people", help_text="Columns: identity_id, name, type, groups, photo.")
    photos = forms.FileField(label="Photos (.zip)", required=False, help_text="The files the photo column names.")

    def clean_photos(self):
        photos = self.cleaned_data.get("photos")
        if photos and not photos.name.lower().endswith(".zip"):
            raise forms.ValidationError("Upload the photos as one .zip file.")
        return photos
