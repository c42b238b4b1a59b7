"""Console pages: people, groups and imports."""
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.edit import FormView

from accounts.console import (
    AdministratorRequiredMixin,
    OperatorRequiredMixin,
    WriterRequiredMixin,
    require_writable,
)
from aibox_contract.codes import ContractCodeError
from devices.selectors import tree_by_id, visible_areas, visible_boxes
from distribution.models import Enrolment
from distribution.selectors import person_outcomes
from events.selectors import visible_events, with_devices

from . import services
from .filters import PersonPageFilterSet
from .forms import (
    PHOTO_REFUSALS,
    AreaGroupsForm,
    FaceGroupForm,
    ImportForm,
    PermissionGroupForm,
    PersonForm,
    PersonPhotoForm,
    photo_refusal,
)
from .models import ImportJob, PersonPhoto, PersonType
from .photos import photo_file
from .quality import badge, level_label
from .selectors import (
    face_groups_counted,
    groups_out_of_sight,
    visible_groups,
    visible_people,
    visible_serving,
    writable_groups,
    writable_people,
)
from .tasks import import_people


class PersonListView(OperatorRequiredMixin, ListView):
    template_name = "users/person_list.html"
    paginate_by = 50

    def get_queryset(self):
        people = visible_people(self.scope).prefetch_related(
            Prefetch("permission_groups", queryset=visible_groups(self.scope))).annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__state=Enrolment.State.ENROLLED)),
            failed=Count("enrolments", filter=Q(enrolments__state=Enrolment.State.FAILED)),
            pending=Count("enrolments", filter=Q(enrolments__state__in=["pending", "deleting"])),
            # Waiting on a command RabbitMQ has refused so far: the console says so, not just "pending".
            undelivered=Count("enrolments", filter=Q(enrolments__state__in=["pending", "deleting"])
                              & ~Q(enrolments__command__publish_error="")),
        )
        # A filter that does not parse is left out (the page's menus send only valid ones).
        return PersonPageFilterSet(self.request.GET, queryset=people, request=self.request).qs.order_by("name", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["types"] = PersonType.choices
        context["groups"] = visible_groups(self.scope)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


class CreateOrEditMixin(WriterRequiredMixin):
    """One form view for both: with a pk in the URL it edits that object, else it creates one.
    The object (or None) is `self.instance` and, in the template, `context_name`: found among
    those the operator sees (`visible`: else 404), refused unless they may change it (`writable`)."""

    visible = None  # scope -> the objects the operator sees
    writable = None  # scope -> those they may change
    context_name = ""

    @cached_property
    def instance(self):
        if "pk" not in self.kwargs:
            return None
        found = get_object_or_404(type(self).visible(self.scope), pk=self.kwargs["pk"])
        require_writable(found, type(self).writable(self.scope))
        return found

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.instance, "scope": self.scope}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), self.context_name: self.instance}


class PersonFormView(CreateOrEditMixin, FormView):
    form_class = PersonForm
    template_name = "users/person_form.html"
    visible, writable = visible_people, writable_people
    context_name = "person"

    def form_valid(self, form: PersonForm) -> HttpResponse:
        data = form.cleaned_data
        upload = data.get("photo_file")
        photo = upload.read() if upload else None
        fields = {"name": data["name"], "person_type": data["person_type"], "info": data["info_json"]}
        try:
            if self.instance is None:
                if photo is None:
                    form.add_error("photo_file", _("A face photo is needed to enrol the person on boxes."))
                    return self.form_invalid(form)
                person = services.create_person(
                    identity_id=data.get("identity_id") or "", photo=photo,
                    permission_groups=data["permission_groups"], face_groups=data["face_groups"], **fields,
                )
            else:  # the groups the operator does not see stay as they were
                groups = [*data["permission_groups"], *groups_out_of_sight(self.instance, self.scope)]
                person = services.update_person(
                    self.instance, photo=photo, permission_groups=groups, face_groups=data["face_groups"], **fields,
                )
        except ContractCodeError as exc:
            form.add_error("photo_file", photo_refusal(exc))
            return self.form_invalid(form)
        except services.DuplicateIdentity as exc:
            form.add_error("identity_id", str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Saved %(name)s. The boxes that serve them are being updated.") % {
            "name": person.name})
        return redirect("person-detail", pk=person.pk)


