"""Console pages for boxes."""
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView, UpdateView
from django.views.generic.edit import FormView

from accounts.console import OperatorRequiredMixin, WriterRequiredMixin, require_writable
from cloudplatform.params import as_int
from distribution.selectors import missing_ids
from events.selectors import with_devices
from users.selectors import served_without_photo

from . import services
from .box_api import public_root
from .broker import BrokerAdminError
from .filters import BoxFilterSet
from .forms import AreaForm, BoxForm
from .models import Area
from .selectors import area_path, editable_areas, group_by_site, visible_areas, visible_boxes, visible_tree

SITE_IS_ADMINISTRATORS = gettext_lazy("Only an administrator can change a site.")


class BoxListView(OperatorRequiredMixin, ListView):
    paginate_by = 100
    template_name = "devices/box_list.html"

    def get_queryset(self):
        return BoxFilterSet(self.request.GET, queryset=visible_boxes(self.scope)).qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["site_groups"] = group_by_site(context["object_list"], self.object_list)
        return context


class BoxCreateView(WriterRequiredMixin, FormView):
    form_class = BoxForm
    template_name = "devices/box_form.html"

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "scope": self.scope}

    def form_valid(self, form: BoxForm) -> HttpResponse:
        try:
            box = services.create_box(**form.cleaned_data)
        except BrokerAdminError as exc:
            form.add_error(None, _("The message broker could not set up this box's access: %(error)s") % {"error": exc})
            return self.form_invalid(form)
        messages.success(self.request, _("Box “%(name)s” created. Its dev_sno is %(dev_sno)s.") % {
            "name": box.name, "dev_sno": box.dev_sno})
        return redirect("box-detail", pk=box.pk)


class BoxUpdateView(WriterRequiredMixin, UpdateView):
    form_class = BoxForm
    template_name = "devices/box_form.html"

    def get_queryset(self):
        return visible_boxes(self.scope)

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "scope": self.scope}

    def form_valid(self, form: BoxForm) -> HttpResponse:
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        self.object = services.update_box(self.get_queryset().get(pk=self.object.pk), **fields)
        messages.success(self.request, _("Saved. The box gets the new periods at its next login."))
        return redirect("box-detail", pk=self.object.pk)


class BoxDetailView(OperatorRequiredMixin, DetailView):
    template_name = "devices/box_detail.html"

    def get_queryset(self):
        return visible_boxes(self.scope)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["login_url"] = public_root(self.request) + reverse("box-login")
        context["area_path"] = area_path(self.object.area_id)
        enrolments = self.object.enrolments.select_related("person", "command").order_by("state", "identity_id")
        context["enrolment_count"] = enrolments.count()
        context["enrolments"] = enrolments[:200]
        context["pending_commands"] = self.object.commands.filter(state__in=["queued", "published"])[:20]
        context["recent_events"] = with_devices(self.object.events.select_related("box"))[:10]
        context["needing_photo"] = served_without_photo(self.object).count()
        # What the people table cannot show: whom it serves, and who of them it was never sent.
        context["groups"] = self.object.permission_groups.all()
        context["missing"] = len(missing_ids(self.object))
        return context


class BoxActionView(OperatorRequiredMixin, View):
    """POST-only actions on one box; each one says what it did."""

    actions = {
        "disable": (services.disable_box,
                    gettext_lazy("Box disabled: its logins are refused and its broker access removed.")),
        "enable": (services.enable_box, gettext_lazy("Box enabled: it can log in again.")),
        "release-binding": (services.release_binding,
                            gettext_lazy("MAC binding released: the next box to log in binds.")),
        "rotate-credentials": (services.rotate_credentials,
                               gettext_lazy("Credentials rotated: the box must log in again.")),
        "delete": (services.delete_box, gettext_lazy("Box deleted, with its queue and broker user.")),
    }

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponseRedirect:
        box = get_object_or_404(visible_boxes(self.scope), pk=pk)
        if action not in self.actions:
            messages.error(request, _("Unknown action “%(action)s”.") % {"action": action})
            return redirect("box-detail", pk=pk)
        operation, done = self.actions[action]
        try:
            operation(box)
        except BrokerAdminError as exc:
            messages.error(request, _("Nothing changed: the message broker refused or is unreachable (%(error)s).") % {
                "error": exc})
            return redirect("box-detail", pk=pk)
        messages.success(request, done)
        return redirect("box-list") if action == "delete" else redirect("box-detail", pk=pk)


class AreaListView(OperatorRequiredMixin, TemplateView):
    """The sites and areas tree: how many boxes stand in each, and the groups attached to it."""

    template_name = "devices/area_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = visible_tree(self.scope)
        areas = visible_areas(self.scope)
        counts = dict(areas.annotate(n=Count("boxes")).values_list("pk", "n"))
        groups = {}
        for area in areas.prefetch_related("permission_groups"):
            groups[area.pk] = list(area.permission_groups.all())
        context["rows"] = [(row, counts.get(row.area.pk, 0), groups.get(row.area.pk, [])) for row in rows]
        return context


class AreaFormView(WriterRequiredMixin, FormView):
    """Create an area (`?parent=` preselects where), or rename and move one (a site manager:
    those inside their sites)."""

    form_class = AreaForm
    template_name = "devices/area_form.html"

    def get_form_kwargs(self) -> dict:
        kwargs = {**super().get_form_kwargs(), "scope": self.scope}
        if "pk" in self.kwargs:
            kwargs["instance"] = get_object_or_404(visible_areas(self.scope), pk=self.kwargs["pk"])
            require_writable(kwargs["instance"], editable_areas(self.scope), SITE_IS_ADMINISTRATORS)
        else:
            kwargs["instance"] = Area()
            kwargs["initial"] = {"parent": as_int(self.request.GET.get("parent"))}
        return kwargs

    def form_valid(self, form: AreaForm) -> HttpResponse:
        area = Area.objects.get(pk=form.instance.pk) if form.instance.pk else Area()
        try:
            services.save_area(area, name=form.cleaned_data["name"], parent=form.cleaned_data["parent"])
        except services.AreaError as exc:
            form.add_error("parent", str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Saved area “%(name)s”.") % {"name": area.name})
        return redirect("area-list")


class AreaDeleteView(OperatorRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        area = get_object_or_404(visible_areas(self.scope), pk=pk)
        require_writable(area, editable_areas(self.scope), SITE_IS_ADMINISTRATORS)
        try:
            services.delete_area(area)
        except services.AreaError as exc:
            messages.error(request, _("“%(name)s” was not deleted: %(reason)s") % {"name": area.name, "reason": exc})
        else:
            messages.success(request, _("Area “%(name)s” deleted.") % {"name": area.name})
        return redirect("area-list")
