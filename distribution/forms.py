from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from aibox_contract.fiqa import FIQA_LEVELS
from cloudplatform.uploads import RefusesOversizedUploads
from devices.models import Box
from devices.selectors import visible_boxes

# The fiqa command's levels (upstream §5.3), strictest first, in words.
FIQA_LEVEL_LABELS = {"high": _("high (enrolment)"), "middle": _("middle"), "custom": _("custom (strangers)"),
                     "low": _("low"), "no": _("none (report only)")}


class FiqaForm(RefusesOversizedUploads, forms.Form):
    box = forms.ModelChoiceField(Box.objects.filter(enabled=True), label=_("Box"),
                                 help_text=_("The box that checks the photo."))
    photo = forms.ImageField(label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    level = forms.ChoiceField(label=_("Quality level"), initial="high",
                              choices=[(level, FIQA_LEVEL_LABELS[level]) for level in FIQA_LEVELS])

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["box"].queryset = visible_boxes(scope).filter(enabled=True)
