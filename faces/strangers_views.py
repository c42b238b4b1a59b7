"""The console's Strangers pages (a tab of the Faces section): unknown faces grouped across
boxes, each with its events, and the actions on them: enrol, merge, split, dismiss. A site
manager sees the strangers seen at their boxes, and of each only their boxes and events; a
stranger may span sites, so changing one is for operators who see every site (as in the API)."""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from accounts.console import AllSitesRequiredMixin, OperatorRequiredMixin
from cloudplatform.params import as_int
from devices.selectors import scope_area_ids
from users.services import DuplicateIdentity

from . import strangers
from .forms import StrangerEnrolForm
from .models import StrangerCluster
from .stranger_selectors import ANY, boxes_seen, cluster_events, thumbnails, visible_clusters

State = StrangerCluster.State
SHOWN_STATES = (State.OPEN, State.DISMISSED, State.ENROLLED)
EVENTS_SHOWN = 200


class StrangerListView(OperatorRequiredMixin, ListView):
    template_name = "faces/strangers.html"
    context_object_name = "clusters"
    paginate_by = 48

    def state(self) -> str:
        asked = self.request.GET.get("state", State.OPEN)
        return asked if asked in SHOWN_STATES else State.OPEN

    def get_queryset(self):
        return visible_clusters(self.scope, self.state())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ids, areas = [cluster.pk for cluster in context["clusters"]], scope_area_ids(self.scope)
        thumbs, boxes = thumbnails(ids, areas=areas), boxes_seen(ids, areas)
        for cluster in context["clusters"]:
            cluster.thumbs, cluster.seen_at = thumbs.get(cluster.pk, []), boxes.get(cluster.pk, [])
        counts = dict(visible_clusters(self.scope, ANY).values_list("state").annotate(n=Count("id")).order_by())
        context.update(state=self.state(),
                       states=[(state, State(state).label, counts.get(state, 0)) for state in SHOWN_STATES],
                       query=f"state={self.state()}")
        return context


def _detail(view: OperatorRequiredMixin, cluster: StrangerCluster, form: StrangerEnrolForm | None = None,
            status: int = 200) -> HttpResponse:
    """A stranger's page: its events, pictures and boxes among those the operator sees."""
    areas = scope_area_ids(view.scope)
    return render(view.request, "faces/stranger_detail.html", {
        "cluster": cluster, "events": cluster_events(cluster, EVENTS_SHOWN, areas),
        "thumbnails": thumbnails([cluster.pk], 8, areas=areas).get(cluster.pk, []),
        "boxes": boxes_seen([cluster.pk], areas).get(cluster.pk, []),
        "form": form or StrangerEnrolForm(), "EVENTS_SHOWN": EVENTS_SHOWN,
        # The forms only where they can be used: a state that allows them, an operator who may (every site, writing).
        "changeable": cluster.state in (State.OPEN, State.DISMISSED) and view.scope.everything and view.scope.can_write,
    }, status=status)


class StrangerDetailView(OperatorRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        cluster = get_object_or_404(visible_clusters(self.scope, ANY).select_related("person", "merged_into"), pk=pk)
        return _detail(self, cluster)


class StrangerEnrolView(AllSitesRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        cluster = get_object_or_404(visible_clusters(self.scope, ANY), pk=pk)
        form = StrangerEnrolForm(request.POST)
        if form.is_valid():
            try:
                person = strangers.enrol(cluster, by=request.user, **form.cleaned_data)
            except DuplicateIdentity as exc:
                form.add_error("identity_id", str(exc))
            except strangers.StrangerActionRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, format_html(
                    _("Enrolled as {link}: the boxes of their groups are being sent the person, and the events "
                      "seen so far now name them."),
                    link=format_html('<a href="{}">{}</a>', reverse("person-detail", args=[person.pk]), person.name)))
                return HttpResponseRedirect(reverse("face-stranger-detail", args=[cluster.pk]))
        return _detail(self, cluster, form, status=400)


class _StrangerAction(AllSitesRequiredMixin, View):
    """A POST that changes a cluster and goes where the change leads, or back with why not."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        cluster = get_object_or_404(visible_clusters(self.scope, ANY), pk=pk)
        try:
            return self.act(request, cluster)
        except strangers.StrangerActionRefused as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("face-stranger-detail", args=[cluster.pk]))

    def act(self, request: HttpRequest, cluster: StrangerCluster) -> HttpResponse:
        raise NotImplementedError


class StrangerSplitView(_StrangerAction):
    def act(self, request: HttpRequest, cluster: StrangerCluster) -> HttpResponse:
        chosen = [pk for pk in (as_int(value) for value in request.POST.getlist("events")) if pk]
        new = strangers.split(cluster, chosen)
        messages.success(request, _("%(count)d events split off as a stranger of their own.")
                         % {"count": new.sightings_count})
        return HttpResponseRedirect(reverse("face-stranger-detail", args=[new.pk]))


class StrangerDismissView(_StrangerAction):
    def act(self, request: HttpRequest, cluster: StrangerCluster) -> HttpResponse:
        strangers.dismiss(cluster)
        messages.success(request, _("Dismissed: this face no longer shows among the open strangers."))
        return HttpResponseRedirect(reverse("face-strangers"))


class StrangerMergeView(AllSitesRequiredMixin, View):
    """From the list: the chosen strangers become one, kept under the one seen most (an enrolled one first)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        ids = {pk for pk in (as_int(value) for value in request.POST.getlist("clusters")) if pk}
        chosen = sorted(StrangerCluster.objects.filter(pk__in=ids),
                        key=lambda c: (c.state != State.ENROLLED, -c.sightings_count, c.pk))
        if len(chosen) < 2:
            messages.error(request, _("Choose two or more strangers to merge."))
            return HttpResponseRedirect(reverse("face-strangers"))
        try:
            target = strangers.merge(chosen[0], chosen[1:])
        except strangers.StrangerActionRefused as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("face-strangers"))
        messages.success(request, _("Merged %(count)d strangers into one.") % {"count": len(chosen)})
        return HttpResponseRedirect(reverse("face-stranger-detail", args=[target.pk]))
