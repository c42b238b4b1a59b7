"""The event filters as django-filter FilterSets: one definition for the console's events page,
its CSV export and /api/events/ (where the OpenAPI schema documents them from these filters).

Days are days of the site's time zone; see events/forms.py (MomentField, and the form's check
that Until is not before From)."""
from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.selectors import request_scope
from cloudplatform.filters import LARGEST_ID, PERSON_TYPE_HELP, IntegerFilter
from devices.models import Area
from devices.selectors import visible_areas, within

from .forms import Bound, EventFilterForm, MomentField
from .models import Event, QuarantinedEvent


class MomentFilter(django_filters.CharFilter):
    """From (`end=False`) or Until (`end=True`): a day or a moment (events.forms.MomentField),
    documented as text (either form)."""

    field_class = MomentField

    def __init__(self, *, end: bool = False, **kwargs) -> None:
        super().__init__(field_name="occurred_at", end=end, **kwargs)

    def filter(self, events: QuerySet, bound: Bound | None) -> QuerySet:
        if bound is None:
            return events
        if not self.extra["end"]:
            return events.filter(occurred_at__gte=bound.moment)
        return events.filter(**{"occurred_at__lte" if bound.inclusive else "occurred_at__lt": bound.moment})


def operators_areas(request) -> QuerySet[Area]:
    """The areas the request's operator sees: another site's area is refused as "not a valid
    choice", like one that does not exist (an empty answer would tell that it does)."""
    return visible_areas(request_scope(request))


def box_filter() -> IntegerFilter:
    return IntegerFilter(field_name="box__id", min_value=1, max_value=LARGEST_ID, label=_("Box"), help_text="Box id")


class EventFilterSet(django_filters.FilterSet):
    """Query parameters of the events list; a value that does not parse is an error (400 in the
    API, the form's error on the page), never "no filter"."""

    q = django_filters.CharFilter(method="search", max_length=200, label=_("Search"),
                                  help_text="Text in the name, identity_id, ep_id or device IP")
    box = box_filter()
    # field_name names the model field only for the schema's type (integer); `in_area` filters.
    area = django_filters.ModelChoiceFilter(
        field_name="box__area", queryset=operators_areas, method="in_area", label=_("Site or area"),
        help_text="Area id (a site is an area without a parent): events of the boxes in it and in the areas below it")
    type = IntegerFilter(field_name="person_type", min_value=0, max_value=32767, label=_("Type"),
                         help_text=PERSON_TYPE_HELP)
    ep_id = django_filters.CharFilter(max_length=120, label=_("Device"),
                                      help_text="Front-end device (<dev_sno>__<ip>)")
    identity_id = django_filters.CharFilter(max_length=64, label=_("Identity"))
    since = MomentFilter(label=_("From"), help_text="From this moment (ISO 8601) or the start of this day "
                         "(YYYY-MM-DD, in the site's TIME_ZONE), inclusive; anything else answers 400")
    until = MomentFilter(end=True, label=_("Until"), help_text="Until this moment (ISO 8601, inclusive) or the end "
                         "of this day (YYYY-MM-DD, the whole day included); anything else answers 400")

    class Meta:
        model = Event
        fields: list[str] = []
        form = EventFilterForm

    def in_area(self, events: QuerySet, name: str, area: Area) -> QuerySet:
        return events.filter(box__area_id__in=within([area.pk]))

    def search(self, events: QuerySet, name: str, text: str) -> QuerySet:
        # PostgreSQL runs icontains as UPPER(column) LIKE UPPER(...): the trigram indexes of
        # UPPER(column) (migrations/0006_search_indexes.py) serve it; keep the two in step.
        return events.filter(Q(identity_name__icontains=text) | Q(identity_id__icontains=text)
                             | Q(ep_id__icontains=text) | Q(device_ip__icontains=text))


class QuarantineFilterSet(django_filters.FilterSet):
    """The quarantine list's filter."""

    box = box_filter()

    class Meta:
        model = QuarantinedEvent
        fields: list[str] = []