class PersonDetailView(OperatorRequiredMixin, DetailView):
    """A person, where they are enrolled and passed: at the boxes the operator sees."""

    template_name = "users/person_detail.html"

    def get_queryset(self):
        return visible_people(self.scope)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = self.object
        context["writable"] = writable_people(self.scope).filter(pk=person.pk).exists()
        context["groups"] = visible_groups(self.scope).filter(people=person)
        boxes_seen = visible_boxes(self.scope)
        enrolments = {e.box_id: e for e in Enrolment.objects.filter(identity_id=person.identity_id, box__in=boxes_seen)
                      .select_related("box", "command")}
        serving = visible_serving(person.permission_groups.all(), self.scope)
        boxes = {box.pk: box for box in serving} | {e.box_id: e.box for e in enrolments.values()}
        context["placements"] = [(box, enrolments.get(pk)) for pk, box in sorted(boxes.items())]
        context["needs_photo"] = not person.photo
        # Boxes that serve the person but hold no enrolment (a wipe, say): the page offers to send.
        context["unsent"] = 0 if not person.photo else sum(1 for _box, e in context["placements"] if e is None)
        context["photos"] = [(photo, badge(photo, person.gate_level))
                             for photo in sorted(person.photos.all(), key=lambda p: (not p.is_primary, p.position))]
        context["max_photos"] = services.MAX_PHOTOS_PER_PERSON
        context["gate_label"] = level_label(person.gate_level)
        context["photo_form"] = PersonPhotoForm()
        context["outcomes"] = person_outcomes(person, boxes_seen)
        context["passages"] = with_devices(visible_events(self.scope).filter(identity_id=person.identity_id)
                                           .select_related("box"))[:20]
        return context


