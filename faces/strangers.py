"""What an administrator does with a stranger cluster: enrol it as a person (one action: the
person is created with the best photos, put in groups and sent to boxes by users.services like
anyone, and the cluster's past events are relabelled), merge clusters, split events off, dismiss.

Every write takes the clustering lock and a new revision (faces.clustering.next_revision), so it
never interleaves with the faces worker's assignments, and the worker's centroids catch up."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from aibox_contract.codes import ContractCodeError
from aibox_contract.people import BLACKLIST, VISITOR
from audit.services import record_action
from events.models import Event, Relabel
from events.services import relabel_events
from users.models import FaceGroup, PermissionGroup, Person
from users.services import MAX_PHOTOS_PER_PERSON, PhotoRejected, add_person_photo, create_person

from .clustering import announce, next_revision, person_label, recentre, summarise
from .engine import engine
from .models import StrangerCluster, StrangerSighting

ENROLABLE_TYPES = (VISITOR, BLACKLIST)
PHOTOS_PER_PERSON = MAX_PHOTOS_PER_PERSON  # the new person gets up to this many of the best pictures
CANDIDATES = 12  # pictures tried, best first, for those that pass the boxes' gate
GATE_LEVEL = "high"  # register_type 1 (a visitor or a blacklisted person): CONTRACT.md §3
State = StrangerCluster.State


class StrangerActionRefused(ValueError):
    """The action cannot be done on this cluster; the message says why (translated)."""


def best_photos(cluster: StrangerCluster, count: int = PHOTOS_PER_PERSON) -> list[bytes]:
    """The cluster's spot pictures a box would enrol (its FIQA gate, run by the boxes' engine),
    best face quality first, each picture once."""
    sightings = (cluster.sightings.exclude(event__spot_pic="").select_related("event")
                 .order_by(F("quality").desc(nulls_last=True), "-occurred_at")[:CANDIDATES])
    chosen, seen = [], set()
    for sighting in sightings:
        path = sighting.event.spot_pic
        if path in seen:  # the same picture (stored once per content) sent again
            continue
        seen.add(path)
        try:
            picture = (Path(settings.MEDIA_ROOT) / path).read_bytes()
            engine().enrol(picture, GATE_LEVEL)
        except (FileNotFoundError, ContractCodeError):
            continue
        chosen.append(picture)
        if len(chosen) == count:
            break
    return chosen


def _locked(cluster: StrangerCluster, allowed: Iterable[str]) -> tuple[StrangerCluster, int]:
    """Take the clustering lock and a revision; the cluster read again under it, in an allowed state."""
    revision = next_revision()
    cluster = StrangerCluster.objects.get(pk=cluster.pk)
    if cluster.state not in allowed:
        raise StrangerActionRefused(_("This stranger is %(state)s: it cannot be changed so.")
                                    % {"state": cluster.get_state_display().lower()})
    return cluster, revision


def enrol(cluster: StrangerCluster, *, name: str, person_type: int, permission_groups: Iterable[PermissionGroup] = (),
          face_groups: Iterable[FaceGroup] = (), identity_id: str = "", by=None) -> Person:
    """The cluster becomes a person (a visitor or blacklisted) with its best photos (up to five,
    the best primary), in `permission_groups` and so sent to their boxes; its events show the
    person from now on (each keeps the stranger label it had, events.Relabel).
    users.services.DuplicateIdentity when identity_id is taken; StrangerActionRefused when no
    picture would pass a box's gate."""
    if person_type not in ENROLABLE_TYPES:
        raise StrangerActionRefused(_("A stranger is enrolled as a visitor or as blacklisted."))
    if cluster.state not in (State.OPEN, State.DISMISSED):
        raise StrangerActionRefused(_("This stranger is %(state)s: it cannot be changed so.")
                                    % {"state": cluster.get_state_display().lower()})
    photos = best_photos(cluster)  # the engine's work, before any lock is taken
    if not photos:
        raise StrangerActionRefused(_("No picture of this stranger would pass the boxes' quality gate: "
                                      "add the person with a photo on the People page."))
    with transaction.atomic():
        cluster, revision = _locked(cluster, (State.OPEN, State.DISMISSED))
        # Sent once, when this commits: the boxes then fetch the person with every photo.
        person = create_person(name=name, identity_id=identity_id, person_type=person_type, photo=photos[0],
                               permission_groups=permission_groups, face_groups=face_groups)
        for photo in photos[1:]:
            try:
                add_person_photo(person, photo, by=by, require_gate=True, distribute=False)
            except PhotoRejected:  # judged by the photos' own verdict; the person keeps the others
                continue
        StrangerCluster.objects.filter(pk=cluster.pk).update(state=State.ENROLLED, person=person, revision=revision)
        relabelled = relabel_events(Event.objects.filter(stranger_sighting__cluster=cluster), person_label(person),
                                    Relabel.Reason.STRANGER_ENROLLED, by=by)
        record_action(cluster, "stranger_enrolled", changes={"state": [cluster.state, State.ENROLLED],
                                                             "person": ["", str(person)]},
                      details={"events_relabelled": relabelled})
        announce({cluster.pk})
    return person


