"""Console pages of distribution: commands (list, detail), a box's command actions, sending a
person to the boxes missing them, and FIQA checks."""
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.edit import FormView

from accounts.console import OperatorRequiredMixin, WriterRequiredMixin, require_writable
from devices.selectors import visible_boxes
from users.models import Person
from users.selectors import visible_people, writable_people

from . import services
from .filters import CommandPageFilterSet
from .forms import FiqaForm
from .models import Command
from .selectors import visible_commands


class PersonSendView(OperatorRequiredMixin, View):
    """Send a person to every box that serves them but was not asked to hold them (after a
    wipe, for one): the "not sent" state's way out."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        person = get_object_or_404(visible_people(self.scope), pk=pk)
        require_writable(person, writable_people(self.scope))  # it may send to other sites' boxes
        with transaction.atomic():
            count = len(services.send_person(person))
        if count:
            done = ngettext("%(count)d command queued to send %(name)s.",
                            "%(count)d commands queued to send %(name)s.", count)
            messages.success(request, done % {"count": count, "name": person.name})
        else:
            messages.info(request, _("Every box that serves %(name)s already has them.") % {"name": person.name})
        return redirect("person-detail", pk=pk)


class CommandListView(OperatorRequiredMixin, ListView):
    template_name = "distribution/command_list.html"
    paginate_by = 50

    def get_queryset(self):
        commands = visible_commands(self.scope).select_related("box").annotate(
            people=Count("outcomes"), failures=Count("outcomes", filter=Q(outcomes__success=False))
        )
        return CommandPageFilterSet(self.request.GET, queryset=commands).qs.order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(boxes=visible_boxes(self.scope), states=Command.State.choices, methods=Command.Method.choices)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


class CommandDetailView(OperatorRequiredMixin, DetailView):
    template_name = "distribution/command_detail.html"

    def get_queryset(self):
        return visible_commands(self.scope)

    def get_context_data(self, **kwargs):
        """Outcomes, or the people sent while none came back, each with the person's name. People
        the operator does not see (at other sites now) are only counted: not named, nor their
        identity_id shown, in the table or in the message as sent."""
        context = super().get_context_data(**kwargs)
        payload = self.object.payload
        outcomes = list(self.object.outcomes.all())
        sent = [str(i) for i in payload.get("userid_list") or []]
        named = {o.identity_id for o in outcomes} | set(sent)
        people = {p.identity_id: p for p in visible_people(self.scope).filter(identity_id__in=named)}
        unseen = set(Person.objects.filter(identity_id__in=named).exclude(identity_id__in=people)
                     .values_list("identity_id", flat=True))
        for outcome in outcomes:
            outcome.person = people.get(outcome.identity_id)
        context["outcomes"] = [outcome for outcome in outcomes if outcome.identity_id not in unseen]
        context["sent_people"] = [(identity_id, people.get(identity_id)) for identity_id in sent
                                  if identity_id not in unseen]
        context["unseen_count"] = len(unseen)
        context["payload"] = ({**payload, "userid_list": [i for i in payload["userid_list"] if str(i) not in unseen]}
                              if unseen and "userid_list" in payload else payload)
        return context


class BoxCommandView(OperatorRequiredMixin, View):
    """Console actions that send a box commands. A wipe is one of two clear actions: "wipe and
    send again" (its groups stay; everyone it serves is sent anew) or "wipe and detach all
    groups" (it serves nobody afterwards). "wipe", the older name, is the first."""

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponseRedirect:
        box = get_object_or_404(visible_boxes(self.scope), pk=pk)
        with transaction.atomic():
            if action in ("wipe-resend", "wipe"):
                sends = len(services.wipe_and_resend(box)) - 1
                done = ngettext("wipe_data sent, then %(count)d command sending its people again.",
                                "wipe_data sent, then %(count)d commands sending its people again.", sends)
                messages.success(request, done % {"count": sends})
            elif action == "wipe-detach":
                services.wipe_and_detach(box)
                messages.success(request, _("wipe_data sent and every permission group detached: "
                                            "the box serves nobody now."))
            elif action == "send-missing":
                count = len(services.send_missing(box))
                done = ngettext("%(count)d command queued to send the people missing from the box.",
                                "%(count)d commands queued to send the people missing from the box.", count)
                messages.success(request, done % {"count": count})
            elif action == "resync":
                count = len(services.resync_box(box))
                done = ngettext("Full resync: %(count)d command queued.",
                                "Full resync: %(count)d commands queued.", count)
                messages.success(request, done % {"count": count})
            else:
                raise Http404("unknown action")
        return redirect("box-detail", pk=pk)


class FiqaView(WriterRequiredMixin, FormView):
    form_class = FiqaForm
    template_name = "distribution/fiqa_form.html"

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "scope": self.scope}

    def form_valid(self, form: FiqaForm) -> HttpResponse:
        with transaction.atomic():
            command = services.send_fiqa(form.cleaned_data["box"], form.cleaned_data["photo"].read(),
                                             form.cleaned_data["level"])
        messages.info(self.request, _("Photo sent for a quality check; the report appears here when the box answers."))
        return HttpResponseRedirect(reverse("command-detail", args=[command.pk]))
