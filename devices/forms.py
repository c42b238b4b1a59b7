from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Area, Box
from .selectors import area_tree, within


def area_choices(exclude: set[int] = frozenset()) -> list[tuple[str | int, str]]:
    """Every area by its path ("Campus / Building A / Floor 2"), in tree order, none first."""
    return [("", "—")] + [(row.area.pk, row.path) for row in area_tree() if row.area.pk not in exclude]


class BoxForm(forms.ModelForm):
    class Meta:
        model = Box
        fields = ["name", "area", "record_upload_period", "device_monitor_period"]
        # Labels here rather than verbose_name on the model: the console's words, no migration.
        labels = {"name": _("Name"), "area": _("Site or area"), "record_upload_period": _("Record upload period"),
                  "device_monitor_period": _("Status period")}
        help_texts = {"record_upload_period": _("Seconds between the box's uploads of recorded events."),
                      "device_monitor_period": _("Seconds between the box's status reports; three missed "
                                                 "reports and it shows offline."),
                      "area": _("Groups attached to this area, or to an area above it, are served to the box.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = area_choices()


class AreaForm(forms.ModelForm):
    """Create, rename or move an area; an area cannot go inside itself or an area below it."""

    class Meta:
        model = Area
        fields = ["name", "parent"]
        labels = {"name": _("Name"), "parent": _("Inside")}
        help_texts = {"parent": _("Empty for a site (a campus, say); a building, floor or gate goes inside one.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        below = within([self.instance.pk]) if self.instance.pk else set()
        self.fields["parent"].choices = area_choices(exclude=below)

    def validate_unique(self) -> None:
        # The model's constraints miss sites (NULL parents are distinct to a unique index).
        super().validate_unique()
        name, parent = self.cleaned_data.get("name"), self.cleaned_data.get("parent")
        if name and Area.objects.filter(name=name, parent=parent).exclude(pk=self.instance.pk).exists():
            self.add_error("name", _("Another area with this name is already there."))