def merge(target: StrangerCluster, others: Iterable[StrangerCluster]) -> StrangerCluster:
    """One stranger seen as several: `others`' events join `target`. An enrolled cluster can only
    be the target (the others' events then show its person); the result is open unless it is
    enrolled or all were dismissed."""
    other_ids = {cluster.pk for cluster in others} - {target.pk}
    if not other_ids:
        raise StrangerActionRefused(_("Choose at least one other stranger to merge."))
    with transaction.atomic():
        live_states = (State.OPEN, State.DISMISSED, State.ENROLLED)
        target, revision = _locked(target, live_states)
        merged = list(StrangerCluster.objects.filter(pk__in=other_ids, state__in=live_states, model=target.model))
        if len(merged) != len(other_ids):
            raise StrangerActionRefused(_("Some of those strangers were merged, or are not there any more."))
        if any(cluster.state == State.ENROLLED for cluster in merged):
            raise StrangerActionRefused(_("An enrolled stranger can only be merged into: open it and merge the "
                                          "others into it."))
        moved = list(StrangerSighting.objects.filter(cluster__in=merged).values_list("event_id", flat=True))
        StrangerSighting.objects.filter(cluster__in=merged).update(cluster=target)
        StrangerCluster.objects.filter(pk__in=other_ids).update(state=State.MERGED, merged_into=target,
                                                                revision=revision)
        if target.state == State.DISMISSED and any(cluster.state == State.OPEN for cluster in merged):
            StrangerCluster.objects.filter(pk=target.pk).update(state=State.OPEN)
        recentre([target.pk])
        summarise([target.pk, *other_ids], revision)
        record_action(target, "strangers_merged", details={"merged": sorted(other_ids), "events_moved": len(moved)})
        if target.state == State.ENROLLED and target.person is not None:
            relabel_events(Event.objects.filter(pk__in=moved), person_label(target.person),
                           Relabel.Reason.STRANGER_ENROLLED)
        announce({target.pk, *other_ids})
    return StrangerCluster.objects.get(pk=target.pk)


def split(cluster: StrangerCluster, event_ids: Iterable[int]) -> StrangerCluster:
    """Two people seen as one: the chosen events leave for a new open cluster of their own."""
    chosen = set(event_ids)
    with transaction.atomic():
        cluster, revision = _locked(cluster, (State.OPEN, State.DISMISSED))
        members = set(cluster.sightings.values_list("event_id", flat=True))
        if not chosen or not chosen <= members:
            raise StrangerActionRefused(_("Choose some of this stranger's events to split off."))
        if chosen == members:
            raise StrangerActionRefused(_("Leave at least one event: splitting off all of them changes nothing."))
        new = StrangerCluster.objects.create(model=cluster.model, centroid=cluster.centroid, revision=revision)
        StrangerSighting.objects.filter(cluster=cluster, event_id__in=chosen).update(cluster=new)
        recentre([cluster.pk, new.pk])
        summarise([cluster.pk, new.pk], revision)
        record_action(cluster, "stranger_split", details={"new_stranger": new.pk, "events": sorted(chosen)})
        announce({cluster.pk, new.pk})
    return StrangerCluster.objects.get(pk=new.pk)


def dismiss(cluster: StrangerCluster) -> StrangerCluster:
    """Not worth a look (a delivery rider, a poster's face): hidden from the open strangers. It
    keeps its centroid, so the same face seen again joins it and stays hidden."""
    with transaction.atomic():
        cluster, revision = _locked(cluster, (State.OPEN,))
        StrangerCluster.objects.filter(pk=cluster.pk).update(state=State.DISMISSED, revision=revision)
        record_action(cluster, "stranger_dismissed", changes={"state": [cluster.state, State.DISMISSED]})
        announce({cluster.pk})
    return StrangerCluster.objects.get(pk=cluster.pk)


def release_events(event_ids: Iterable[int]) -> set[int]:
    """Events an administrator said are someone ("This is …", faces/feedback.py) are no stranger's
    sightings any more: they leave their clusters, whose counts, best picture and centroids follow.
    An open or dismissed cluster left with none is dismissed (it holds no face: it attracts none).
    The clusters changed."""
    with transaction.atomic():
        revision = next_revision()  # first: the worker's assignments wait for this write
        sightings = StrangerSighting.objects.filter(event_id__in=list(event_ids))
        clusters = set(sightings.values_list("cluster_id", flat=True))
        if not clusters:
            return set()
        sightings.delete()
        recentre(clusters)
        summarise(clusters, revision)
        StrangerCluster.objects.filter(pk__in=clusters, sightings_count=0,
                                       state__in=(State.OPEN, State.DISMISSED)).update(state=State.DISMISSED)
        announce(clusters)
    return clusters
