from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Box


class BoxForm(forms.ModelForm):
    class Meta:
        model = Box
        fields = ["name", "record_upload_period", "device_monitor_period"]
        # Labels here rather than verbose_name on the model: the console's words, no migration.
        labels = {"name": _("Name"), "record_upload_period": _("Record upload period"),
                  "device_monitor_period": _("Status period")}
        help_texts = {"record_upload_period": _("Seconds between the box's uploads of recorded events."),
                      "device_monitor_period": _("Seconds between the box's status reports; three missed "
                                                 "reports and it shows offline.")}