class PersonDeleteView(OperatorRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        person = get_object_or_404(visible_people(self.scope), pk=pk)
        require_writable(person, writable_people(self.scope))
        services.delete_person(person)
        messages.success(request, _("Deleted %(name)s; the boxes holding them are told to delete them.") % {
            "name": person.name})
        return redirect("person-list")


class PersonPhotoView(OperatorRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int, kind: str) -> FileResponse:
        person = get_object_or_404(visible_people(self.scope), pk=pk)
        relative = person.thumbnail if kind == "thumbnail" else person.photo
        if not relative or not photo_file(relative).exists():
            raise Http404("no photo")
        return FileResponse(photo_file(relative).open("rb"))


def photos_of_person(pk: int) -> str:
    return reverse("person-detail", args=[pk]) + "#photos"


class PersonPhotoFileView(OperatorRequiredMixin, View):
    """One of the person's photos (or its thumbnail)."""

    def get(self, request: HttpRequest, pk: int, photo_id: int, kind: str) -> FileResponse:
        photo = get_object_or_404(PersonPhoto, pk=photo_id, person__in=visible_people(self.scope), person_id=pk)
        relative = photo.thumbnail if kind == "thumbnail" and photo.thumbnail else photo.path
        if not photo_file(relative).exists():
            raise Http404("no photo")
        return FileResponse(photo_file(relative).open("rb"))


class PersonPhotoAddView(OperatorRequiredMixin, View):
    """Add a photo from the person's page. One the boxes would refuse is not added unless the
    administrator ticks "add it anyway" (the page's check showed why before sending)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        person = get_object_or_404(visible_people(self.scope), pk=pk)
        require_writable(person, writable_people(self.scope))
        form = PersonPhotoForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return redirect(photos_of_person(person.pk))
        data = form.cleaned_data
        try:
            services.add_person_photo(person, data["photo"].read(), by=request.user, primary=data["primary"],
                                      require_gate=not data["anyway"])
        except services.PhotoRejected as exc:
            messages.error(request, readable_refusal(exc))
            return redirect(photos_of_person(person.pk))
        messages.success(request, _("Photo added; the boxes that hold %(name)s get it.") % {"name": person.name})
        return redirect(photos_of_person(person.pk))


def readable_refusal(exc: services.PhotoRejected) -> str:
    """A refused photo's reason: the image checker's codes in the console's words, the rest as said."""
    if exc.code in PHOTO_REFUSALS:
        return photo_refusal(ContractCodeError(exc.code, exc.message))
    if exc.code:  # the gate: the badge's reason, and how to add it all the same
        return _("%(reason)s Tick \"Add it even if the boxes would refuse it\" to keep it anyway.") % {
            "reason": exc.message}
    return exc.message


class PersonPhotoActionView(OperatorRequiredMixin, View):
    """Remove a photo, or make it the primary one (what a stock box gets)."""

    def post(self, request: HttpRequest, pk: int, photo_id: int, action: str) -> HttpResponseRedirect:
        person = get_object_or_404(visible_people(self.scope), pk=pk)
        require_writable(person, writable_people(self.scope))
        photo = get_object_or_404(PersonPhoto, pk=photo_id, person=person)
        if action == "remove":
            services.remove_person_photo(photo)
            messages.success(request, _("Photo removed."))
        elif action == "primary":
            services.make_primary_photo(photo)
            messages.success(request, _("Primary photo changed; stock boxes get this one."))
        else:
            raise Http404("no such action")
        return redirect(photos_of_person(pk))


class GroupListView(OperatorRequiredMixin, ListView):
    template_name = "users/group_list.html"

    def get_queryset(self):
        return visible_groups(self.scope).annotate(members=Count("people", distinct=True)).prefetch_related(
            Prefetch("boxes", queryset=visible_boxes(self.scope)),
            Prefetch("areas", queryset=visible_areas(self.scope)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paths = tree_by_id()
        for group in context["object_list"]:
            group.area_paths = sorted(paths[area.pk].path for area in group.areas.all() if area.pk in paths)
        return {**context,
                "face_groups": face_groups_counted(self.scope),
                "face_group_form": FaceGroupForm()}


class GroupFormView(AdministratorRequiredMixin, CreateOrEditMixin, FormView):
    """Groups are shared by all sites (their names unique over them): only administrators
    create, rename or change them; a site manager puts their people in them (the person's form)
    and attaches them to their areas (AreaGroupsView)."""

    form_class = PermissionGroupForm
    template_name = "users/group_form.html"
    visible, writable = visible_groups, writable_groups
    context_name = "group"

    def get_context_data(self, **kwargs):
        """The areas the group is attached to, as paths (attached from each area's page)."""
        group, paths = self.instance, tree_by_id()
        attached = [] if group is None else group.areas.filter(pk__in=visible_areas(self.scope).values("pk"))
        return {**super().get_context_data(**kwargs),
                "area_paths": sorted(paths[area.pk].path for area in attached if area.pk in paths)}

    def form_valid(self, form: PermissionGroupForm) -> HttpResponse:
        group = services.save_group(form.save(commit=False), boxes=form.cleaned_data["boxes"])
        messages.success(self.request, _("Saved group %(name)s; its boxes are being updated.") % {"name": group.name})
        return redirect("group-list")


class GroupDeleteView(AdministratorRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        group = get_object_or_404(visible_groups(self.scope), pk=pk)
        services.delete_group(group)
        messages.success(request, _("Deleted group %(name)s.") % {"name": group.name})
        return redirect("group-list")


class FaceGroupCreateView(AdministratorRequiredMixin, View):
    """Face groups span every site: administrators create them."""

    def post(self, request: HttpRequest) -> HttpResponseRedirect:
        form = FaceGroupForm(request.POST)
        if form.is_valid():
            form.save()
            messages.success(request, _("Face group %(name)s created.") % {"name": form.instance.name})
        else:
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("group-list")


class ImportCreateView(AdministratorRequiredMixin, FormView):
    """Bulk imports are the administrators': a file's rows may name any group."""

    form_class = ImportForm
    template_name = "users/import_form.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "jobs": ImportJob.objects.all()[:10]}

    def form_valid(self, form: ImportForm) -> HttpResponse:
        folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        csv_path = folder / "people.csv"
        csv_path.write_bytes(form.cleaned_data["csv_file"].read())
        photos_path = ""
        if form.cleaned_data.get("photos"):
            photos_path = str(folder / "photos.zip")
            with open(photos_path, "wb") as target:
                for chunk in form.cleaned_data["photos"].chunks():
                    target.write(chunk)
        with transaction.atomic():
            job = ImportJob.objects.create(csv_path=str(csv_path), photos_path=photos_path)
            transaction.on_commit(lambda: import_people.delay(job.pk))
        return redirect("import-detail", pk=job.pk)


class ImportDetailView(AdministratorRequiredMixin, DetailView):
    model = ImportJob
    template_name = "users/import_detail.html"
    context_object_name = "job"


class ImportStatusView(AdministratorRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = get_object_or_404(ImportJob, pk=pk)
        return JsonResponse({"state": job.state, "total": job.total, "processed": job.processed,
                             "succeeded": job.succeeded, "failed": job.failed, "percent": job.percent,
                             "error": job.error})


class AreaGroupsView(WriterRequiredMixin, FormView):
    """Attach permission groups to an area (a page of the areas tree, here because groups are
    the registry's): their people are served to every box in it and below it. A site manager
    attaches their own groups to their areas; the others attached there stay."""

    form_class = AreaGroupsForm
    template_name = "users/area_groups.html"

    @cached_property
    def area(self):
        return get_object_or_404(visible_areas(self.scope), pk=self.kwargs["pk"])

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "scope": self.scope}

    def get_initial(self) -> dict:
        return {"groups": list(self.area.permission_groups.all())}

    def get_context_data(self, **kwargs):
        return super().get_context_data(area=self.area, **kwargs)

    def form_valid(self, form: AreaGroupsForm) -> HttpResponse:
        kept = self.area.permission_groups.exclude(pk__in=writable_groups(self.scope).values("pk"))
        services.set_area_groups(self.area, [*form.cleaned_data["groups"], *kept])
        messages.success(self.request, _("Saved the groups of %(name)s; its boxes are being updated.") % {
            "name": self.area.name})
        return redirect("area-list")
