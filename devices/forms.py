from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope

from .models import Area, Box
from .selectors import visible_areas, visible_tree, within


def area_choices(scope: Scope, exclude: set[int] = frozenset()) -> list[tuple[str | int, str]]:
    """The areas the operator sees by their path ("Campus / Building A / Floor 2"), in tree order;
    "none" first for those who may leave a box in no area or make a site (not a site manager)."""
    rows = [(row.area.pk, row.path) for row in visible_tree(scope) if row.area.pk not in exclude]
    return ([("", "—")] if scope.everything else []) + rows


class ScopedPlaceMixin:
    """A form whose `area_field` names a place within the operator's scope (required for a site
    manager, who has no "none")."""

    area_field = "area"

    def __init__(self, *args, scope: Scope, exclude: set[int] = frozenset(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields[self.area_field]
        field.queryset = visible_areas(scope)
        field.choices = area_choices(scope, exclude)
        field.required = field.required or not scope.everything


class BoxForm(ScopedPlaceMixin, forms.ModelForm):
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


class AreaForm(ScopedPlaceMixin, forms.ModelForm):
    """Create, rename or move an area; an area cannot go inside itself or an area below it."""

    class Meta:
        model = Area
        fields = ["name", "parent"]
        labels = {"name": _("Name"), "parent": _("Inside")}
        help_texts = {"parent": _("Empty for a site (a campus, say); a building, floor or gate goes inside one.")}

    area_field = "parent"

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        instance = kwargs.get("instance")
        below = within([instance.pk]) if instance is not None and instance.pk else set()
        super().__init__(*args, scope=scope, exclude=below, **kwargs)

    def validate_unique(self) -> None:
        # The model's constraints miss sites (NULL parents are distinct to a unique index).
        super().validate_unique()
        name, parent = self.cleaned_data.get("name"), self.cleaned_data.get("parent")
        if name and Area.objects.filter(name=name, parent=parent).exclude(pk=self.instance.pk).exists():
            self.add_error("name", _("Another area with this name is already there."))
